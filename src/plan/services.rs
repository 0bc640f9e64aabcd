//! Built-in config-test and reload commands for the services runbooks reload.

/// How to test a service's configuration and reload it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCommands {
    pub test: Vec<String>,
    pub reload: Vec<String>,
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// Commands for a well-known service; `None` for others (the runbook must give them).
///
/// Reloads go through the service's own control program where it has one, so they also
/// work in a chroot without systemd.
pub fn known_service(name: &str) -> Option<ServiceCommands> {
    let (test, reload) = match name {
        "apache2" => (
            argv(&["apache2ctl", "configtest"]),
            argv(&["apache2ctl", "graceful"]),
        ),
        "httpd" => (
            argv(&["apachectl", "configtest"]),
            argv(&["apachectl", "graceful"]),
        ),
        "nginx" => (argv(&["nginx", "-t"]), argv(&["nginx", "-s", "reload"])),
        "postfix" => (argv(&["postfix", "check"]), argv(&["postfix", "reload"])),
        "exim4" => (
            argv(&["exim4", "-bV"]),
            argv(&["service", "exim4", "reload"]),
        ),
        "exim" => (argv(&["exim", "-bV"]), argv(&["service", "exim", "reload"])),
        "php-fpm" => (
            argv(&["php-fpm", "-t"]),
            argv(&["service", "php-fpm", "reload"]),
        ),
        _ => {
            // Debian names its FPM services phpX.Y-fpm and the binary php-fpmX.Y.
            let version = name.strip_prefix("php")?.strip_suffix("-fpm")?;
            if version.is_empty() || !version.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return None;
            }
            (
                vec![format!("php-fpm{version}"), "-t".into()],
                argv(&["service", name, "reload"]),
            )
        }
    };
    Some(ServiceCommands { test, reload })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_fpm_services_are_known() {
        let fpm = known_service("php8.2-fpm").unwrap();
        assert_eq!(fpm.test, ["php-fpm8.2", "-t"]);
        assert!(known_service("php-evil-fpm").is_none());
        assert!(known_service("mysql").is_none());
    }
}
