//! One login account as `/etc/passwd`, `/etc/shadow` and `/etc/login.defs` describe it:
//! what `lock_user` and `kill_sessions` need to refuse root and system users and to
//! know what to put back. The password hash is read past, never kept.

use anyhow::{Result, anyhow, bail};

use crate::host::Host;

/// The largest account file read (a passwd of 100,000 users is about 6 MB).
const ACCOUNTS_MAX: u64 = 64 << 20;

/// Debian's `UID_MIN` when `/etc/login.defs` does not set one.
const DEFAULT_UID_MIN: u32 = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub user: String,
    pub uid: u32,
    /// The first uid of a person's account (`UID_MIN` of `/etc/login.defs`).
    pub uid_min: u32,
    /// The password is locked (`!` before the hash, as `usermod -L` leaves it).
    pub locked: bool,
    /// Field 3 of `/etc/shadow`: days since 1970 of the last password change; `Some(0)`
    /// means the user must change it at the next login; `None`: aging is off.
    pub last_change: Option<i64>,
}

impl Account {
    /// Root and system accounts (daemons, `www-data`) are never locked or killed: that
    /// would stop the server, not the attacker.
    pub fn refuse_system(&self, what: &str) -> Result<()> {
        if self.uid == 0 {
            bail!("refusing to {what} `{}`: it is root (uid 0)", self.user);
        }
        if self.uid < self.uid_min {
            bail!(
                "refusing to {what} `{}`: uid {} is a system account (below UID_MIN {} of /etc/login.defs)",
                self.user,
                self.uid,
                self.uid_min
            );
        }
        Ok(())
    }
}

/// The account of `user` on the host.
pub fn read(host: &Host, user: &str) -> Result<Account> {
    let passwd = text(host, "/etc/passwd")?.unwrap_or_default();
    let uid = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[0] == user)
        .and_then(|f| f[2].parse().ok())
        .ok_or_else(|| anyhow!("`{user}` is not a user in the host's /etc/passwd"))?;
    let shadow =
        text(host, "/etc/shadow")?.ok_or_else(|| anyhow!("the host has no /etc/shadow"))?;
    let fields = shadow
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[0] == user)
        .ok_or_else(|| anyhow!("`{user}` has no entry in the host's /etc/shadow"))?;
    let login_defs = text(host, "/etc/login.defs")?.unwrap_or_default();
    Ok(Account {
        user: user.to_string(),
        uid,
        uid_min: uid_min(&login_defs),
        locked: fields[1].starts_with('!'),
        last_change: fields[2].parse().ok(),
    })
}

fn text(host: &Host, path: &str) -> Result<Option<String>> {
    Ok(host
        .read_max(path, ACCOUNTS_MAX)
        .map_err(|e| anyhow!("cannot read {path}: {e}"))?
        .map(|b| String::from_utf8_lossy(&b).into_owned()))
}

/// `UID_MIN` of a login.defs: `UID_MIN<space>N`, comments with `#`.
/// The host's `UID_MIN` (Debian's 1000 when login.defs sets none).
pub fn host_uid_min(host: &Host) -> u32 {
    uid_min(
        &text(host, "/etc/login.defs")
            .ok()
            .flatten()
            .unwrap_or_default(),
    )
}

/// uid of each user name in the host's `/etc/passwd`.
pub fn uids(host: &Host) -> std::collections::HashMap<String, u32> {
    let passwd = text(host, "/etc/passwd").ok().flatten().unwrap_or_default();
    passwd
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some((f.first()?.to_string(), f.get(2)?.parse().ok()?))
        })
        .collect()
}

fn uid_min(login_defs: &str) -> u32 {
    login_defs
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("UID_MIN")).then(|| words.next()?.parse().ok())?
        })
        .next_back()
        .unwrap_or(DEFAULT_UID_MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_min_is_read_from_login_defs_or_defaults() {
        assert_eq!(
            uid_min("# UID_MIN 5\nUID_MIN\t\t 2000\nUID_MAX 60000\n"),
            2000
        );
        assert_eq!(uid_min("#UID_MIN 500\n"), 1000);
    }

    #[test]
    fn root_and_system_users_are_refused() {
        let account = |uid| Account {
            user: "x".into(),
            uid,
            uid_min: 1000,
            locked: false,
            last_change: None,
        };
        assert!(
            account(0)
                .refuse_system("lock")
                .unwrap_err()
                .to_string()
                .contains("root")
        );
        assert!(
            account(33)
                .refuse_system("lock")
                .unwrap_err()
                .to_string()
                .contains("uid 33 is a system account (below UID_MIN 1000")
        );
        assert!(account(1001).refuse_system("lock").is_ok());
    }
}
