//! exim's queue acted on as exim itself does (`queue.c`, `spool_in.c`): a message is
//! taken only while runbook holds the lock exim's deliveries take on its `-D` file (a
//! write lock on the file's first line, the id's), so one being delivered is skipped,
//! never torn. `-H` leaves first (queue runners and `exim -bp` list `-H` files), then
//! `-J`, the msglog and `-D` last, under the lock; restore puts them back in the reverse
//! order, in `input/` or its split subdirectory as `split_spool_directory` says.

use std::fs;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{
    Keep, Listing, QueueOps, Queued, Requeued, Restored, RetryCommand, Taken, create_dir_like,
    id_commands, move_file, read_all, read_whole, take_each,
};
use crate::facts::exim_spool;
use crate::facts::mta::exim::EXIM_HEADER_FILE_MAX;
use crate::host::Host;

pub struct Exim;

impl QueueOps for Exim {
    fn list(&self, spool: &Path, keep: Keep) -> Result<Listing> {
        list(spool, keep)
    }

    fn dirs(&self) -> &'static [&'static str] {
        &["input", "msglog"]
    }

    fn id_of(&self, dir: &str, name: &str) -> Option<String> {
        match dir {
            "input" => ["-H", "-D", "-J"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .map(str::to_string),
            _ => Some(name.to_string()),
        }
    }

    fn take_all(
        &self,
        _host: &Host,
        spool: &Path,
        dir: &Path,
        messages: &[Queued],
        each: &mut dyn FnMut(&Queued, Taken) -> Result<()>,
    ) -> Result<()> {
        take_each(messages, each, |id| take(spool, id, dir))
    }

    fn restore_all(
        &self,
        host: &Host,
        spool: &Path,
        binary: &str,
        dir: &Path,
        ids: &[String],
        _manifest: &[Queued],
    ) -> Result<Requeued> {
        let mut out = Requeued::default();
        if ids.is_empty() {
            return Ok(out);
        }
        // Where `split_spool_directory` says; exim also finds them flat if unsure.
        let split = split(host, binary).unwrap_or(false);
        for id in ids {
            let r = put_back(spool, id, dir, split)
                .with_context(|| format!("cannot requeue message {id}"))?;
            out.add(id, r);
        }
        Ok(out)
    }

    /// Thaw the frozen ones (`-Mt`, undone by `-Mf`), then a delivery attempt of all
    /// (`-M`, which nothing undoes).
    fn retry_commands(&self, binary: &str, messages: &[Queued]) -> Vec<RetryCommand> {
        let frozen: Vec<&Queued> = messages.iter().filter(|m| m.frozen).collect();
        let all: Vec<&Queued> = messages.iter().collect();
        let thaw = id_commands(&[binary, "-Mt"], None, &frozen);
        let freeze = id_commands(&[binary, "-Mf"], None, &frozen);
        let mut out: Vec<RetryCommand> = thaw
            .into_iter()
            .zip(freeze)
            .map(|(argv, undo)| RetryCommand {
                argv,
                undo: Some(undo),
            })
            .collect();
        out.extend(
            id_commands(&[binary, "-M"], None, &all)
                .into_iter()
                .map(|argv| RetryCommand { argv, undo: None }),
        );
        out
    }

    fn is_queued(&self, spool: &Path, id: &str) -> bool {
        is_queued(spool, id)
    }
}

/// Every message in the spool's `input` (flat and split).
pub fn list(spool: &Path, keep: Keep) -> Result<Listing> {
    let files = exim_spool::header_files(spool)
        .with_context(|| format!("cannot read {}", spool.join("input").display()))?;
    let files: Vec<(PathBuf, bool)> = files.into_iter().map(|f| (f, false)).collect();
    Ok(read_all(&files, keep, |path, _, reader| {
        read_whole(path, EXIM_HEADER_FILE_MAX, reader)?;
        Ok(exim_spool::parse(reader.bytes())?)
    }))
}

/// The split subdirectory of an id: its sixth character (`MESSAGE_ID_TIME_LEN - 1`).
fn subdir(id: &str) -> &str {
    &id[5..6]
}

/// Move message `id` out of the spool at `spool` (real path) into `quarantine`.
pub fn take(spool: &Path, id: &str, quarantine: &Path) -> io::Result<Taken> {
    if !exim_spool::is_message_id(id) {
        return Err(io::Error::other(format!("`{id}` is no exim message id")));
    }
    let input = spool.join("input");
    // Where exim looks: the split subdirectory, then `input` itself (spool_open_datafile).
    let mut found = None;
    for dir in [input.join(subdir(id)), input.clone()] {
        match open_data(&dir.join(format!("{id}-D"))) {
            Ok(file) => {
                found = Some((dir, file));
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            // exim never makes one (it opens -D with O_NOFOLLOW too): planted, left alone.
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Ok(Taken::Busy(
                    "its -D file is a symlink, not exim's: left alone",
                ));
            }
            Err(e) => return Err(e),
        }
    }
    let Some((dir, data)) = found else {
        return Ok(Taken::Gone);
    };
    if !lock_first_line(&data, id)? {
        return Ok(Taken::Busy("being delivered (exim holds its lock)"));
    }
    let q_input = quarantine.join("input");
    if !move_file(
        &dir.join(format!("{id}-H")),
        &q_input.join(format!("{id}-H")),
    )? {
        // Delivered and removed between our open and lock: only its -D was left.
        return Ok(Taken::Gone);
    }
    move_file(
        &dir.join(format!("{id}-J")),
        &q_input.join(format!("{id}-J")),
    )?;
    let msglog = spool.join("msglog");
    for from in [msglog.join(subdir(id)).join(id), msglog.join(id)] {
        if move_file(&from, &quarantine.join("msglog").join(id))? {
            break;
        }
    }
    move_file(
        &dir.join(format!("{id}-D")),
        &q_input.join(format!("{id}-D")),
    )?;
    // The lock goes with the descriptor, after every file left.
    drop(data);
    Ok(Taken::Moved)
}

/// Put message `id` back from `quarantine` into the spool, `-D` first and `-H` last,
/// into the split subdirectory when `split`.
pub fn put_back(spool: &Path, id: &str, quarantine: &Path, split: bool) -> io::Result<Restored> {
    if !exim_spool::is_message_id(id) {
        return Err(io::Error::other(format!("`{id}` is no exim message id")));
    }
    let input = spool.join("input");
    let msglog = spool.join("msglog");
    let (dir, log_dir) = if split {
        (input.join(subdir(id)), msglog.join(subdir(id)))
    } else {
        (input.clone(), msglog.clone())
    };
    let q_input = quarantine.join("input");
    let held = ["-D", "-H", "-J"]
        .iter()
        .any(|s| q_input.join(format!("{id}{s}")).exists());
    if !held && !quarantine.join("msglog").join(id).exists() {
        return Ok(Restored::Absent);
    }
    for d in [input.join(subdir(id)), input.clone()] {
        if d.join(format!("{id}-H")).exists() || d.join(format!("{id}-D")).exists() {
            return Ok(Restored::Collides);
        }
    }
    create_dir_like(&dir, &input)?;
    move_file(
        &q_input.join(format!("{id}-D")),
        &dir.join(format!("{id}-D")),
    )?;
    let log = quarantine.join("msglog").join(id);
    if log.exists() {
        create_dir_like(&log_dir, &msglog)?;
        move_file(&log, &log_dir.join(id))?;
    }
    move_file(
        &q_input.join(format!("{id}-J")),
        &dir.join(format!("{id}-J")),
    )?;
    move_file(
        &q_input.join(format!("{id}-H")),
        &dir.join(format!("{id}-H")),
    )?;
    Ok(Restored::Restored)
}

/// Open a `-D` file as exim does: read-write (a write lock needs it), no link followed.
fn open_data(path: &Path) -> io::Result<fs::File> {
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Take exim's lock on a `-D` file: a write lock on its first line (`ID-D\n`, the
/// length `spool_data_start_offset` gives), without waiting. `false`: exim holds it.
fn lock_first_line(file: &fs::File, id: &str) -> io::Result<bool> {
    let lock = libc::flock {
        l_type: libc::F_WRLCK as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: (id.len() + 3) as libc::off_t,
        l_pid: 0,
    };
    // SAFETY: F_SETLK with a valid descriptor and a flock that lives across the call.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &lock) } == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EAGAIN) | Some(libc::EACCES) => Ok(false),
        _ => Err(e),
    }
}

/// Whether the host's exim splits its spool (`exim -bP split_spool_directory`); `None`
/// when exim cannot say (not installed, failed).
pub fn split(host: &Host, binary: &str) -> Option<bool> {
    let argv = [binary, "-bP", "split_spool_directory"].map(String::from);
    let out = crate::process::run(host, &argv, std::time::Duration::from_secs(30)).ok()?;
    if !out.success() {
        return None;
    }
    // Booleans print as `split_spool_directory` or `no_split_spool_directory`.
    match out.stdout.trim() {
        "split_spool_directory" => Some(true),
        "no_split_spool_directory" => Some(false),
        _ => None,
    }
}

/// Whether message `id` is in the spool (its `-H`, flat or split).
pub fn is_queued(spool: &Path, id: &str) -> bool {
    exim_spool::is_message_id(id)
        && [spool.join("input").join(subdir(id)), spool.join("input")]
            .iter()
            .any(|d| d.join(format!("{id}-H")).is_file())
}
