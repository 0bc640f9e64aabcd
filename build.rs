// Embeds every runbooks/*.yaml into the binary as the built-in catalog.
use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=runbooks");
    // Tests that chown files to a site user's uid need root: built by anyone else, they
    // are marked ignored with that reason instead of passing unseen.
    // So do tests that run commands chrooted into a host root with a static busybox, and
    // the real-program tests that need a Debian root filesystem (.ci/run builds both).
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc_geteuid() } == 0;
    println!("cargo:rerun-if-changed=/bin/busybox");
    let busybox = Path::new("/bin/busybox").is_file();
    let mut missing = vec![("not_root", !root), ("no_chroot_shell", !(root && busybox))];
    for (cfg, var) in [
        ("no_apache_rootfs", "RUNBOOK_APACHE_ROOTFS"),
        ("no_exim_rootfs", "RUNBOOK_EXIM_ROOTFS"),
    ] {
        println!("cargo:rerun-if-env-changed={var}");
        missing.push((cfg, !root || env::var_os(var).is_none()));
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

unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}
