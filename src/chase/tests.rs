use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::fs::{lchown, symlink};
use std::path::Path;

use super::*;

const BOB: u32 = 1002;

fn root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for d in [
        "etc/apache2/sites-available",
        "etc/apache2/sites-enabled",
        "var/www/bob",
    ] {
        fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    fs::write(dir.path().join("etc/shadow"), "root:x:\n").unwrap();
    fs::write(dir.path().join("etc/apache2/sites-available/a.conf"), "x").unwrap();
    dir
}

fn chase_host(root: &Path, path: &str, policy: &Policy) -> io::Result<Chased> {
    chase(root, path, policy)
}

#[test]
fn trusted_links_resolve_inside_the_root() {
    let dir = root();
    symlink(
        "/etc/apache2/sites-available/a.conf",
        dir.path().join("etc/apache2/sites-enabled/a.conf"),
    )
    .unwrap();
    symlink(
        "../sites-available/a.conf",
        dir.path().join("etc/apache2/sites-enabled/b.conf"),
    )
    .unwrap();
    for link in ["a.conf", "b.conf"] {
        let found = chase_host(
            dir.path(),
            &format!("/etc/apache2/sites-enabled/{link}"),
            &Policy::edit(None),
        )
        .unwrap();
        assert_eq!(found.host_path, "/etc/apache2/sites-available/a.conf");
        let mut text = String::new();
        io::Read::read_to_string(&mut found.open_read().unwrap().unwrap(), &mut text).unwrap();
        assert_eq!(text, "x");
    }
}

#[test]
fn absolute_links_and_dot_dot_stay_in_the_root() {
    let dir = root();
    symlink("/../../../etc/shadow", dir.path().join("var/www/up")).unwrap();
    let found = chase_host(dir.path(), "/var/www/up", &Policy::read()).unwrap();
    assert_eq!(found.host_path, "/etc/shadow");
    let found = chase_host(dir.path(), "/../../../etc/shadow", &Policy::read()).unwrap();
    assert_eq!(found.host_path, "/etc/shadow");
}

#[test]
fn a_missing_file_is_found_with_its_directory() {
    let dir = root();
    let found = chase_host(dir.path(), "/etc/new.conf", &Policy::edit(None)).unwrap();
    assert!(found.stat.is_none());
    assert_eq!(found.host_path, "/etc/new.conf");
    assert!(chase_host(dir.path(), "/nodir/new.conf", &Policy::read()).is_err());
}

#[test]
fn loops_and_files_as_directories_are_errors() {
    let dir = root();
    symlink("/loop", dir.path().join("loop")).unwrap();
    assert!(chase_host(dir.path(), "/loop", &Policy::read()).is_err());
    let err = chase_host(dir.path(), "/etc/shadow/x", &Policy::read()).unwrap_err();
    assert!(err.to_string().contains("not a directory"), "{err}");
}

#[test]
#[cfg_attr(not_root, ignore = "needs root: chowns files to a site user's uid")]
fn a_site_users_symlink_is_never_followed_for_an_edit() {
    let dir = root();
    let link = dir.path().join("var/www/bob/php.ini");
    symlink("/etc/shadow", &link).unwrap();
    lchown(&link, Some(BOB), Some(BOB)).unwrap();
    fs::set_permissions(
        dir.path().join("var/www/bob"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::os::unix::fs::chown(dir.path().join("var/www/bob"), Some(BOB), Some(BOB)).unwrap();
    for policy in [Policy::edit(Some(BOB)), Policy::read()] {
        let err = chase_host(dir.path(), "/var/www/bob/php.ini", &policy).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
        assert!(err.to_string().contains("/var/www/bob/php.ini"), "{err}");
        assert!(err.to_string().contains("uid 1002"), "{err}");
    }
}

#[test]
#[cfg_attr(not_root, ignore = "needs root: chowns files to a site user's uid")]
fn a_site_users_directory_is_entered_only_when_the_step_expects_that_user() {
    let dir = root();
    let bob = dir.path().join("var/www/bob");
    fs::write(bob.join("php.ini"), "[PHP]\n").unwrap();
    std::os::unix::fs::chown(&bob, Some(BOB), Some(BOB)).unwrap();
    let err = chase_host(dir.path(), "/var/www/bob/php.ini", &Policy::edit(None)).unwrap_err();
    assert!(
        err.to_string()
            .contains("/var/www/bob is owned by uid 1002"),
        "{err}"
    );
    assert!(err.to_string().contains("owner:"), "{err}");
    let found = chase_host(dir.path(), "/var/www/bob/php.ini", &Policy::edit(Some(BOB))).unwrap();
    // A root-owned file in bob's directory with one name is bob's php.ini to edit.
    Policy::edit(Some(BOB))
        .check_edited_file(found.stat.as_ref().unwrap(), &found.host_path)
        .unwrap();
    // Reads may go into bob's directory, but not back out of it by `..`.
    chase_host(dir.path(), "/var/www/bob/php.ini", &Policy::read()).unwrap();
    let err = chase_host(
        dir.path(),
        "/var/www/bob/../../../etc/shadow",
        &Policy::read(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("unsafe path"), "{err}");
}

#[test]
#[cfg_attr(not_root, ignore = "needs root: chowns files to a site user's uid")]
fn a_site_users_link_to_the_root_is_refused_even_for_reads() {
    let dir = root();
    let bob = dir.path().join("var/www/bob");
    std::os::unix::fs::chown(&bob, Some(BOB), Some(BOB)).unwrap();
    let link = bob.join("config.php");
    symlink("/etc/shadow", &link).unwrap();
    lchown(&link, Some(BOB), Some(BOB)).unwrap();
    let err = chase_host(dir.path(), "/var/www/bob/config.php", &Policy::read()).unwrap_err();
    assert!(
        err.to_string()
            .contains("unsafe path /var/www/bob/config.php -> /etc/shadow"),
        "{err}"
    );
}

#[test]
fn hard_links_and_unexpected_owners_are_refused_for_edits() {
    let dir = root();
    fs::hard_link(
        dir.path().join("etc/shadow"),
        dir.path().join("var/www/bob/php.ini"),
    )
    .unwrap();
    let found = chase_host(dir.path(), "/var/www/bob/php.ini", &Policy::edit(None)).unwrap();
    let err = Policy::edit(None)
        .check_edited_file(found.stat.as_ref().unwrap(), &found.host_path)
        .unwrap_err();
    assert!(err.to_string().contains("2 hard links"), "{err}");
}
