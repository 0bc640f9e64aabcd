//! Reading queue files: as few system calls as a safe read allows, for 100,000 small
//! files at a time.

use std::ffi::OsStr;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::fcntl::{OFlag, open};
use nix::sys::stat::{FileStat, Mode, fstat};

/// Most queue files are under 4 KiB; one read of this size usually takes the whole file.
pub(crate) const READ_SIZE: usize = 16 * 1024;

/// What [`read_head`] does with a file longer than its cap.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Longer {
    /// Read the first `max` bytes (a qmail message's headers).
    Cut,
    /// Read no further: the caller needs whole files (an exim `-H` file).
    Refuse,
}

/// One reader thread's way to its queue files. The directories of the last files are
/// kept open and the next file in one opened relative to it, so the kernel walks one
/// name, not the spool's whole path again (a tenth of a warm scan of 100,000 files);
/// and its buffers stay sized and initialised across files (zeroing 16 KiB per file
/// cost more than parsing the file).
///
/// A message whose envelope is in files beside it (qmail's `info`, `local`, `remote`)
/// reads each into a slot of its own: slot 0 is the message, [`QueueFileReader::bytes`].
#[derive(Default)]
pub(crate) struct QueueFileReader {
    /// The directories last read from, by the path their files were listed under, the
    /// latest first; at most [`DIRS_HELD`].
    dirs: Vec<(Vec<u8>, OwnedFd)>,
    slots: Vec<Slot>,
}

/// Directories a reader holds open: a qmail message's files are in four (`mess`,
/// `info`, `local`, `remote`, split alike) and its `todo` in one or two more.
const DIRS_HELD: usize = 8;

/// A slot's buffer larger than this is not kept for the next file.
const KEPT_MAX: usize = 4 * READ_SIZE;

/// One file's bytes as last read, and its modification time.
#[derive(Default)]
struct Slot {
    buf: Vec<u8>,
    /// Bytes of `buf` the last read filled.
    len: usize,
    modified: Option<std::time::SystemTime>,
}

impl QueueFileReader {
    /// Open a queue file found by listing its directory, if it is a regular file (as
    /// [`crate::chase::open_regular`]: no symlink followed, FIFOs and devices refused).
    pub fn open(&mut self, path: &Path) -> io::Result<std::fs::File> {
        self.open_stat(path).map(|(file, _)| file)
    }

    /// The same, with the file's status.
    fn open_stat(&mut self, path: &Path) -> io::Result<(std::fs::File, FileStat)> {
        // Split at the last slash by hand: `Path::parent` parses every component, and
        // this runs once per queue file.
        let bytes = path.as_os_str().as_bytes();
        let (parent, name) = match memchr::memrchr(b'/', bytes) {
            Some(0) => (&b"/"[..], &bytes[1..]),
            Some(slash) => (&bytes[..slash], &bytes[slash + 1..]),
            None => (&b"."[..], bytes),
        };
        if name.is_empty() {
            let file = crate::chase::open_regular(path)?;
            let stat = fstat(file.as_fd())?;
            return Ok((file, stat));
        }
        let dir = self.dir(parent)?;
        crate::chase::open_regular_at_stat(dir, OsStr::from_bytes(name))
    }

    /// The directory `parent`, held open: found among the held ones (and made the
    /// latest), or opened, the least recently used one closed if too many are held.
    fn dir(&mut self, parent: &[u8]) -> io::Result<BorrowedFd<'_>> {
        match self
            .dirs
            .iter()
            .position(|(dir, _)| dir.as_slice() == parent)
        {
            Some(i) => self.dirs[..=i].rotate_right(1),
            None => {
                // Followed as the whole path was: the spool's own path is the MTA's.
                let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
                let fd = open(OsStr::from_bytes(parent), flags, Mode::empty())?;
                self.dirs.truncate(DIRS_HELD - 1);
                self.dirs.insert(0, (parent.to_vec(), fd));
            }
        }
        Ok(self.dirs[0].1.as_fd())
    }

    /// [`read_head`] through [`QueueFileReader::open`], into this reader's buffer
    /// ([`QueueFileReader::bytes`]).
    pub fn read_head(&mut self, path: &Path, max: u64, longer: Longer) -> io::Result<bool> {
        self.read_slot(0, path, max, longer)
    }

    /// The same into slot `slot` (kept until that slot is read again).
    pub fn read_slot(
        &mut self,
        slot: usize,
        path: &Path,
        max: u64,
        longer: Longer,
    ) -> io::Result<bool> {
        if self.slots.len() <= slot {
            self.slots.resize_with(slot + 1, Slot::default);
        }
        self.slots[slot].len = 0;
        self.slots[slot].modified = None;
        let (file, stat) = self.open_stat(path)?;
        let slot = &mut self.slots[slot];
        // Only a longer file than the last grows the buffer; a shorter one needs no
        // zeroing, the bytes past it are never read. One grown past a few reads' size
        // for a long file is let go, so a thread does not keep the caps' worth of
        // memory for every slot after the one long file it met.
        if slot.buf.len() < READ_SIZE || slot.buf.capacity() > KEPT_MAX {
            slot.buf = vec![0; READ_SIZE];
        }
        let (n, whole) = read_into(file, Some(stat.st_size as u64), max, longer, &mut slot.buf)?;
        slot.len = n;
        slot.modified = modified(&stat);
        Ok(whole)
    }

    /// What the last [`QueueFileReader::read_head`] read.
    pub fn bytes(&self) -> &[u8] {
        self.slot_bytes(0)
    }

    /// What the last read into `slot` read (nothing if it failed).
    pub fn slot_bytes(&self, slot: usize) -> &[u8] {
        self.slots.get(slot).map_or(&[], |s| &s.buf[..s.len])
    }

    /// The modification time of the file last read into `slot`.
    pub fn modified(&self, slot: usize) -> Option<std::time::SystemTime> {
        self.slots.get(slot)?.modified
    }
}

fn modified(stat: &FileStat) -> Option<std::time::SystemTime> {
    let secs = u64::try_from(stat.st_mtime).ok()?;
    let nanos = u32::try_from(stat.st_mtime_nsec).ok()?;
    std::time::UNIX_EPOCH.checked_add(std::time::Duration::new(secs, nanos))
}

/// Read `file` into `buf` (at least [`READ_SIZE`] long, its bytes initialised): the
/// bytes read, at most `max`, and whether that was the whole file. `len` is its size
/// when the caller has its status already.
fn read_into(
    mut file: std::fs::File,
    len: Option<u64>,
    max: u64,
    longer: Longer,
    buf: &mut Vec<u8>,
) -> io::Result<(usize, bool)> {
    // A file that says it is longer than it may be is not read at all.
    if longer == Longer::Refuse && len.is_some_and(|len| len > max) {
        return Ok((0, false));
    }
    let n = file.read(&mut buf[..READ_SIZE])?;
    // A short read of a regular file is its end; a full one may have more behind it.
    if n < READ_SIZE {
        return Ok((n.min(max as usize), n as u64 <= max));
    }
    let len = len.unwrap_or_else(|| file.metadata().map_or(0, |m| m.len()));
    if len > max && longer == Longer::Refuse {
        return Ok((n, false));
    }
    buf.truncate(n);
    // Size the buffer once: doubling would cost twice the cap, and in a thread's heap
    // the copies stay resident.
    buf.reserve_exact((len.min(max) as usize + 1).saturating_sub(n));
    file.take(max.saturating_sub(n as u64) + 1)
        .read_to_end(buf)?;
    let whole = buf.len() as u64 <= max;
    let kept = buf.len().min(max as usize);
    Ok((kept, whole))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn read_head_stops_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, vec![b'x'; 3 * READ_SIZE]).unwrap();
        let mut reader = QueueFileReader::default();
        let max = 2 * READ_SIZE as u64;
        assert!(!reader.read_head(&path, max, Longer::Cut).unwrap());
        assert_eq!(reader.bytes().len(), 2 * READ_SIZE);
        assert!(!reader.read_head(&path, max, Longer::Refuse).unwrap());
        assert!(reader.bytes().is_empty(), "not read: it says it is longer");
        for longer in [Longer::Cut, Longer::Refuse] {
            assert!(
                reader
                    .read_head(&path, 3 * READ_SIZE as u64, longer)
                    .unwrap()
            );
            assert_eq!(reader.bytes().len(), 3 * READ_SIZE);
        }
        // A cap under one read's size cuts there too.
        fs::write(&path, b"0123456789").unwrap();
        assert!(!reader.read_head(&path, 4, Longer::Cut).unwrap());
        assert_eq!(reader.bytes(), b"0123");
    }

    /// Slots keep their own file's bytes and time while other slots are read, and more
    /// directories than are held open are opened again, not mixed up.
    #[test]
    fn slots_and_held_directories() {
        let dir = tempfile::tempdir().unwrap();
        let dirs: Vec<_> = (0..DIRS_HELD + 3)
            .map(|i| {
                let d = dir.path().join(format!("d{i}"));
                fs::create_dir(&d).unwrap();
                fs::write(d.join("f"), format!("in d{i}")).unwrap();
                d
            })
            .collect();
        let mut reader = QueueFileReader::default();
        for round in 0..2 {
            for (i, d) in dirs.iter().enumerate() {
                let slot = (i + round) % 3;
                assert!(
                    reader
                        .read_slot(slot, &d.join("f"), 64, Longer::Refuse)
                        .unwrap()
                );
                assert_eq!(reader.slot_bytes(slot), format!("in d{i}").as_bytes());
                assert!(reader.modified(slot).is_some());
            }
            assert!(reader.dirs.len() <= DIRS_HELD);
        }
        // The latest directory is first; one read again moves to the front.
        assert!(
            reader
                .read_slot(0, &dirs[5].join("f"), 64, Longer::Refuse)
                .unwrap()
        );
        assert_eq!(reader.dirs[0].0, dirs[5].as_os_str().as_bytes());
        let gone = reader.read_slot(1, &dirs[0].join("none"), 64, Longer::Cut);
        assert_eq!(gone.unwrap_err().kind(), io::ErrorKind::NotFound);
        assert_eq!(
            reader.slot_bytes(1),
            b"",
            "a failed read leaves its slot empty"
        );
        assert_eq!(reader.modified(1), None);
        assert_eq!(reader.slot_bytes(7), b"", "a slot never read is empty");
    }

    /// The reader gives each file's own bytes, a short one after a long one included,
    /// across directories, and refuses what `open_regular` refuses.
    #[test]
    fn the_reader_reads_each_file_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        fs::create_dir_all(&a).unwrap();
        fs::create_dir_all(&b).unwrap();
        let long = vec![b'L'; 2 * READ_SIZE + 7];
        fs::write(a.join("long"), &long).unwrap();
        fs::write(a.join("short"), b"short\n").unwrap();
        fs::write(b.join("other"), b"other dir\n").unwrap();
        std::os::unix::fs::symlink(a.join("short"), a.join("link")).unwrap();
        nix::unistd::mkfifo(&a.join("fifo"), Mode::S_IRWXU).unwrap();
        let mut reader = QueueFileReader::default();
        let max = 4 * READ_SIZE as u64;
        assert!(
            reader
                .read_head(&a.join("long"), max, Longer::Refuse)
                .unwrap()
        );
        assert_eq!(reader.bytes(), long);
        assert!(
            reader
                .read_head(&a.join("short"), max, Longer::Refuse)
                .unwrap()
        );
        assert_eq!(reader.bytes(), b"short\n");
        assert!(
            reader
                .read_head(&b.join("other"), max, Longer::Refuse)
                .unwrap()
        );
        assert_eq!(reader.bytes(), b"other dir\n");
        assert!(
            !reader
                .read_head(&a.join("long"), 10, Longer::Refuse)
                .unwrap()
        );
        assert!(!reader.read_head(&a.join("long"), 10, Longer::Cut).unwrap());
        assert_eq!(reader.bytes(), b"LLLLLLLLLL");
        for refused in ["link", "fifo"] {
            let e = reader
                .read_head(&a.join(refused), max, Longer::Cut)
                .unwrap_err();
            assert!(
                e.to_string().contains("not a regular file"),
                "{refused}: {e}"
            );
            assert_eq!(reader.bytes(), b"", "{refused}: nothing read");
        }
        let gone = reader
            .read_head(&a.join("gone"), max, Longer::Cut)
            .unwrap_err();
        assert_eq!(gone.kind(), io::ErrorKind::NotFound);
    }
}
