//! `arrival_rate`: the messages the MTA's log says were submitted on the host (local
//! users, SMTP logins) since the apply, per minute. Where the log was is marked before
//! anything changes; each sample reads only what was written after the mark.

use std::io::{BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::chase::open_regular;
use crate::facts::Facts;
use crate::facts::logs::{LogSource, Passwd, Scan};
use crate::facts::mta::{self, Mta};
use crate::host::Host;

/// Where the MTA's log ended when the run began.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogMark {
    /// `mta.kind`: whose lines to read.
    pub mta: String,
    /// Unix seconds of the mark.
    pub at: i64,
    #[serde(flatten)]
    pub place: Place,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum Place {
    /// A log file, by host path, and the inode and size it had.
    File {
        file: String,
        dev: u64,
        ino: u64,
        offset: u64,
    },
    /// The systemd journal: read from the mark's time on.
    Journal,
}

/// Submitters listed in a failed check's numbers.
const SHOWN: usize = 5;

/// Mark the end of the host's MTA log now; `None` with no MTA or no log.
pub fn mark(host: &Host, facts: &Facts) -> Option<LogMark> {
    let mta = facts
        .get("mta.kind")
        .and_then(Value::as_str)
        .and_then(mta::by_name)?;
    let place = match LogSource::find(host, mta)? {
        LogSource::File(file) => {
            let meta = open_regular(&host.resolve(&file).ok()?)
                .ok()?
                .metadata()
                .ok()?;
            Place::File {
                file,
                dev: meta.dev(),
                ino: meta.ino(),
                offset: meta.len(),
            }
        }
        LogSource::Journal(_) => Place::Journal,
    };
    Some(LogMark {
        mta: mta.name().to_string(),
        at: jiff::Timestamp::now().as_second(),
        place,
    })
}

/// Submissions logged since `mark`, by submitter: (total, the submitters most first).
pub fn since(host: &Host, mark: &LogMark) -> Result<(u64, Vec<(String, u64)>), String> {
    let mta: &'static dyn Mta =
        mta::by_name(&mark.mta).ok_or_else(|| format!("unknown MTA `{}`", mark.mta))?;
    let mut scan = Scan::new(Some(mta), Passwd::read(host));
    match &mark.place {
        Place::File {
            file,
            dev,
            ino,
            offset,
        } => {
            let real = host.resolve(file).map_err(|e| format!("{file}: {e}"))?;
            let mut f = open_regular(&real).map_err(|e| format!("{file}: {e}"))?;
            let meta = f.metadata().map_err(|e| format!("{file}: {e}"))?;
            // Rotated (another inode) or truncated since the mark: all of it is new.
            let same = meta.dev() == *dev && meta.ino() == *ino && meta.len() >= *offset;
            let from = if same { *offset } else { 0 };
            f.seek(SeekFrom::Start(from))
                .map_err(|e| format!("{file}: {e}"))?;
            scan.read(BufReader::with_capacity(1 << 20, f));
        }
        Place::Journal => {
            let journal = crate::facts::journal::Journal::find(host)
                .ok_or_else(|| "the journal is gone".to_string())?;
            let lines = journal
                .mail_lines(Some(mark.at))
                .map_err(|e| e.to_string())?;
            scan.read(lines);
        }
    }
    let mut by: Vec<(String, u64)> = scan.arrivals.into_iter().collect();
    by.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok((by.iter().map(|(_, n)| n).sum(), by))
}

/// The check: at most `max` submissions a minute since the mark (a window shorter than
/// a minute counts as one, so a burst right after the apply is not scaled up).
pub fn judge(host: &Host, mark: Option<&LogMark>, max: u64) -> (Value, bool, String) {
    let Some(mark) = mark else {
        let why = "no mail log was found when the run began: nothing to count arrivals in";
        return (Value::Null, false, why.into());
    };
    let (total, by) = match since(host, mark) {
        Ok(found) => found,
        Err(e) => {
            return (
                Value::Null,
                false,
                format!("the mail log cannot be read: {e}"),
            );
        }
    };
    let elapsed = (jiff::Timestamp::now().as_second() - mark.at).max(0) as u64;
    let minutes = elapsed.max(60) as f64 / 60.0;
    let rate = total as f64 / minutes;
    let ok = rate <= max as f64;
    let shown: Vec<String> = by
        .iter()
        .take(SHOWN)
        .map(|(who, n)| format!("{who} ({n})"))
        .collect();
    let mut detail = format!(
        "{total} message(s) submitted in {elapsed}s since the run began: {rate:.1}/min, at most {max}/min allowed"
    );
    if !shown.is_empty() {
        detail.push_str(&format!("; by {}", shown.join(", ")));
    }
    let value = json!({
        "submitted": total,
        "seconds": elapsed,
        "per_minute": (rate * 10.0).round() / 10.0,
        "by": by.iter().take(SHOWN).map(|(who, n)| json!({ "user": who, "count": n })).collect::<Vec<_>>(),
    });
    (value, ok, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBMITTED: &str =
        "2026-12-03 10:00:01 1vQx2a-000Abc-Ab <= www@shop.example U=www-data P=local S=400\n";
    const INBOUND: &str = "2026-12-03 10:00:02 1vQx2b-000Abc-Ab <= a@b.example H=mx.b.example [192.0.2.1] P=esmtp S=900\n";

    fn host_with_log(text: &str) -> (tempfile::TempDir, Host) {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("var/log/exim4")).unwrap();
        std::fs::write(tmp.path().join("var/log/exim4/mainlog"), text).unwrap();
        std::fs::create_dir_all(tmp.path().join("etc")).unwrap();
        std::fs::write(
            tmp.path().join("etc/passwd"),
            "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n",
        )
        .unwrap();
        let host = Host::new(tmp.path());
        (tmp, host)
    }

    fn mark_of(host: &Host) -> LogMark {
        let real = host.resolve("/var/log/exim4/mainlog").unwrap();
        let meta = std::fs::metadata(real).unwrap();
        LogMark {
            mta: "exim".into(),
            at: jiff::Timestamp::now().as_second(),
            place: Place::File {
                file: "/var/log/exim4/mainlog".into(),
                dev: meta.dev(),
                ino: meta.ino(),
                offset: meta.len(),
            },
        }
    }

    fn append(host: &Host, text: &str) {
        use std::io::Write;
        let real = host.resolve("/var/log/exim4/mainlog").unwrap();
        let mut f = std::fs::OpenOptions::new().append(true).open(real).unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn only_submissions_after_the_mark_count() {
        let (_tmp, host) = host_with_log(&SUBMITTED.repeat(40));
        let mark = mark_of(&host);
        append(&host, &format!("{}{INBOUND}", SUBMITTED.repeat(3)));
        let (total, by) = since(&host, &mark).unwrap();
        assert_eq!((total, by), (3, vec![("www-data".to_string(), 3)]));
        let (value, ok, detail) = judge(&host, Some(&mark), 2);
        assert!(!ok, "{detail}");
        assert_eq!(value["submitted"], 3);
        assert!(
            detail.contains("3.0/min, at most 2/min allowed; by www-data (3)"),
            "{detail}"
        );
        assert!(judge(&host, Some(&mark), 3).1);
    }

    #[test]
    fn a_rotated_log_is_read_whole() {
        let (_tmp, host) = host_with_log(&SUBMITTED.repeat(10));
        let mark = mark_of(&host);
        let real = host.resolve("/var/log/exim4/mainlog").unwrap();
        std::fs::rename(&real, real.with_extension("1")).unwrap();
        std::fs::write(&real, SUBMITTED).unwrap();
        assert_eq!(since(&host, &mark).unwrap().0, 1);
    }

    #[test]
    fn no_log_is_no_proof() {
        let (_tmp, host) = host_with_log("");
        let (value, ok, detail) = judge(&host, None, 10);
        assert!(!ok);
        assert_eq!(value, Value::Null);
        assert!(detail.starts_with("no mail log was found"), "{detail}");
    }
}
