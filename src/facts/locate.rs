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

/// The site a file belongs to: the name of the virtual host whose document root holds
/// it (the deepest one), else the domain the hosting panel's layout puts in the path:
/// ISPmanager's `/var/www/USER/data/www/DOMAIN/`, Plesk's `/var/www/vhosts/DOMAIN/`.
pub fn site_of(path: &str, sites: &[(String, String)]) -> Option<String> {
    let inside = |root: &str| path.starts_with(&format!("{root}/"));
    if let Some((_, name)) = sites
        .iter()
        .filter(|(root, _)| inside(root))
        .max_by_key(|(root, _)| root.len())
    {
        return Some(name.clone());
    }
    let parts: Vec<&str> = path.split('/').collect();
    let domain = match parts.as_slice() {
        ["", "var", "www", _, "data", "www", domain, _, ..] => *domain,
        ["", "var", "www", "vhosts", domain, _, ..] if *domain != "system" => *domain,
        _ => return None,
    };
    domain.contains('.').then(|| domain.to_ascii_lowercase())
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

#[cfg(test)]
mod tests {
    use super::site_of;

    #[test]
    fn a_file_belongs_to_the_deepest_document_root_or_the_panels_path() {
        let sites = vec![
            ("/var/www/shop".to_string(), "shop.example".to_string()),
            (
                "/var/www/shop/blog".to_string(),
                "blog.shop.example".to_string(),
            ),
        ];
        assert_eq!(
            site_of("/var/www/shop/tools.php", &sites).as_deref(),
            Some("shop.example")
        );
        assert_eq!(
            site_of("/var/www/shop/blog/x.php", &sites).as_deref(),
            Some("blog.shop.example")
        );
        assert_eq!(site_of("/var/www/shopping/x.php", &sites), None);
        assert_eq!(
            site_of("/var/www/bob/data/www/Bob-Shop.ru/wp/x.php", &[]).as_deref(),
            Some("bob-shop.ru")
        );
        assert_eq!(
            site_of("/var/www/vhosts/shop.example/httpdocs/x.php", &[]).as_deref(),
            Some("shop.example")
        );
        assert_eq!(
            site_of("/var/www/vhosts/system/shop.example/x.php", &[]),
            None
        );
        assert_eq!(site_of("/home/shop/public_html/x.php", &[]), None);
    }
}
