// Embeds every runbooks/*.yaml into the binary as the built-in catalog.
use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=runbooks");
    // Tests that chown files to a site user's uid need root: built by anyone else, they
    // are marked ignored with that reason instead of passing unseen.
    println!("cargo:rustc-check-cfg=cfg(not_root)");
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc_geteuid() } != 0 {
        println!("cargo:rustc-cfg=not_root");
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
