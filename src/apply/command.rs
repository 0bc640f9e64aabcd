//! A planned command run for an apply: its stdin and env, its output redacted.

use anyhow::Result;

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
}
