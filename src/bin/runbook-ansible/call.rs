//! Running the installed runbook: `--output json`, no colour, no pager, no prompt.
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What one runbook command gave: its exit code, stdout as JSON (when it was), and
/// the error message to fail with.
pub struct Outcome {
    pub code: Option<i32>,
    pub json: Option<Value>,
    pub stderr: String,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// runbook's own words: the JSON error's message, else its stderr.
    pub fn message(&self) -> String {
        if let Some(message) = self
            .json
            .as_ref()
            .and_then(|j| j["error"]["message"].as_str())
        {
            return message.to_string();
        }
        let text = strip_escapes(self.stderr.trim());
        let text = text.strip_prefix("error: ").unwrap_or(&text).to_string();
        if text.is_empty() {
            match self.code {
                Some(code) => format!("runbook exited with status {code}"),
                None => "runbook was killed by a signal".to_string(),
            }
        } else {
            text
        }
    }
}

/// The runbook to call: the option, else `runbook` on PATH, else /usr/local/bin/runbook
/// (where the install role puts it; a login over ssh may have a PATH without it).
pub fn binary(option: Option<&str>) -> PathBuf {
    if let Some(path) = option {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("runbook"))
        .find(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from("/usr/local/bin/runbook"))
}

/// `runbook ARGS... --output json`.
pub fn run(bin: &Path, args: &[String]) -> Outcome {
    let mut command = Command::new(bin);
    command
        .args(["--color", "never", "--no-pager"])
        .args(args)
        .args(["--output", "json"])
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .stdin(Stdio::null());
    match command.output() {
        Ok(output) => Outcome {
            code: output.status.code(),
            json: serde_json::from_slice(&output.stdout).ok(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        },
        Err(error) => Outcome {
            code: None,
            json: None,
            stderr: format!("cannot run {}: {error}", bin.display()),
        },
    }
}

/// Terminal escape sequences (CSI and the lone ESC) out of text shown to people.
fn strip_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        if chars.next_if_eq(&'[').is_some() {
            while chars
                .next()
                .is_some_and(|c| !('\x40'..='\x7e').contains(&c))
            {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_lose_colour_and_prefix() {
        let outcome = Outcome {
            code: Some(1),
            json: None,
            stderr: "\x1b[1;31merror: \x1b[0mno such runbook\n".into(),
        };
        assert_eq!(outcome.message(), "no such runbook");
    }
}
