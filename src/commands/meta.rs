//! `schema`, `completions`, `man`: the tool describing itself.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::CommandFactory;

use crate::cli::{Cli, DevCommand};

pub fn dev(command: &DevCommand) -> Result<u8> {
    match command {
        DevCommand::EximSpool {
            spool,
            messages,
            split,
            distinct,
        } => crate::dev::exim_gen::spool(spool, *messages, *split, *distinct)?,
        DevCommand::EximLog { file, megabytes } => {
            crate::dev::exim_gen::mainlog(file, megabytes * 1_000_000)?
        }
        DevCommand::PostfixLog { file, megabytes } => {
            crate::dev::postfix_gen::mail_log(file, megabytes * 1_000_000)?;
        }
        DevCommand::QmailLog { file, megabytes } => {
            crate::dev::qmail_gen::maillog(file, megabytes * 1_000_000)?;
        }
        DevCommand::ReadFloor {
            dirs,
            suffix,
            threads,
        } => {
            let (files, bytes) = crate::dev::read_floor::read_all(dirs, suffix, *threads)?;
            println!("{files} files, {bytes} bytes");
        }
    }
    Ok(0)
}

pub fn schema(scenario: bool) -> Result<u8> {
    if scenario {
        print!("{}", crate::harness::load::schema_json());
    } else {
        print!("{}", crate::runbook::schema::schema_json());
    }
    Ok(0)
}

/// Completions offer the built-in runbook ids (`apply`, `show`) and param names (`-p`,
/// `--param-file`): cli.rs gives those args the values, fixed when the script is made.
pub fn completions(shell: clap_complete::Shell) -> Result<u8> {
    let mut cli = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cli, "runbook", &mut out);
    if shell == clap_complete::Shell::Fish {
        // clap_complete's fish script completes options only, not positional values.
        for command in ["apply", "show"] {
            let ids = positional_values(&cli, command);
            out.extend_from_slice(
                format!(
                    "complete -c runbook -n \"__fish_runbook_using_subcommand {command}\" -f -a \"{}\"\n",
                    ids.join(" ")
                )
                .as_bytes(),
            );
        }
    }
    std::io::stdout().write_all(&out)?;
    Ok(0)
}

/// The possible values of a command's positional args.
fn positional_values(cli: &clap::Command, command: &str) -> Vec<String> {
    cli.find_subcommand(command)
        .into_iter()
        .flat_map(|c| c.get_positionals())
        .flat_map(|a| a.get_possible_values())
        .map(|v| v.get_name().to_string())
        .collect()
}

/// `runbook man`: runbook(1); `runbook man COMMAND`: runbook-COMMAND(1); `--out-dir DIR`:
/// every page, so each page named in another's SUBCOMMANDS or SEE ALSO exists.
pub fn man(command: Option<&str>, out_dir: Option<&Path>) -> Result<u8> {
    let pages = man_pages()?;
    if let Some(dir) = out_dir {
        for (name, page) in &pages {
            let file = dir.join(format!("{name}.1"));
            std::fs::write(&file, page)
                .with_context(|| format!("cannot write {}", file.display()))?;
        }
        return Ok(0);
    }
    let wanted = match command {
        None => "runbook".to_string(),
        Some(c) => format!("runbook-{c}"),
    };
    let Some((_, page)) = pages.iter().find(|(name, _)| *name == wanted) else {
        let names: Vec<_> = pages
            .iter()
            .skip(1)
            .map(|(n, _)| &n["runbook-".len()..])
            .collect();
        bail!(
            "no man page for `{}`; the commands are: {}",
            command.unwrap_or(""),
            names.join(", ")
        );
    };
    std::io::stdout().write_all(page)?;
    Ok(0)
}

/// Every page as (name, roff): runbook first, then one per visible command.
fn man_pages() -> Result<Vec<(String, Vec<u8>)>> {
    let mut cli = Cli::command().disable_help_subcommand(true);
    cli.build();
    let commands: Vec<clap::Command> = cli
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .cloned()
        .collect();
    let mut pages = vec![("runbook".to_string(), page(cli.clone(), &commands, true)?)];
    for command in commands.iter().cloned() {
        let name = format!("runbook-{}", command.get_name());
        pages.push((name, page(command, &[], false)?));
    }
    Ok(pages)
}

/// One page: clap_mangen's sections, then EXIT STATUS, ENVIRONMENT, FILES and SEE ALSO.
fn page(command: clap::Command, commands: &[clap::Command], main: bool) -> Result<Vec<u8>> {
    let man = clap_mangen::Man::new(command);
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    if main {
        man.render_subcommands_section(&mut out)?;
    }
    out.extend_from_slice(SECTIONS.as_bytes());
    out.extend_from_slice(b".SH \"SEE ALSO\"\n");
    let see_also: Vec<String> = if main {
        commands
            .iter()
            .map(|c| format!("\\fBrunbook\\-{}\\fR(1)", c.get_name().replace('-', "\\-")))
            .collect()
    } else {
        vec!["\\fBrunbook\\fR(1)".to_string()]
    };
    out.extend_from_slice(see_also.join(",\n").as_bytes());
    out.extend_from_slice(b"\n");
    if main {
        man.render_version_section(&mut out)?;
    }
    Ok(out)
}

/// What every page says of exit codes, the environment and files (roff).
const SECTIONS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success. With \fB\-\-detailed\-exitcode\fR: nothing changes (dry run) or changed.
.TP
\fB1\fR
An error while running: nothing was changed, or what the run changed was undone.
Also: \fBlint\fR found errors; the confirmation of \fBapply\fR or \fBrollback\fR was
answered no, or not at all (end of input).
.TP
\fB2\fR
Only with \fBapply \-\-detailed\-exitcode\fR: changes are pending (dry run) or were made.
Never an error.
.TP
\fB64\fR
Usage error (EX_USAGE): an unknown command or flag, a missing or malformed argument
(\fB\-p domain\fR without \fB=\fR, \fB\-\-output yaml\fR).
.PP
With \fB\-\-output json\fR every error is also one object on standard output,
\fB{"error": {"kind", "message", "code", ...}}\fR, \fBcode\fR being the exit code.
.SH ENVIRONMENT
.TP
\fBRUNBOOK_PATH\fR
Colon\-separated directories of more runbooks, after the built\-in ones and \fB\-\-runbooks\fR.
.TP
\fBRUNBOOK_PARAM_\fR\fIKEY\fR
The value of param \fIKEY\fR (upper\-cased, \fB\-\fR as \fB_\fR) when neither \fB\-p\fR
nor \fB\-\-param\-file\fR gives it; the way to pass a secret without a file.
.TP
\fBNO_COLOR\fR
When set and not empty, \fB\-\-color auto\fR (the default) does not colour.
.TP
\fBTERM\fR
When \fBdumb\fR, \fB\-\-color auto\fR does not colour.
.TP
\fBRUNBOOK_PAGER\fR, \fBPAGER\fR
The pager for long output on a terminal (\fBshow\fR, dry\-run plans, \fBfacts\fR,
\fBhistory\fR), run with \fB/bin/sh \-c\fR; \fBRUNBOOK_PAGER\fR first, then
\fBPAGER\fR, else \fBless\fR. Empty or \fBcat\fR: no pager. \fB\-\-no\-pager\fR turns it off.
.TP
\fBRUNBOOK_NOW\fR
The time to take as now (RFC 3339, \fB2026\-11\-26T00:11:00Z\fR) where \fBfacts\fR
says how long ago something was (a queued message, a script's change); unset, the
system clock. For tests and reproducible examples.
.TP
\fBLESS\fR, \fBLV\fR
Given to the pager as \fBFRX\fR and \fB\-c\fR when unset, as git does.
.SH FILES
.TP
\fI/var/lib/runbook/\fR
The state dir (\fIROOT\fR\fB/var/lib/runbook\fR under \fB\-\-root\fR; \fB\-\-state\-dir\fR
elsewhere): \fBlock\fR (one apply per host at a time) and \fBruns/\fR\fIID\fR\fB/\fR with
each run's \fBrun.json\fR, \fBjournal.jsonl\fR, \fBbackups/\fR and \fBplan.json\fR (the plan
as applied), which \fBhistory\fR, \fBrollback\fR and \fBreport\fR read.
.TP
\fIbuiltin:NAME.yaml\fR
The built\-in runbooks, compiled into the binary (\fBrunbook list\fR names them).
.TP
\fIFILE\fR of \fB\-\-save\-plan\fR
A saved plan (mode 0600), applied exactly with \fBapply \-\-plan\fR \fIFILE\fR.
"#;
