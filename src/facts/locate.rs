//! Where the scripts named in the queue live (article 002: `find ~/ -type f -name
//! tools.php`): their paths under the web roots, owners and modification times.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::logs::Passwd;
use super::queue::{Location, ScriptCount};
use super::script_class::base_name;
use crate::host::Host;

/// Where sites live when no VirtualHost says: Debian/ISPmanager, Plesk, cPanel.
const WEB_ROOTS: &[&str] = &["/var/www", "/home"];
/// Stop after this many directory entries: a locate must not take minutes.
const MAX_ENTRIES: usize = 500_000;
const MAX_DEPTH: usize = 16;
const PER_SCRIPT: usize = 5;

/// Add `locations` to each entry of `queue.top_scripts`.
pub fn add_locations(
    host: &Host,
    list: &mut [ScriptCount],
    document_roots: &[String],
    passwd: &Passwd,
) {
    let wanted: HashSet<String> = list
        .iter()
        .map(|s| base_name(&s.script).to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if wanted.is_empty() {
        return;
    }
    let mut found: HashMap<String, Vec<Location>> = HashMap::new();
    let mut budget = MAX_ENTRIES;
    let mut roots: Vec<&str> = document_roots
        .iter()
        .map(String::as_str)
        .chain(WEB_ROOTS.iter().copied())
        .collect();
    roots.sort();
    roots.dedup();
    // A root inside another is walked with it.
    let roots: Vec<&str> = roots
        .iter()
        .copied()
        .filter(|r| {
            !roots
                .iter()
                .any(|o| o != r && r.starts_with(&format!("{o}/")))
        })
        .collect();
    for root in roots {
        walk(
            host,
            &host.lexical(root),
            0,
            &wanted,
            &mut found,
            &mut budget,
            passwd,
        );
    }
    for entry in list {
        let mut locations = found
            .get(base_name(&entry.script))
            .cloned()
            .unwrap_or_default();
        locations.truncate(PER_SCRIPT);
        entry.locations = locations;
    }
}

fn walk(
    host: &Host,
    dir: &Path,
    depth: usize,
    wanted: &HashSet<String>,
    found: &mut HashMap<String, Vec<Location>>,
    budget: &mut usize,
    passwd: &Passwd,
) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        // No symlinks followed: they may lead out of the root or in circles.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && depth < MAX_DEPTH {
            walk(
                host,
                &entry.path(),
                depth + 1,
                wanted,
                found,
                budget,
                passwd,
            );
        } else if kind.is_file()
            && let Some(name) = entry.file_name().to_str()
            && wanted.contains(name)
            && let Ok(meta) = entry.metadata()
        {
            found.entry(name.to_string()).or_default().push(Location {
                path: host.host_path(&entry.path()),
                uid: meta.uid(),
                user: passwd.user(&meta.uid().to_string()),
                mtime: meta.mtime(),
            });
        }
    }
}
