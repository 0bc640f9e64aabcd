//! A log file read in byte ranges on every core at once: each range is the lines that
//! start in it, read with positioned reads into one buffer, lines handed out as slices
//! of it (copied only when one crosses the buffer's end). A 1 GB mainlog is read as
//! fast as the cores scan it, where one thread left the other core idle.

use std::fs::File;
use std::os::unix::fs::FileExt;

use super::logs::LOG_LINE_MAX;

/// Bytes read at once per range.
const BUF: usize = 1 << 20;
/// Files smaller than this are read in one range: threads cost more than they save.
const PARALLEL_MIN: u64 = 8 << 20;

/// What reads the lines of a range.
pub trait Lines {
    /// The bytes that hold every line handed to [`Lines::line`] until the next call:
    /// a reader can search them once instead of each line (a needle that is not there).
    fn chunk(&mut self, bytes: &[u8]);
    /// One line, its newline included.
    fn line(&mut self, line: &[u8]);
}

/// Split `len` bytes into up to `threads` ranges `(start, end)`, in file order.
pub fn ranges(len: u64, threads: usize) -> Vec<(u64, u64)> {
    let n = if len < PARALLEL_MIN {
        1
    } else {
        threads.max(1) as u64
    };
    let step = len.div_ceil(n).max(1);
    (0..n)
        .map(|i| (i * step, ((i + 1) * step).min(len)))
        .filter(|(start, end)| start < end || len == 0)
        .collect()
}

/// Hand `to` every line (newline included) that starts in `[start, end)` of `source`, of
/// at most [`LOG_LINE_MAX`] bytes; longer ones are passed over and counted (returned).
/// `read` is told the bytes consumed, for progress. A line that starts
/// before `end` is read to its end past it; one that starts before `start` belongs to
/// the range before. An I/O error ends the range with what was read.
pub fn for_each_line_in(
    source: &RangeFile,
    (start, end): (u64, u64),
    to: &mut impl Lines,
    mut read: impl FnMut(u64),
) -> u64 {
    let file = source.own.as_ref().unwrap_or(source.shared);
    let mut buf = vec![0u8; BUF];
    // The line that crosses the buffer's end, carried into the next read.
    let mut carry: Vec<u8> = Vec::new();
    let mut overlong = false;
    let mut skipped = 0;
    // From the byte before `start`: a newline there means a line starts at `start`.
    let mut at = start.saturating_sub(1);
    let mut skipping_first = start > 0;
    loop {
        let n = loop {
            match file.read_at(&mut buf, at) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break 0,
                Ok(n) => break n,
            }
        };
        if n == 0 {
            // The end of the file: a last line without a newline still counts.
            if overlong {
                skipped += 1;
            } else if !carry.is_empty() {
                to.chunk(&carry);
                to.line(&carry);
            }
            return skipped;
        }
        let chunk = &buf[..n];
        let chunk_start = at;
        at += n as u64;
        read(n as u64);
        if at < end && source.advise {
            read_ahead(file, at);
        }
        let mut from = 0;
        if skipping_first {
            match memchr::memchr(b'\n', chunk) {
                Some(i) => {
                    from = i + 1;
                    skipping_first = false;
                }
                None => continue,
            }
        }
        let base = from;
        to.chunk(&chunk[base..]);
        for nl in memchr::memchr_iter(b'\n', &chunk[base..]) {
            let stop = base + nl + 1;
            let line_start = chunk_start + from as u64;
            if carry.is_empty() && !overlong {
                if line_start >= end {
                    return skipped;
                }
                let text = &chunk[from..stop];
                if text.len() > LOG_LINE_MAX {
                    skipped += 1;
                } else {
                    to.line(text);
                }
            } else {
                // The end of the carried line (which started before this chunk, in range).
                if overlong || carry.len() + (stop - from) > LOG_LINE_MAX {
                    skipped += 1;
                } else {
                    carry.extend_from_slice(&chunk[from..stop]);
                    to.chunk(&carry);
                    to.line(&carry);
                    // The lines after it are in the chunk.
                    to.chunk(&chunk[stop..]);
                }
                carry.clear();
                overlong = false;
            }
            from = stop;
        }
        // The rest starts a line that ends in a later chunk: keep it if it is ours.
        if from < n {
            let line_start = chunk_start + from as u64;
            let starts_here = carry.is_empty() && !overlong;
            if starts_here && line_start >= end {
                return skipped;
            }
            if !overlong {
                if carry.len() + (n - from) > LOG_LINE_MAX {
                    overlong = true;
                    carry = Vec::new();
                } else {
                    carry.extend_from_slice(&chunk[from..n]);
                }
            }
        }
    }
}

/// The log as one range reads it: the open file in a file description of its own, so
/// that the kernel's readahead follows each range (ranges read side by side through one
/// description look random to it); where there is none, the shared one, with the
/// read-ahead asked for.
pub struct RangeFile<'a> {
    own: Option<File>,
    shared: &'a File,
    advise: bool,
}

impl<'a> RangeFile<'a> {
    /// For one of `ranges` ranges of `file`.
    pub fn new(file: &'a File, ranges: usize) -> RangeFile<'a> {
        let own = if ranges > 1 { reopen(file) } else { None };
        RangeFile {
            advise: ranges > 1 && own.is_none(),
            own,
            shared: file,
        }
    }
}

/// `/proc/self/fd/N` opened again (as systemd's `fd_reopen`): the file already open,
/// its device and inode checked, not its path walked again. None where `/proc` is not
/// there.
fn reopen(file: &File) -> Option<File> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let own = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
        .open(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .ok()?;
    let (was, is) = (file.metadata().ok()?, own.metadata().ok()?);
    (was.dev() == is.dev() && was.ino() == is.ino()).then_some(own)
}

/// Bytes asked for ahead of the reads.
const AHEAD: usize = 2 * BUF;

/// Ask the kernel to start reading the bytes after `at` while this chunk is scanned,
/// where ranges share one file description and its own readahead does not.
fn read_ahead(file: &File, at: u64) {
    use nix::fcntl::{PosixFadviseAdvice, posix_fadvise};
    use std::os::fd::AsFd;
    let (Ok(at), Ok(len)) = (i64::try_from(at), i64::try_from(AHEAD)) else {
        return;
    };
    // Advice only: a file system that takes none reads as before.
    let _ = posix_fadvise(
        file.as_fd(),
        at,
        len,
        PosixFadviseAdvice::POSIX_FADV_WILLNEED,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::io::Write;

    /// Every line of `text` as the ranges `parts` read them, in order, and the lines
    /// passed over.
    fn lines_by_ranges(text: &[u8], parts: &[(u64, u64)]) -> (Vec<Vec<u8>>, u64) {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(text).unwrap();
        let mut all = Collect::default();
        let mut skipped = 0;
        for range in parts {
            let source = RangeFile::new(&file, parts.len());
            skipped += for_each_line_in(&source, *range, &mut all, |_| {});
        }
        (all.lines, skipped)
    }

    /// The lines, each checked to be in the chunk handed before it, after the line
    /// before (a line passed over lies between).
    #[derive(Default)]
    struct Collect {
        chunk: Vec<u8>,
        at: usize,
        lines: Vec<Vec<u8>>,
    }

    impl Lines for Collect {
        fn chunk(&mut self, bytes: &[u8]) {
            self.chunk = bytes.to_vec();
            self.at = 0;
        }
        fn line(&mut self, line: &[u8]) {
            let found = memchr::memmem::find(&self.chunk[self.at..], line);
            let Some(skip) = found else {
                panic!("{:?} is not in its chunk", String::from_utf8_lossy(line));
            };
            self.at += skip + line.len();
            self.lines.push(line.to_vec());
        }
    }

    fn split_everywhere(text: &[u8]) {
        let expected: Vec<Vec<u8>> = text
            .split_inclusive(|b| *b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        let len = text.len() as u64;
        for cut in 0..=len {
            let parts = [(0, cut), (cut, len)];
            let (got, skipped) = lines_by_ranges(text, &parts);
            assert_eq!(got, expected, "cut at {cut}");
            assert_eq!(skipped, 0);
        }
    }

    #[test]
    fn a_range_reads_the_open_log_in_its_own_description_not_what_its_path_names_now() {
        use std::io::{Seek, SeekFrom};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mainlog");
        fs::write(&path, b"kept\n").unwrap();
        let file = File::open(&path).unwrap();
        // A site user's file renamed over the log's path after it was opened.
        let planted = dir.path().join("planted");
        fs::write(&planted, b"planted\n").unwrap();
        fs::rename(&planted, &path).unwrap();

        let alone = RangeFile::new(&file, 1);
        assert!(alone.own.is_none() && !alone.advise);
        let mut source = RangeFile::new(&file, 2);
        let own = source
            .own
            .as_mut()
            .expect("/proc/self/fd: a description of its own");
        assert!(!source.advise);
        // Its own offset: moving it leaves the shared one where it was.
        own.seek(SeekFrom::Start(3)).unwrap();
        assert_eq!((&file).stream_position().unwrap(), 0);
        let mut all = Collect::default();
        for_each_line_in(&source, (0, 5), &mut all, |_| {});
        assert_eq!(all.lines, vec![b"kept\n".to_vec()]);
    }

    #[test]
    fn every_line_once_wherever_the_ranges_meet() {
        split_everywhere(b"one\ntwo\n\nfour four\nlast without newline");
        split_everywhere(b"a\nb\n");
        split_everywhere(b"\n\n\n");
    }

    #[test]
    fn lines_across_the_buffer_and_overlong_lines() {
        // Short lines past the first buffer's end (one of them across it), then a line
        // longer than LOG_LINE_MAX, then one more.
        let mut expected: Vec<Vec<u8>> = Vec::new();
        let mut text = Vec::new();
        let mut i = 0;
        while text.len() < BUF + 500 {
            let line = format!("line {i} of the log\n").into_bytes();
            text.extend_from_slice(&line);
            expected.push(line);
            i += 1;
        }
        text.extend(std::iter::repeat_n(b'y', LOG_LINE_MAX + 10));
        text.extend_from_slice(b"\nafter\n");
        expected.push(b"after\n".to_vec());
        let len = text.len() as u64;
        let middle = BUF as u64 - 3;
        for parts in [
            vec![(0, len)],
            vec![(0, 7), (7, len)],
            vec![(0, middle), (middle, len)],
            vec![(0, len - 20), (len - 20, len)],
        ] {
            let (got, skipped) = lines_by_ranges(&text, &parts);
            assert_eq!(skipped, 1, "{parts:?}");
            assert_eq!(got, expected, "{parts:?}");
        }
    }

    #[test]
    fn ranges_cover_the_file_in_order() {
        assert_eq!(ranges(100, 4), vec![(0, 100)], "small: one range");
        let len = 100 << 20;
        let parts = ranges(len, 3);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].0, 0);
        assert_eq!(parts[2].1, len);
        assert!(parts.windows(2).all(|w| w[0].1 == w[1].0));
        assert_eq!(ranges(0, 2), vec![(0, 0)]);
    }
}
