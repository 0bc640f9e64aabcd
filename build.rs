// Embeds every runbooks/*.yaml into the binary as the built-in catalog, and sets the cfgs
// that mark tests ignored where this build cannot run them.
use std::{env, fs, path::Path};

#[path = "tests/integration/real_roots.rs"]
mod real_roots;

fn main() {
    println!("cargo:rerun-if-changed=runbooks");
    // Tests that chown files to a site user's uid need root: built by anyone else, they
    // are marked ignored with that reason instead of passing unseen.
    // So do tests that run commands chrooted into a host root with a static busybox.
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc_geteuid() } == 0;
    println!("cargo:rerun-if-changed=/bin/busybox");
    let busybox = Path::new("/bin/busybox").is_file();
    // The test of make-rootfs's mirror lookup asks apt.
    println!("cargo:rerun-if-changed=/usr/bin/apt-get");
    let apt = Path::new("/usr/bin/apt-get").is_file();
    // The journal test writes real journal files with systemd's own writer.
    let journal_remote = "/lib/systemd/systemd-journal-remote";
    println!("cargo:rerun-if-changed={journal_remote}");
    let journal = Path::new(journal_remote).is_file() && Path::new("/usr/bin/journalctl").is_file();
    let mut missing = vec![
        ("no_journal_tools".to_string(), !journal && !ci_env()),
        ("not_root".to_string(), !root),
        ("no_chroot_shell".to_string(), !(root && busybox)),
        ("no_apt_get".to_string(), !apt),
    ];
    // And the real-program tests, per Debian root of scripts/rootfs-packages (.ci/run
    // builds them all), except under CI: there a missing root fails its tests.
    println!("cargo:rerun-if-env-changed=CI");
    let ci = real_roots::is_ci(env::var("CI").ok().as_deref());
    println!("cargo:rerun-if-changed=scripts/rootfs-packages");
    // runbook test's podman engine (.ci/run installs podman): as a root's tests.
    println!("cargo:rerun-if-changed=/usr/bin/podman");
    let podman = Path::new("/usr/bin/podman").is_file();
    missing.push(("no_podman".to_string(), !(ci || root && podman)));
    // The HTML report rendered by Debian's chromium (.ci/run installs it).
    println!("cargo:rerun-if-changed=/usr/bin/chromium");
    let chromium = Path::new("/usr/bin/chromium").is_file();
    missing.push(("no_chromium".to_string(), !(ci || chromium)));
    let list = fs::read_to_string("scripts/rootfs-packages").unwrap();
    for r in real_roots::roots(&list).unwrap() {
        let var = r.variable();
        println!("cargo:rerun-if-env-changed={var}");
        let set = env::var_os(&var).is_some_and(|v| !v.is_empty());
        missing.push((r.cfg(), real_roots::ignored(ci, root, set)));
    }
    // The Debian 12 roots' variables before Debian 13 had its own.
    for (old, new) in [
        ("RUNBOOK_APACHE_ROOTFS", "RUNBOOK_APACHE_ROOTFS_BOOKWORM"),
        ("RUNBOOK_EXIM_ROOTFS", "RUNBOOK_EXIM_ROOTFS_BOOKWORM"),
    ] {
        println!("cargo:rerun-if-env-changed={old}");
        if env::var_os(old).is_some() {
            println!("cargo:warning={old} is not read any more: set {new} (README.md)");
        }
    }
    for (cfg, is_missing) in missing {
        println!("cargo:rustc-check-cfg=cfg({cfg})");
        if is_missing {
            println!("cargo:rustc-cfg={cfg}");
        }
    }
    let mut names: Vec<String> = fs::read_dir("runbooks")
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let root = env::var("CARGO_MANIFEST_DIR").unwrap();
    let mut code = String::from("pub static BUILTIN_RUNBOOKS: &[(&str, &str)] = &[\n");
    for name in names {
        println!("cargo:rerun-if-changed=runbooks/{name}");
        code.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            format!("{root}/runbooks/{name}")
        ));
    }
    code.push_str("];\n");
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("builtin_runbooks.rs");
    fs::write(out, code).unwrap();
}

/// Under CI every tool is installed (.ci/run): a missing one fails its tests.
fn ci_env() -> bool {
    real_roots::is_ci(env::var("CI").ok().as_deref())
}

unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}
