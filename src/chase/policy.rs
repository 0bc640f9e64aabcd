//! Which steps of a walk are safe, as systemd's `CHASE_SAFE` decides, plus the stricter
//! rules for files the engine edits.

use std::io;

use nix::sys::stat::FileStat;

/// Rules for one walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Owners whose files and links are trusted: root and the user running runbook.
    trusted: [u32; 2],
    /// For edits: the one other user whose directories the walk may enter and whose file
    /// it may edit (a site owner's php.ini). `None` for a read.
    edit: Option<Option<u32>>,
}

impl Policy {
    /// For reading host data: systemd's `CHASE_SAFE` (never step from a directory or
    /// link owned by one unprivileged user to something owned by another).
    pub fn read() -> Policy {
        Policy {
            trusted: trusted(),
            edit: None,
        }
    }

    /// For a file the engine writes: only trusted symlinks are followed, and only
    /// directories of trusted owners or of `owner` are entered.
    pub fn edit(owner: Option<u32>) -> Policy {
        Policy {
            trusted: trusted(),
            edit: Some(owner),
        }
    }

    /// The site user this walk expects, if any.
    pub fn expected_owner(&self) -> Option<u32> {
        self.edit.flatten()
    }

    pub fn is_trusted(&self, uid: u32) -> bool {
        self.trusted.contains(&uid)
    }

    /// Whether `uid` may own what an edit walk enters or writes.
    pub fn may_own(&self, uid: u32) -> bool {
        self.is_trusted(uid) || self.expected_owner() == Some(uid)
    }

    /// systemd's `unsafe_transition()`: from a trusted owner anything is fine; from an
    /// unprivileged owner only to the same owner.
    pub fn check_transition(&self, from: &FileStat, to: &FileStat, path: &str) -> io::Result<()> {
        if self.is_trusted(from.st_uid) || from.st_uid == to.st_uid {
            return Ok(());
        }
        Err(refused(format!(
            "unsafe path {path}: it leads from something owned by {} to something owned by {}",
            owner(from.st_uid),
            owner(to.st_uid)
        )))
    }

    pub fn check_enter(&self, parent: &FileStat, dir: &FileStat, path: &str) -> io::Result<()> {
        self.check_transition(parent, dir, path)?;
        if self.edit.is_some() && !self.may_own(dir.st_uid) {
            return Err(refused(format!(
                "{path} is owned by {}, which this step does not expect; refusing to edit through it{}",
                owner(dir.st_uid),
                self.hint()
            )));
        }
        Ok(())
    }

    pub fn check_link(
        &self,
        parent: &FileStat,
        link: &FileStat,
        path: &str,
        target: &str,
    ) -> io::Result<()> {
        if self.edit.is_some() && !self.is_trusted(link.st_uid) {
            return Err(refused(format!(
                "{path} is a symlink to {target} owned by {}; only root's symlinks are followed for an edit",
                owner(link.st_uid)
            )));
        }
        self.check_transition(parent, link, &format!("{path} -> {target}"))
    }

    /// A file about to be edited: a regular file with one name, of an expected owner.
    pub fn check_edited_file(&self, st: &FileStat, path: &str) -> io::Result<()> {
        if super::kind(st) != nix::sys::stat::SFlag::S_IFREG {
            return Err(refused(format!("{path} is not a regular file")));
        }
        if st.st_nlink != 1 {
            return Err(refused(format!(
                "{path} has {} hard links; refusing to edit a file that has other names",
                st.st_nlink
            )));
        }
        if !self.may_own(st.st_uid) {
            return Err(refused(format!(
                "{path} is owned by {}, which this step does not expect{}",
                owner(st.st_uid),
                self.hint()
            )));
        }
        Ok(())
    }

    fn hint(&self) -> &'static str {
        if self.expected_owner().is_none() {
            " (a step that edits a site user's file says so with `owner:`)"
        } else {
            ""
        }
    }
}

/// Root, and whoever runs runbook (tests and fixtures owned by a developer).
fn trusted() -> [u32; 2] {
    [0, nix::unistd::geteuid().as_raw()]
}

fn owner(uid: u32) -> String {
    format!("uid {uid}")
}

fn refused(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, message)
}
