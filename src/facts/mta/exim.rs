//! Exim (Debian's exim4, and exim elsewhere): its layout, the `-H` files of its spool
//! (read by `facts/exim_spool.rs`), its mainlog lines, its services.

use std::path::Path;
use std::sync::LazyLock;

use memchr::memmem::Finder;

use super::{Layout, LogEvent, Mta, MtaKind, Service};
use crate::facts::exim_spool;
use crate::facts::logs::{Passwd, field};
use crate::facts::queue::{Failed, Longer, QueueFacts, summarize_listing};
use crate::host::Host;

pub struct Exim;

/// Exim `-H` files larger than this are listed as unreadable, not read: exim's own
/// `header_maxsize` (1 MiB by default) bounds the headers, and the rest is the envelope
/// (50,000 recipients of 60 bytes fit).
pub const EXIM_HEADER_FILE_MAX: u64 = 4 << 20;

const LAYOUT: Layout = Layout {
    binaries: &["/usr/sbin/exim4", "/usr/sbin/exim", "/usr/local/sbin/exim"],
    configs: &[
        "/etc/exim4/exim4.conf.template",
        "/etc/exim4/exim4.conf",
        "/etc/exim/exim.conf",
        "/etc/exim.conf",
    ],
    spools: &["/var/spool/exim4", "/var/spool/exim"],
    package: "exim4-base",
    processes: &["exim4", "exim"],
};

const SERVICES: &[Service] = &[
    Service {
        name: "exim4",
        test: &["exim4", "-bV"],
        reload: &["service", "exim4", "reload"],
        running: &["pidof", "exim4"],
    },
    Service {
        name: "exim",
        test: &["exim", "-bV"],
        reload: &["service", "exim", "reload"],
        running: &["pidof", "exim"],
    },
];

impl Mta for Exim {
    fn kind(&self) -> MtaKind {
        MtaKind::Exim
    }

    fn name(&self) -> &'static str {
        "exim"
    }

    fn layout(&self) -> &'static Layout {
        &LAYOUT
    }

    /// A running exim knows its spool best (`exim -bP spool_directory`): asked only on
    /// the live host, where the binary and its config are the ones that run.
    fn configured_spool(&self, host: &Host, binary: &str) -> Option<String> {
        if !host.is_live() || super::running(host, LAYOUT.processes) != Some(true) {
            return None;
        }
        let argv = [binary.to_string(), "-bP".into(), "spool_directory".into()];
        let out = crate::process::run(host, &argv, std::time::Duration::from_secs(10)).ok()?;
        out.success()
            .then(|| option_value(&out.stdout, "spool_directory"))
            .flatten()
    }

    fn read_queue(&self, spool: &Path, passwd: &Passwd) -> QueueFacts {
        read_queue(spool, passwd)
    }

    fn log_files(&self) -> &'static [&'static str] {
        &[
            "/var/log/exim4/mainlog",
            "/var/log/exim/mainlog",
            "/var/log/exim/main.log",
            "/var/log/exim_mainlog",
        ]
    }

    fn logs_to_journal(&self) -> bool {
        false
    }

    fn logs_submission_dirs(&self) -> bool {
        true
    }

    fn log_line<'a>(&self, body: &'a [u8], _raw: &'a [u8]) -> Option<LogEvent<'a>> {
        // Plain mainlog lines start with the date and time; relayed ones with the id.
        let body = strip_exim_time(body);
        // `[pid] ` (log_selector +pid), then the id: 16 characters, or 23 from 4.97.
        let body = match body.strip_prefix(b"[") {
            Some(rest) => {
                let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                rest[digits..].strip_prefix(b"] ").unwrap_or(body)
            }
            None => body,
        };
        // `cwd=DIR N args: ARGV` (exim.c, log_selector +arguments), logged before the
        // message has an id.
        if let Some(line) = body.strip_prefix(b"cwd=") {
            return submission_dir(line).map(LogEvent::SubmittedFrom);
        }
        let rest = [16, 23].into_iter().find_map(|len| {
            (body.get(len) == Some(&b' ') && exim_spool::is_message_id_bytes(&body[..len]))
                .then(|| &body[len + 1..])
        })?;
        // `** addr R=.. T=.. H=..: reason` failed, `== addr ... defer (errno): reason`
        // deferred (deliver.c's failure_log and deferral_log); a deferral that only says
        // the retry time has not come (log_selector +retry_defer) is no new attempt.
        if rest.starts_with(b"**") || rest.starts_with(b"==") {
            let reply = rest.splitn(2, |b| *b == b' ').nth(1).unwrap_or_default();
            let retry_skip = rest.starts_with(b"==")
                && memchr::memmem::find(reply, b"retry time not reached").is_some();
            // The reason follows the address and its fields (`R=`, `T=`, `H=host [ip]`,
            // `X=`) after `: `: an address or a host is no reason (`dmarc-reports@…`,
            // an MX at a filtering service named like a blocklist), and fewer bytes
            // are searched.
            static REASON: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b": "));
            let reason = REASON.find(reply).map_or(reply, |at| &reply[at + 2..]);
            (!retry_skip).then_some(LogEvent::Failure(reason))
        } else if rest.starts_with(b"<=") {
            // An SMTP login (`A=AUTHENTICATOR:LOGIN`, article 003's hacked mailbox) is
            // who sent it; a local submission has only `U=`.
            // Finders made once: one made per line was a sixth of the scan.
            static AUTH: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b" A="));
            static USER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b" U="));
            let login = field(rest, &AUTH)
                .and_then(|a| Some(a.split_once(':')?.1.to_string()))
                .filter(|login| !login.is_empty());
            login.or_else(|| field(rest, &USER)).map(LogEvent::Arrival)
        } else {
            None
        }
    }

    fn smtp_processes(&self) -> &'static [&'static str] {
        &["exim", "exim4"]
    }

    fn services(&self) -> &'static [Service] {
        SERVICES
    }
}

/// Read every message of an exim spool (`spool` is its real path) and summarize.
pub fn read_queue(spool: &Path, passwd: &Passwd) -> QueueFacts {
    let files = match exim_spool::HeaderFiles::open(spool) {
        Ok(files) => files,
        Err(e) => {
            let input = spool.join("input");
            return QueueFacts::error(format!("cannot read {}: {e}", input.display()));
        }
    };
    summarize_listing(&files, passwd, |path, _, reader| {
        if !reader.read_head(path, EXIM_HEADER_FILE_MAX, Longer::Refuse)? {
            return Err(Failed::Unreadable(format!(
                "larger than {EXIM_HEADER_FILE_MAX} bytes: not read"
            )));
        }
        Ok(exim_spool::parse(reader.bytes())?)
    })
}

/// The directory of a `cwd=` line (after `cwd=`), unless it is noise: exim's own
/// processes (run from its spool), cron and root's shell (`/`, `/root`), a failed
/// getcwd, the panels' own notices.
fn submission_dir(line: &[u8]) -> Option<&[u8]> {
    static ARGS: std::sync::LazyLock<regex::bytes::Regex> =
        std::sync::LazyLock::new(|| regex::bytes::Regex::new(r" [0-9]+ args:").expect("valid"));
    let dir = &line[..ARGS.find(line)?.start()];
    const NOISE: &[&[u8]] = &[b"/", b"/root", b" (failed)", b""];
    const NOISE_UNDER: &[&[u8]] = &[
        b"/var/spool/exim",
        b"/usr/local/mgr5",
        b"/usr/local/ispmgr",
        b"/usr/local/cpanel",
        b"/var/cpanel",
        b"/usr/local/psa",
    ];
    let noise = NOISE.contains(&dir)
        || NOISE_UNDER.iter().any(|n| dir.starts_with(n))
        || !dir.starts_with(b"/");
    (!noise).then_some(dir)
}

/// The value in `exim -bP NAME` output (`spool_directory = /var/spool/exim4`).
fn option_value(output: &str, name: &str) -> Option<String> {
    let value = output
        .trim()
        .strip_prefix(name)?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    value.starts_with('/').then(|| value.to_string())
}

/// Drop exim's own `YYYY-MM-DD HH:MM:SS` with its optional `.ffffff` fraction and
/// `+hhmm` zone (log_timezone), leaving the line from the message id on.
fn strip_exim_time(line: &[u8]) -> &[u8] {
    let dated = line.len() > 20
        && line[4] == b'-'
        && line[7] == b'-'
        && line[10] == b' '
        && line[13] == b':';
    if !dated {
        return line;
    }
    let mut rest = &line[19..];
    if rest.first() == Some(&b'.') {
        let digits = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        rest = &rest[1 + digits..];
    }
    rest = rest.strip_prefix(b" ").unwrap_or(rest);
    let zone = rest.len() > 5
        && matches!(rest[0], b'+' | b'-')
        && rest[1..5].iter().all(u8::is_ascii_digit)
        && rest[5] == b' ';
    if zone { &rest[6..] } else { rest }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/exim4-spool");

    #[test]
    fn an_smtp_login_is_the_arrivals_user() {
        let auth = b"2026-11-23 00:01:02 1xVHSt-0001Yb-2c <= info@shop.example H=(pc) [192.0.2.7] P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=dovecot_plain:info@shop.example S=812 id=x@pc\n";
        assert!(matches!(
            Exim.log_line(&auth[..auth.len() - 1], auth),
            Some(LogEvent::Arrival(u)) if u == "info@shop.example"
        ));
        let local = b"2026-11-23 00:01:02 1xVHSt-0001Yb-2c <= shop@vm U=shop P=local S=358\n";
        assert!(matches!(
            Exim.log_line(&local[..local.len() - 1], local),
            Some(LogEvent::Arrival(u)) if u == "shop"
        ));
    }

    #[test]
    fn exim_bp_output() {
        assert_eq!(
            option_value("spool_directory = /var/spool/exim4\n", "spool_directory").as_deref(),
            Some("/var/spool/exim4")
        );
        assert_eq!(option_value("spool_directory =\n", "spool_directory"), None);
        assert_eq!(
            option_value("exim: unknown option\n", "spool_directory"),
            None
        );
    }

    #[test]
    fn oversized_header_files_are_listed_and_the_rest_counted() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("input");
        fs::create_dir(&input).unwrap();
        let mut valid = 0;
        for entry in fs::read_dir(Path::new(FIXTURE).join("input")).unwrap() {
            let path = entry.unwrap().path();
            fs::copy(&path, input.join(path.file_name().unwrap())).unwrap();
            valid += u64::from(path.to_string_lossy().ends_with("-H"));
        }
        // A real file padded past the cap with a header of the right length.
        let mut big = fs::read(Path::new(FIXTURE).join("input/1xVHSh-0001Xe-1g-H")).unwrap();
        big = String::from_utf8(big)
            .unwrap()
            .replace("1xVHSh-0001Xe-1g-H", "1xVHSh-0001Zz-1g-H")
            .into_bytes();
        let text = format!("X-Pad: {}\n", "p".repeat(EXIM_HEADER_FILE_MAX as usize));
        big.extend(format!("{:03}  {text}", text.len()).bytes());
        fs::write(input.join("1xVHSh-0001Zz-1g-H"), &big).unwrap();
        assert!(exim_spool::parse(&big).is_ok(), "it would parse if read");
        let q = read_queue(dir.path(), &Passwd::default());
        assert_eq!(q.total, Some(valid));
        let unreadable = q.unreadable.unwrap();
        assert_eq!(unreadable.len(), 1, "{unreadable:?}");
        assert!(unreadable[0].reason.starts_with("larger than"));
    }
}
