//! Files that belong to a program which installs them from stdin and keeps its own
//! bookkeeping (cron notices a table `crontab` installed): runbook changes them through
//! that program, never by writing the file, and reads the file only to show and check.

use serde::{Deserialize, Serialize};

/// The program that owns a file, and where it keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Installer {
    /// A user's crontab, installed with `crontab -u USER -`.
    Crontab { user: String },
}

impl Installer {
    /// Where the file may be, in the order looked for (Debian's cron, then cronie's).
    pub fn files(&self) -> Vec<String> {
        match self {
            Installer::Crontab { user } => vec![
                format!("/var/spool/cron/crontabs/{user}"),
                format!("/var/spool/cron/{user}"),
            ],
        }
    }

    /// The program that reads the new content on stdin and installs it.
    pub fn program(&self) -> Vec<String> {
        match self {
            Installer::Crontab { user } => ["crontab", "-u", user, "-"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }

    /// The content as the program lists it (what it is given back to install).
    pub fn listed<'a>(&self, file: &'a str) -> &'a str {
        match self {
            Installer::Crontab { .. } => super::crontab::listed(file),
        }
    }

    /// What it is, in words: `bob's crontab`.
    pub fn describe(&self) -> String {
        match self {
            Installer::Crontab { user } => format!("{user}'s crontab"),
        }
    }
}
