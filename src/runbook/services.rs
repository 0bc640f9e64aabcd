//! Built-in config-test and reload commands for the services runbooks reload.

use crate::facts::mta;

/// How to test a service's configuration, tell whether it runs, and reload it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCommands {
    pub test: Vec<String>,
    pub reload: Vec<String>,
    /// Succeeds when the service is running. A stopped service is never started by a
    /// reload (`apache2ctl graceful` would start it), only its config is tested.
    pub running: Vec<String>,
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// Commands for a well-known service; `None` for others (the runbook must give them).
///
/// Reloads go through the service's own control program where it has one, so they also
/// work in a chroot without systemd.
pub fn known_service(name: &str) -> Option<ServiceCommands> {
    // A mail server's services come from its MTA (`facts/mta/`).
    if let Some(service) = mta::ALL
        .iter()
        .flat_map(|m| m.services())
        .find(|s| s.name == name)
    {
        return Some(ServiceCommands {
            test: argv(service.test),
            reload: argv(service.reload),
            running: argv(service.running),
        });
    }
    let (test, reload, running) = match name {
        "apache2" => (
            &["apache2ctl", "configtest"][..],
            &["apache2ctl", "graceful"][..],
            &["pidof", "apache2"][..],
        ),
        // Debian also ships `apachectl`; testing with the `httpd` binary itself keeps this
        // handler to RHEL-style hosts, so Debian's Apache is not reloaded twice.
        "httpd" => (
            &["httpd", "-t"][..],
            &["apachectl", "graceful"][..],
            &["pidof", "httpd"][..],
        ),
        "nginx" => (
            &["nginx", "-t"][..],
            &["nginx", "-s", "reload"][..],
            &["pidof", "nginx"][..],
        ),
        "php-fpm" => (
            &["php-fpm", "-t"][..],
            &["service", "php-fpm", "reload"][..],
            &["pidof", "php-fpm"][..],
        ),
        _ => {
            // Debian names its FPM services phpX.Y-fpm and the binary php-fpmX.Y.
            let version = name.strip_prefix("php")?.strip_suffix("-fpm")?;
            if version.is_empty() || !version.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return None;
            }
            let binary = format!("php-fpm{version}");
            return Some(ServiceCommands {
                test: vec![binary.clone(), "-t".into()],
                reload: argv(&["service", name, "reload"]),
                running: vec!["pidof".into(), binary],
            });
        }
    };
    Some(ServiceCommands {
        test: argv(test),
        reload: argv(reload),
        running: argv(running),
    })
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

    #[test]
    fn mail_services_come_from_their_mta() {
        let services: Vec<&mta::Service> = mta::ALL.iter().flat_map(|m| m.services()).collect();
        assert!(!services.is_empty());
        for service in services {
            let known = known_service(service.name).unwrap();
            assert_eq!(known.test, service.test, "{}", service.name);
            assert_eq!(known.reload, service.reload, "{}", service.name);
            assert_eq!(known.running, service.running, "{}", service.name);
        }
    }
}
