//! Which mail server the host runs, and where its pieces are; which panel manages it.

use serde_json::{Value, json};

use crate::host::Host;

/// One MTA layout: its kind, the binaries, configs and spools it may have.
struct Layout {
    kind: &'static str,
    binaries: &'static [&'static str],
    configs: &'static [&'static str],
    spools: &'static [&'static str],
    /// Debian package whose version is the MTA's.
    package: &'static str,
    /// Process names of a running instance.
    processes: &'static [&'static str],
}

const LAYOUTS: &[Layout] = &[
    Layout {
        kind: "exim",
        binaries: &["/usr/sbin/exim4", "/usr/sbin/exim", "/usr/local/sbin/exim"],
        configs: &[
            "/etc/exim4/exim4.conf.template",
            "/etc/exim4/exim4.conf",
            "/etc/exim/exim.conf",
            "/etc/exim.conf",
        ],
        spools: &["/var/spool/exim4", "/var/spool/exim"],
        package: "exim4-base",
        processes: &["exim4", "exim"],
    },
    Layout {
        kind: "postfix",
        binaries: &["/usr/sbin/postfix"],
        configs: &["/etc/postfix/main.cf"],
        spools: &["/var/spool/postfix"],
        package: "postfix",
        processes: &["master", "qmgr"],
    },
    Layout {
        kind: "qmail",
        binaries: &["/var/qmail/bin/qmail-send"],
        configs: &["/var/qmail/control/me"],
        spools: &["/var/qmail/queue"],
        package: "psa-qmail",
        processes: &["qmail-send"],
    },
];

/// The `mta` fact group.
pub fn gather(host: &Host) -> Value {
    let exists = |p: &str| host.resolve(p).is_ok_and(|r| r.exists());
    let first = |paths: &[&'static str]| paths.iter().copied().find(|p| exists(p));
    let Some(layout) = LAYOUTS.iter().find(|l| first(l.binaries).is_some()) else {
        return json!({ "kind": null, "binary": null, "config": null, "spool": null, "running": null, "version": null });
    };
    json!({
        "kind": layout.kind,
        "binary": first(layout.binaries),
        "config": first(layout.configs),
        "spool": configured_spool(host, layout).or_else(|| first(layout.spools).map(str::to_string)),
        "running": running(host, layout.processes),
        "version": package_version(host, layout.package),
    })
}

/// The `panel` fact: `plesk`, `ispmanager` or null.
pub fn panel(host: &Host) -> Value {
    let exists = |p: &str| host.resolve(p).is_ok_and(|r| r.exists());
    if exists("/usr/local/psa") || exists("/opt/psa") {
        json!("plesk")
    } else if exists("/usr/local/mgr5") || exists("/usr/local/ispmgr") {
        json!("ispmanager")
    } else {
        Value::Null
    }
}

/// A running exim knows its spool best (`exim -bP spool_directory`): asked only on the
/// live host, where the binary and its config are the ones that run.
fn configured_spool(host: &Host, layout: &Layout) -> Option<String> {
    if layout.kind != "exim"
        || !host.is_live()
        || running(host, layout.processes) != Value::Bool(true)
    {
        return None;
    }
    let binary = layout
        .binaries
        .iter()
        .find(|b| host.resolve(b).is_ok_and(|r| r.exists()))?;
    let argv = [binary.to_string(), "-bP".into(), "spool_directory".into()];
    let out = crate::process::run(host, &argv, std::time::Duration::from_secs(10)).ok()?;
    out.success()
        .then(|| option_value(&out.stdout, "spool_directory"))
        .flatten()
}

/// The value in `exim -bP NAME` output (`spool_directory = /var/spool/exim4`).
fn option_value(output: &str, name: &str) -> Option<String> {
    let value = output
        .trim()
        .strip_prefix(name)?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    value.starts_with('/').then(|| value.to_string())
}

/// Whether a process of that name runs; only knowable on the live host (`/proc`).
fn running(host: &Host, names: &[&str]) -> Value {
    if !host.is_live() {
        return Value::Null;
    }
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Value::Null;
    };
    let found = procs.flatten().any(|p| {
        std::fs::read_to_string(p.path().join("comm"))
            .is_ok_and(|comm| names.contains(&comm.trim()))
    });
    Value::Bool(found)
}

/// dpkg's status file is not read past this (a full desktop install's is about 5 MiB).
pub const DPKG_STATUS_MAX: u64 = 64 << 20;

/// The installed version from dpkg's status file (Debian, Ubuntu).
fn package_version(host: &Host, package: &str) -> Value {
    let Ok(Some(status)) = host.read_max("/var/lib/dpkg/status", DPKG_STATUS_MAX) else {
        return Value::Null;
    };
    let status = String::from_utf8_lossy(&status);
    let header = format!("Package: {package}\n");
    status
        .split("\n\n")
        .find(|stanza| stanza.starts_with(&header) || stanza.contains(&format!("\n{header}")))
        .and_then(|stanza| stanza.lines().find_map(|l| l.strip_prefix("Version: ")))
        .map(|v| json!(v))
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exim_bp_output() {
        assert_eq!(
            option_value("spool_directory = /var/spool/exim4\n", "spool_directory").as_deref(),
            Some("/var/spool/exim4")
        );
        assert_eq!(option_value("spool_directory =\n", "spool_directory"), None);
        assert_eq!(
            option_value("exim: unknown option\n", "spool_directory"),
            None
        );
    }
}
