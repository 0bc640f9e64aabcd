//! The `activity` and `sessions` fact groups, from `/proc` and utmp (article 000's
//! `lsof | grep smtp`, article 003's `ps axu | grep ssh` against `w`), read directly.
//! Under `--root` they read the root's own `/proc` if it has one (a container's), else
//! report null: a copied filesystem has no processes.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{BufReader, Read};
use std::path::Path;

use schemars::JsonSchema;
use serde::Serialize;

use super::logs::{Passwd, for_each_line};
use crate::host::Host;

/// The `activity` fact group. Its fields are null where no processes can be seen (a
/// copied root), and `note` says so.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct ActivityFacts {
    /// Connections to remote port 25, with pid, process, user and whether the process is the MTA
    pub smtp_connections: Option<Vec<SmtpConnection>>,
    /// Connections to remote port 25 made by processes other than the MTA
    pub non_mta: Option<u64>,
    /// Why nothing could be seen (absent when it could)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SmtpConnection {
    /// The process holding the socket (0 when not found)
    pub pid: u32,
    /// Its name
    pub process: String,
    /// The socket's owner
    pub user: String,
    /// Remote address and port
    pub remote: String,
    /// Whether the process is a mail server's own
    pub mta: bool,
}

/// The `sessions` fact group. Its fields are null where no processes can be seen, and
/// `note` says so.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct SessionsFacts {
    /// SSH sessions per user, with their utmp logins
    pub users: Option<Vec<SessionCount>>,
    /// Users with sshd sessions but no utmp login (likely hacked)
    pub flagged: Option<Vec<String>>,
    /// Why nothing could be seen (absent when it could)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SessionCount {
    pub user: String,
    /// sshd session processes of the user
    pub sshd_sessions: u64,
    /// The user's logins in utmp
    pub logins: u64,
    /// The user's uid in /etc/passwd; null when it has none there
    pub uid: Option<u32>,
    /// Whether it is root or a system account (uid below UID_MIN of /etc/login.defs): runbook never ends its sessions or locks it
    pub system: bool,
    /// sshd sessions but no utmp login (as `flagged` lists)
    pub flagged: bool,
}

/// Process names of mail servers: their connections to port 25 are expected. Besides
/// every MTA's own, `sendmail`, the submission interface they all provide.
fn is_mta_process(name: &str) -> bool {
    name == "sendmail"
        || super::mta::ALL
            .iter()
            .any(|m| m.smtp_processes().contains(&name))
}

/// TCP states that mean a connection is being made or is open.
const CONNECTING: &[&str] = &["01", "02"];

/// The `activity` group: processes other than the MTA talking to remote port 25.
pub fn activity(host: &Host) -> ActivityFacts {
    let proc_dir = host.lexical("/proc");
    if !proc_dir.join("net/tcp").is_file() {
        return ActivityFacts {
            note: Some("no /proc under this root".into()),
            ..ActivityFacts::default()
        };
    }
    let passwd = Passwd::read(host);
    let sockets = smtp_sockets(&proc_dir);
    let owners = socket_owners(&proc_dir);
    let connections: Vec<SmtpConnection> = sockets
        .iter()
        .map(|s| {
            let (pid, process) = owners.get(&s.inode).cloned().unwrap_or_default();
            SmtpConnection {
                pid,
                mta: is_mta_process(&process),
                process,
                user: passwd.user(&s.uid),
                remote: s.remote.clone(),
            }
        })
        .collect();
    let non_mta = connections.iter().filter(|c| !c.mta).count() as u64;
    ActivityFacts {
        smtp_connections: Some(connections),
        non_mta: Some(non_mta),
        note: None,
    }
}

struct Socket {
    remote: String,
    uid: String,
    inode: String,
}

/// Connections to remote port 25 in `/proc/net/tcp` and `tcp6`.
fn smtp_sockets(proc_dir: &Path) -> Vec<Socket> {
    let mut out = Vec::new();
    for table in ["net/tcp", "net/tcp6"] {
        let Ok(file) = crate::chase::open_regular(&proc_dir.join(table)) else {
            continue;
        };
        // Line by line: a busy server has hundreds of thousands of sockets.
        let mut header = true;
        for_each_line(BufReader::new(file), |line| {
            if std::mem::take(&mut header) {
                return;
            }
            let line = String::from_utf8_lossy(line);
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(remote), Some(state), Some(uid), Some(inode)) =
                (f.get(2), f.get(3), f.get(7), f.get(9))
            else {
                return;
            };
            let Some((ip, port)) = remote.rsplit_once(':') else {
                return;
            };
            if u16::from_str_radix(port, 16) == Ok(25) && CONNECTING.contains(state) {
                out.push(Socket {
                    remote: format!("{}:25", hex_ip(ip)),
                    uid: uid.to_string(),
                    inode: inode.to_string(),
                });
            }
        });
    }
    out
}

/// `0100007F` → `127.0.0.1` (little-endian words, as the kernel prints them).
fn hex_ip(hex: &str) -> String {
    // By bytes: a `/proc` under `--root` is a file anyone may have written, and a
    // string slice through a multi-byte character would panic.
    let bytes: Vec<u8> = hex
        .as_bytes()
        .chunks_exact(2)
        .filter_map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect();
    match bytes.len() {
        4 => format!("{}.{}.{}.{}", bytes[3], bytes[2], bytes[1], bytes[0]),
        16 => {
            let words: Vec<String> = bytes
                .chunks(4)
                .flat_map(|w| {
                    [
                        u16::from_be_bytes([w[3], w[2]]),
                        u16::from_be_bytes([w[1], w[0]]),
                    ]
                })
                .map(|w| format!("{w:x}"))
                .collect();
            format!("[{}]", words.join(":"))
        }
        _ => hex.to_string(),
    }
}

/// socket inode → (pid, process name), from every process's open file descriptors.
fn socket_owners(proc_dir: &Path) -> HashMap<String, (u32, String)> {
    let mut owners = HashMap::new();
    for (pid, dir) in processes(proc_dir) {
        let Ok(fds) = fs::read_dir(dir.join("fd")) else {
            continue;
        };
        let comm = read_head(&dir.join("comm"), COMM_MAX)
            .map(|c| String::from_utf8_lossy(&c).trim().to_string())
            .unwrap_or_default();
        for fd in fds.flatten() {
            if let Ok(target) = fs::read_link(fd.path())
                && let Some(inode) = target
                    .to_str()
                    .and_then(|t| t.strip_prefix("socket:["))
                    .and_then(|t| t.strip_suffix(']'))
            {
                owners.insert(inode.to_string(), (pid, comm.clone()));
            }
        }
    }
    owners
}

pub(crate) fn processes(proc_dir: &Path) -> Vec<(u32, std::path::PathBuf)> {
    let Ok(entries) = fs::read_dir(proc_dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path())))
        .collect()
}

/// The `sessions` group: SSH sessions per user, and the users whose sshd processes have
/// no login in utmp (article 003: such a user is likely hacked).
pub fn sessions(host: &Host) -> SessionsFacts {
    let proc_dir = host.lexical("/proc");
    if !proc_dir.is_dir() || processes(&proc_dir).is_empty() {
        return SessionsFacts {
            note: Some("no processes under this root".into()),
            ..SessionsFacts::default()
        };
    }
    let mut sshd: BTreeMap<String, u64> = BTreeMap::new();
    for (_, dir) in processes(&proc_dir) {
        let Ok(cmdline) = read_head(&dir.join("cmdline"), CMDLINE_MAX) else {
            continue;
        };
        if let Some(user) = sshd_session_user(&String::from_utf8_lossy(&cmdline)) {
            *sshd.entry(user).or_default() += 1;
        }
    }
    let logins = utmp_logins(&host.lexical("/run/utmp"))
        .or_else(|| utmp_logins(&host.lexical("/var/run/utmp")));
    let logins = logins.unwrap_or_default();
    let uids = super::account::uids(host);
    let uid_min = super::account::host_uid_min(host);
    let users = sshd
        .iter()
        .map(|(user, n)| {
            let uid = uids.get(user).copied();
            SessionCount {
                user: user.clone(),
                sshd_sessions: *n,
                logins: logins.get(user).copied().unwrap_or(0),
                uid,
                // Not in passwd: nothing runbook may act on either.
                system: uid.is_none_or(|u| u < uid_min),
                flagged: !logins.contains_key(user),
            }
        })
        .collect();
    let flagged = sshd
        .keys()
        .filter(|u| !logins.contains_key(*u))
        .cloned()
        .collect();
    SessionsFacts {
        users: Some(users),
        flagged: Some(flagged),
        note: None,
    }
}

/// The user of an sshd session process: `sshd: alice@pts/0`, `sshd: alice@notty`, and
/// from OpenSSH 9.8 (Debian 13) `sshd-session: alice@pts/0`. The listener and
/// pre-authentication processes have none.
pub fn sshd_session_user(cmdline: &str) -> Option<String> {
    let title = cmdline.split('\0').next()?.trim();
    let rest = title
        .strip_prefix("sshd: ")
        .or_else(|| title.strip_prefix("sshd-session: "))?;
    let (user, tty) = rest.split_once('@')?;
    (!user.is_empty() && !user.contains(' ') && !tty.is_empty()).then(|| user.to_string())
}

/// Of a process's `comm` (16 bytes from the kernel) and `cmdline` (up to the argument
/// limit, megabytes) only this much is read: a name, an sshd title.
const COMM_MAX: u64 = 256;
const CMDLINE_MAX: u64 = 4096;

/// The first `max` bytes of a file.
pub(crate) fn read_head(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    crate::chase::open_regular(path)?
        .take(max)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Size of `struct utmp` on Linux (glibc, x86-64 and most 64-bit targets).
const UTMP_SIZE: usize = 384;
const USER_PROCESS: i32 = 7;

/// Logged-in users and their session counts from a utmp file.
pub fn utmp_logins(path: &Path) -> Option<HashMap<String, u64>> {
    // Record by record: utmp is writable by the utmp group, its size is not ours to trust.
    let mut file = BufReader::new(crate::chase::open_regular(path).ok()?);
    let mut logins = HashMap::new();
    let mut record = [0u8; UTMP_SIZE];
    while file.read_exact(&mut record).is_ok() {
        let kind = i32::from_le_bytes(record[0..4].try_into().ok()?);
        if kind != USER_PROCESS {
            continue;
        }
        // ut_user: 32 bytes at offset 44 (after type, pid, line[32], id[4]).
        let user = &record[44..76];
        let user =
            String::from_utf8_lossy(&user[..user.iter().position(|b| *b == 0).unwrap_or(32)])
                .into_owned();
        *logins.entry(user).or_default() += 1;
    }
    Some(logins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_addresses_read_as_text() {
        assert_eq!(hex_ip("0100007F"), "127.0.0.1");
        assert_eq!(hex_ip("1F02A8C0"), "192.168.2.31");
        assert_eq!(
            hex_ip("00000000000000000000000001000000"),
            "[0:0:0:0:0:0:0:1]"
        );
        // Garbage from a /proc under --root: no panic on multi-byte characters.
        assert_eq!(hex_ip("é0000000"), "é0000000");
        assert_eq!(hex_ip("0é00007F"), "0é00007F");
    }

    #[test]
    fn sshd_titles() {
        assert_eq!(
            sshd_session_user("sshd: alice@pts/0\0\0").as_deref(),
            Some("alice")
        );
        assert_eq!(sshd_session_user("sshd: bob@notty").as_deref(), Some("bob"));
        assert_eq!(sshd_session_user("sshd: alice [priv]"), None);
        // OpenSSH 9.8 and later (Debian 13), the title padded with spaces.
        assert_eq!(
            sshd_session_user("sshd-session: bob@pts/0                 ").as_deref(),
            Some("bob")
        );
        assert_eq!(sshd_session_user("sshd-session: bob [priv]   "), None);
        assert_eq!(
            sshd_session_user("sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"),
            None
        );
    }
}
