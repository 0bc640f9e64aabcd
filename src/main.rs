use std::process::ExitCode;

use runbook::commands::{exit, parse, run, usage_error};

fn main() -> ExitCode {
    restore_sigpipe();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Not clap's `parse`: its usage errors exit 2, which --detailed-exitcode means as
    // "changes pending".
    let cli = match parse(&args) {
        Ok(cli) => cli,
        Err(error) => return ExitCode::from(usage_error(error, &args)),
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let message = runbook::report::escape::escape_text(&format!("{err:#}"));
            eprintln!("error: {message}");
            ExitCode::from(exit::ERROR)
        }
    }
}

/// Rust starts programs with SIGPIPE ignored, so `println!` to a closed pipe
/// (`runbook history | head -1`) panics. Like other command-line tools, end quietly
/// instead: the default disposition kills the process when its reader is gone.
/// The one pipe runbook writes to on purpose, a command's stdin, is written from a
/// thread that blocks SIGPIPE (see `process`), so a child that closes its stdin
/// early cannot kill an apply half way.
fn restore_sigpipe() {
    // SAFETY: called first thing in main, before any other thread exists; SIG_DFL is a
    // valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
