//! A planned command run for an apply: its stdin and env, its output redacted.

use anyhow::Result;

use crate::edit::installer::Installer;
use crate::host::Host;
use crate::plan::types::CommandWork;
use crate::process::{Finished, spawn};

/// Run a planned command: its stdin and env given, and everything it prints redacted
/// with the run's secrets, so no caller can show, journal or store a secret it echoed.
pub fn run_work(host: &Host, work: &CommandWork) -> Result<Finished> {
    let finished = spawn(
        host,
        &work.argv,
        work.timeout,
        work.stdin.as_deref(),
        &work.env,
    )?;
    Ok(Finished {
        stdout: work.redactor.redact(&finished.stdout),
        stderr: work.redactor.redact(&finished.stderr),
        ..finished
    })
}

/// Give `content` to the program that installs `installer`'s file (`crontab -u USER -`).
pub fn install(host: &Host, installer: &Installer, content: &str) -> Result<Finished> {
    spawn(
        host,
        &installer.program(),
        crate::plan::actions::DEFAULT_TIMEOUT,
        Some(content),
        &[],
    )
}

/// The content of `installer`'s file as its program lists it now (`None`: no such file).
pub fn installed_now(host: &Host, installer: &Installer) -> Result<Option<(String, String)>> {
    crate::plan::actions::read_installed(host, installer, &std::collections::HashMap::new())
}

/// How many lines of each stream of a command's output are kept (shown, journaled).
pub const TAIL_LINES: usize = 20;

/// The last `TAIL_LINES` lines of `text`, with a first line saying how many were left
/// out when there were more.
pub fn tail(text: &str) -> String {
    // Split on `\n` only: a `\r` is kept, for people's output to show escaped.
    let text = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() {
        return String::new();
    }
    let lines: Vec<&str> = text.split('\n').collect();
    if lines.len() <= TAIL_LINES {
        return lines.join("\n");
    }
    let skipped = lines.len() - TAIL_LINES;
    format!(
        "[{skipped} earlier line{} not kept]\n{}",
        if skipped == 1 { "" } else { "s" },
        lines[skipped..].join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn planned_commands_get_stdin_and_env_and_their_output_is_redacted() {
        let work = CommandWork {
            argv: argv(&[
                "sh",
                "-c",
                "read line; echo \"$line/$PW\"; echo \"no $PW\" >&2",
            ]),
            shown: argv(&["sh"]),
            undo: None,
            undo_shown: None,
            timeout: Duration::from_secs(10),
            mutating: false,
            stdin: Some("from-stdin-s3cret\n".into()),
            env: vec![("PW".into(), "env-s3cret".into())],
            redactor: crate::plan::redact::Redactor::new([
                "from-stdin-s3cret".to_string(),
                "env-s3cret".to_string(),
            ]),
        };
        let done = run_work(&Host::new("/"), &work).unwrap();
        assert!(done.success(), "{done:?}");
        assert_eq!(done.stdout, "********/********\n");
        assert_eq!(done.stderr, "no ********\n");
    }

    #[test]
    fn the_tail_keeps_the_last_lines_and_says_how_many_were_left_out() {
        assert_eq!(tail("a\nb\n"), "a\nb");
        assert_eq!(tail(""), "");
        let many: String = (1..=25).map(|i| format!("{i}\n")).collect();
        let kept: Vec<String> = (6..=25).map(|i| i.to_string()).collect();
        assert_eq!(
            tail(&many),
            format!("[5 earlier lines not kept]\n{}", kept.join("\n"))
        );
    }
}
