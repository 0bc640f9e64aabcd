//! Reading queue files: as few system calls as a safe read allows, for 100,000 small
//! files at a time.

use std::ffi::OsStr;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::fcntl::{OFlag, open};
use nix::sys::stat::Mode;

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

/// Read at most `max` bytes of a file into `buf` with as few system calls as possible:
/// open, read, close (`fs::read` adds a stat and a second read to find the end).
/// Whether that was the whole file.
pub(crate) fn read_head(
    path: &Path,
    max: u64,
    longer: Longer,
    buf: &mut Vec<u8>,
) -> io::Result<bool> {
    let file = crate::chase::open_regular(path)?;
    buf.clear();
    buf.resize(READ_SIZE, 0);
    let (n, whole) = read_into(file, max, longer, buf)?;
    buf.truncate(n);
    Ok(whole)
}

/// One reader thread's way to its queue files. The directory of the last file is
/// kept open and the next file in it opened relative to it, so the kernel walks one
/// name, not the spool's whole path again (a tenth of a warm scan of 100,000 files);
/// and its buffer stays sized and initialised across files (zeroing 16 KiB per file
/// cost more than parsing the file).
pub(crate) struct QueueFileReader {
    /// The directory last read from, by the path its files were listed under.
    dir: Option<(Vec<u8>, OwnedFd)>,
    buf: Vec<u8>,
    /// Bytes of `buf` the last read filled.
    len: usize,
}

impl Default for QueueFileReader {
    fn default() -> QueueFileReader {
        QueueFileReader {
            dir: None,
            buf: vec![0; READ_SIZE],
            len: 0,
        }
    }
}

impl QueueFileReader {
    /// Open a queue file found by listing its directory, if it is a regular file (as
    /// [`crate::chase::open_regular`]: no symlink followed, FIFOs and devices refused).
    pub fn open(&mut self, path: &Path) -> io::Result<std::fs::File> {
        // Split at the last slash by hand: `Path::parent` parses every component, and
        // this runs once per queued message.
        let bytes = path.as_os_str().as_bytes();
        let (parent, name) = match memchr::memrchr(b'/', bytes) {
            Some(0) => (&b"/"[..], &bytes[1..]),
            Some(slash) => (&bytes[..slash], &bytes[slash + 1..]),
            None => return crate::chase::open_regular(path),
        };
        if name.is_empty() {
            return crate::chase::open_regular(path);
        }
        if self
            .dir
            .as_ref()
            .is_none_or(|(dir, _)| dir.as_slice() != parent)
        {
            // Followed as the whole path was: the spool's own path is the MTA's.
            let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
            let fd = open(OsStr::from_bytes(parent), flags, Mode::empty())?;
            self.dir = Some((parent.to_vec(), fd));
        }
        let (_, fd) = self.dir.as_ref().expect("set above");
        crate::chase::open_regular_at(fd.as_fd(), OsStr::from_bytes(name))
    }

    /// [`read_head`] through [`QueueFileReader::open`], into this reader's buffer
    /// ([`QueueFileReader::bytes`]).
    pub fn read_head(&mut self, path: &Path, max: u64, longer: Longer) -> io::Result<bool> {
        self.len = 0;
        let file = self.open(path)?;
        // Only a longer file than the last grows the buffer; a shorter one needs no
        // zeroing, the bytes past it are never read.
        if self.buf.len() < READ_SIZE {
            self.buf.resize(READ_SIZE, 0);
        }
        let mut buf = std::mem::take(&mut self.buf);
        let read = read_into(file, max, longer, &mut buf);
        self.buf = buf;
        let (n, whole) = read?;
        self.len = n;
        Ok(whole)
    }

    /// What the last [`QueueFileReader::read_head`] read.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Read `file` into `buf` (at least [`READ_SIZE`] long, its bytes initialised): the
/// bytes read, at most `max`, and whether that was the whole file.
fn read_into(
    mut file: std::fs::File,
    max: u64,
    longer: Longer,
    buf: &mut Vec<u8>,
) -> io::Result<(usize, bool)> {
    let n = file.read(&mut buf[..READ_SIZE])?;
    // A short read of a regular file is its end; a full one may have more behind it.
    if n < READ_SIZE {
        return Ok((n, n as u64 <= max));
    }
    let len = file.metadata().map_or(0, |m| m.len());
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
        let mut buf = Vec::new();
        let max = 2 * READ_SIZE as u64;
        assert!(!read_head(&path, max, Longer::Cut, &mut buf).unwrap());
        assert_eq!(buf.len(), 2 * READ_SIZE);
        assert!(!read_head(&path, max, Longer::Refuse, &mut buf).unwrap());
        assert!(buf.len() <= READ_SIZE, "not read past the first block");
        for longer in [Longer::Cut, Longer::Refuse] {
            assert!(read_head(&path, 3 * READ_SIZE as u64, longer, &mut buf).unwrap());
            assert_eq!(buf.len(), 3 * READ_SIZE);
        }
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
