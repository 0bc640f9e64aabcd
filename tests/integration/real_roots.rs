//! Which real-program tests a build runs. build.rs includes this file to set the cfgs that
//! mark them ignored, and the tests include it to check the rule where it is made.
//!
//! Every root in scripts/rootfs-packages (`SUITE NAME PACKAGES [SETUP [FILE...]]`) reaches
//! the tests as
//! `RUNBOOK_<NAME>_ROOTFS_<SUITE>`, and the tests in it carry
//! `cfg_attr(no_<name>_rootfs_<suite>, ignore = "...")`.

/// One line of scripts/rootfs-packages.
#[derive(Debug, PartialEq)]
pub struct Root {
    pub suite: String,
    pub name: String,
}

impl Root {
    pub fn variable(&self) -> String {
        variable(&self.name, &self.suite)
    }

    /// The cfg build.rs sets when this root's tests are ignored.
    pub fn cfg(&self) -> String {
        format!("no_{}_rootfs_{}", self.name, self.suite)
    }
}

/// The variable naming the root NAME of SUITE to the tests (.ci/run exports the same).
pub fn variable(name: &str, suite: &str) -> String {
    format!(
        "RUNBOOK_{}_ROOTFS_{}",
        name.to_ascii_uppercase(),
        suite.to_ascii_uppercase()
    )
}

/// The roots of scripts/rootfs-packages; a line that cannot become a variable and a
/// cfg is an error naming it. A setup script and its files may follow the packages.
pub fn roots(list: &str) -> Result<Vec<Root>, String> {
    let word = |w: &str| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let mut roots = Vec::new();
    for (n, line) in list.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_whitespace().collect::<Vec<_>>()[..] {
            [suite, name, packages, ..] if word(suite) && word(name) && !packages.is_empty() => {
                roots.push(Root {
                    suite: suite.into(),
                    name: name.into(),
                })
            }
            _ => {
                return Err(format!(
                    "scripts/rootfs-packages:{}: expected `SUITE NAME PACKAGE,... [SETUP [FILE...]]` (SUITE and NAME in a-z0-9): {line}",
                    n + 1
                ));
            }
        }
    }
    Ok(roots)
}

/// Whether the `CI` variable says this is CI (CI systems set it to `true` or `1`).
pub fn is_ci(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        !matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "" | "0" | "false" | "no"
        )
    })
}

/// A real test is ignored, with its reason, where it cannot run: not built as root, or
/// its root's variable unset. Under CI never: there it runs and fails saying what is
/// missing, so CI cannot pass without the real programs.
pub fn ignored(ci: bool, root: bool, variable_set: bool) -> bool {
    let runs = ci || (root && variable_set);
    !runs
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = include_str!("../../scripts/rootfs-packages");

    #[test]
    fn a_missing_root_is_ignored_except_under_ci() {
        // (CI, root, variable set) -> ignored
        for (ci, root, set, expected) in [
            (false, true, true, false),
            (false, true, false, true),
            (false, false, true, true),
            (false, false, false, true),
            (true, true, true, false),
            (true, true, false, false),
            (true, false, true, false),
            (true, false, false, false),
        ] {
            assert_eq!(
                ignored(ci, root, set),
                expected,
                "CI {ci}, root {root}, set {set}"
            );
        }
    }

    #[test]
    fn ci_is_any_value_but_empty_0_false_or_no() {
        for value in ["1", "true", "TRUE", "yes", "github"] {
            assert!(is_ci(Some(value)), "{value}");
        }
        for value in [
            None,
            Some(""),
            Some("0"),
            Some("false"),
            Some("False"),
            Some("no"),
        ] {
            assert!(!is_ci(value), "{value:?}");
        }
    }

    #[test]
    fn every_suite_has_an_apache_an_exim_a_postfix_and_a_qmail_root() {
        let roots = roots(LIST).unwrap();
        let names: Vec<(String, String)> = roots.iter().map(|r| (r.variable(), r.cfg())).collect();
        let expected = [
            (
                "RUNBOOK_APACHE_ROOTFS_BOOKWORM",
                "no_apache_rootfs_bookworm",
            ),
            ("RUNBOOK_EXIM_ROOTFS_BOOKWORM", "no_exim_rootfs_bookworm"),
            (
                "RUNBOOK_POSTFIX_ROOTFS_BOOKWORM",
                "no_postfix_rootfs_bookworm",
            ),
            ("RUNBOOK_QMAIL_ROOTFS_BOOKWORM", "no_qmail_rootfs_bookworm"),
            ("RUNBOOK_APACHE_ROOTFS_TRIXIE", "no_apache_rootfs_trixie"),
            ("RUNBOOK_EXIM_ROOTFS_TRIXIE", "no_exim_rootfs_trixie"),
            ("RUNBOOK_POSTFIX_ROOTFS_TRIXIE", "no_postfix_rootfs_trixie"),
            ("RUNBOOK_QMAIL_ROOTFS_TRIXIE", "no_qmail_rootfs_trixie"),
        ];
        assert_eq!(names, expected.map(|(v, c)| (v.to_string(), c.to_string())));
    }

    #[test]
    fn a_malformed_line_is_an_error_naming_it() {
        let err = roots("# roots\nbookworm apache apache2\ntrixie exim-php exim4\n").unwrap_err();
        assert!(err.contains("rootfs-packages:3:"), "{err}");
        assert!(roots("trixie apache\n").is_err(), "no packages");
        // A setup script and its files may follow the packages.
        let qmail = roots("trixie qmail gcc,php8.4-cli scripts/rootfs-setup/qmail a.tar.gz\n");
        assert_eq!(
            qmail.unwrap(),
            [Root {
                suite: "trixie".into(),
                name: "qmail".into()
            }]
        );
    }

    /// What this build did: every cfg that ignores a real test, by name, as the tests
    /// use it. A root added to scripts/rootfs-packages needs its tests (and a line here).
    const IGNORING: [(&str, bool); 8] = [
        ("no_apache_rootfs_bookworm", cfg!(no_apache_rootfs_bookworm)),
        ("no_exim_rootfs_bookworm", cfg!(no_exim_rootfs_bookworm)),
        (
            "no_postfix_rootfs_bookworm",
            cfg!(no_postfix_rootfs_bookworm),
        ),
        ("no_qmail_rootfs_bookworm", cfg!(no_qmail_rootfs_bookworm)),
        ("no_apache_rootfs_trixie", cfg!(no_apache_rootfs_trixie)),
        ("no_exim_rootfs_trixie", cfg!(no_exim_rootfs_trixie)),
        ("no_postfix_rootfs_trixie", cfg!(no_postfix_rootfs_trixie)),
        ("no_qmail_rootfs_trixie", cfg!(no_qmail_rootfs_trixie)),
    ];

    #[test]
    fn the_tests_know_every_root_of_the_list() {
        let cfgs: Vec<String> = roots(LIST).unwrap().iter().map(Root::cfg).collect();
        assert_eq!(cfgs, IGNORING.map(|(cfg, _)| cfg.to_string()));
    }

    #[test]
    fn this_build_ignores_exactly_what_the_rule_says() {
        // cargo reruns build.rs when CI or a root's variable changes, so the cfgs were
        // set under this environment.
        let ci = is_ci(std::env::var("CI").ok().as_deref());
        let root = crate::support::is_root();
        for (r, (cfg, on)) in roots(LIST).unwrap().iter().zip(IGNORING) {
            let set = std::env::var_os(r.variable()).is_some_and(|v| !v.is_empty());
            assert_eq!(
                on,
                ignored(ci, root, set),
                "{cfg} (CI {ci}, root {root}, {} set {set})",
                r.variable()
            );
        }
    }
}
