//! The floor a queue reader is measured against (`runbook dev read-floor`): every file
//! of a spool whose name ends in a suffix, opened, read to its end and closed once, by
//! N threads, nothing parsed. What no reader of those files can beat on this machine.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};

/// Read every `*SUFFIX` file under each of `dirs` (their subdirectories too) with
/// `threads` threads; the files and bytes read.
pub fn read_all(dirs: &[PathBuf], suffix: &str, threads: usize) -> Result<(u64, u64)> {
    let mut files = Vec::new();
    for dir in dirs {
        walk(dir, suffix, &mut files)?;
    }

    let next = AtomicUsize::new(0);
    let totals: Vec<(u64, u64)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let (mut count, mut bytes) = (0, 0);
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        let Ok(mut file) = std::fs::File::open(path) else {
                            continue;
                        };
                        while let Ok(n) = file.read(&mut buf) {
                            if n == 0 {
                                break;
                            }
                            bytes += n as u64;
                        }
                        count += 1;
                    }
                    (count, bytes)
                })
            })
            .collect();
        workers.into_iter().filter_map(|w| w.join().ok()).collect()
    });
    Ok(totals
        .into_iter()
        .fold((0, 0), |(c, b), (c2, b2)| (c + c2, b + b2)))
}

fn walk(dir: &Path, suffix: &str, files: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), suffix, files)?;
        } else if entry.file_name().to_string_lossy().ends_with(suffix) {
            files.push(entry.path());
        }
    }
    Ok(())
}
