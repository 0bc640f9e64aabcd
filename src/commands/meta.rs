//! `schema`, `completions`, `man`: the tool describing itself.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::{Cli, DevCommand};

pub fn dev(command: &DevCommand) -> Result<u8> {
    match command {
        DevCommand::EximSpool {
            spool,
            messages,
            split,
        } => crate::dev::exim_gen::spool(spool, *messages, *split)?,
        DevCommand::EximLog { file, megabytes } => {
            crate::dev::exim_gen::mainlog(file, megabytes * 1_000_000)?
        }
    }
    Ok(0)
}

pub fn schema() -> Result<u8> {
    print!("{}", crate::runbook::schema::schema_json());
    Ok(0)
}

pub fn completions(shell: clap_complete::Shell) -> Result<u8> {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "runbook",
        &mut std::io::stdout(),
    );
    Ok(0)
}

pub fn man() -> Result<u8> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    std::io::stdout().write_all(&out)?;
    Ok(0)
}
