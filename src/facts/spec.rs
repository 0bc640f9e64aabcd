//! The names of all facts, so runbooks can be checked before any host is read.

/// The shape of a fact's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    Bool,
    Integer,
    Text,
    List,
    Map,
}

/// One fact: its dotted name, shape, and meaning.
#[derive(Debug)]
pub struct FactSpec {
    pub name: &'static str,
    pub kind: FactKind,
    pub description: &'static str,
    /// For lists of maps: the fields of each element (usable as `{{item.FIELD}}`).
    pub item_fields: &'static [&'static str],
}

const PHP_INI_FIELDS: &[&str] = &[
    "path",
    "sapi",
    "version",
    "layout",
    "user",
    "add_x_header",
    "disable_functions",
    "mail_disabled",
    "sendmail_path",
    "error",
];
const VHOST_FIELDS: &[&str] = &[
    "server_name",
    "names",
    "aliases",
    "file",
    "start_line",
    "document_root",
    "user",
    "php_mode",
    "sendmail_path",
    "cgi_php_ini",
];

const SCRIPT_FIELDS: &[&str] = &["script", "uid", "count", "class"];

/// A list fact whose elements are records with these fields (`{{item.FIELD}}`).
const fn list(
    name: &'static str,
    description: &'static str,
    item_fields: &'static [&'static str],
) -> FactSpec {
    FactSpec {
        name,
        kind: FactKind::List,
        description,
        item_fields,
    }
}

/// A fact without item fields.
const fn fact(name: &'static str, kind: FactKind, description: &'static str) -> FactSpec {
    FactSpec {
        name,
        kind,
        description,
        item_fields: &[],
    }
}

pub const FACTS: &[FactSpec] = &[
    fact(
        "mta.kind",
        FactKind::Text,
        "The mail server: exim, postfix, qmail, or null",
    ),
    fact(
        "mta.binary",
        FactKind::Text,
        "Its main binary (/usr/sbin/exim4 on Debian)",
    ),
    fact("mta.config", FactKind::Text, "Its main config file"),
    fact("mta.spool", FactKind::Text, "Its queue directory"),
    fact(
        "mta.running",
        FactKind::Bool,
        "Whether it runs (null under --root: no processes to see)",
    ),
    fact(
        "mta.version",
        FactKind::Text,
        "Its package version, from dpkg",
    ),
    fact(
        "panel",
        FactKind::Text,
        "The hosting panel: plesk, ispmanager, or null",
    ),
    fact("queue.total", FactKind::Integer, "Messages in the queue"),
    fact("queue.frozen", FactKind::Integer, "Frozen messages (exim)"),
    fact(
        "queue.oldest",
        FactKind::Integer,
        "Arrival time of the oldest message (Unix seconds)",
    ),
    fact(
        "queue.newest",
        FactKind::Integer,
        "Arrival time of the newest message (Unix seconds)",
    ),
    list(
        "queue.top_senders",
        "Envelope senders with the most messages (`<>` for bounces)",
        &["sender", "count"],
    ),
    FactSpec {
        name: "queue.top_scripts",
        kind: FactKind::List,
        description: "Scripts named by X-PHP-Originating-Script, with their uid, message count and class (form, random, cron, unknown)",
        item_fields: SCRIPT_FIELDS,
    },
    list(
        "queue.top_local_users",
        "Who submitted the queued messages: user, uid and home from /etc/passwd ((network) for SMTP on qmail)",
        &["user", "uid", "home", "count"],
    ),
    fact(
        "queue.without_script_header",
        FactKind::Integer,
        "Messages without an X-PHP-Originating-Script header",
    ),
    list(
        "queue.top_recipient_domains",
        "Recipient domains with the most messages",
        &["domain", "count"],
    ),
    list(
        "queue.unreadable",
        "Queue files that could not be parsed, with reasons",
        &["file", "reason"],
    ),
    fact(
        "log.file",
        FactKind::Text,
        "The MTA's log file that was read",
    ),
    fact("log.lines", FactKind::Integer, "Lines read"),
    fact(
        "log.skipped_lines",
        FactKind::Integer,
        "Lines longer than 64 KiB, passed over unread",
    ),
    fact(
        "log.failures",
        FactKind::Map,
        "Delivery failures by class: spam, dmarc, unknown_user, blacklisted, other",
    ),
    fact(
        "log.failures.spam",
        FactKind::Integer,
        "Failures the receiver called spam",
    ),
    fact(
        "log.failures.dmarc",
        FactKind::Integer,
        "Failures from the receiver's DMARC policy",
    ),
    fact(
        "log.failures.unknown_user",
        FactKind::Integer,
        "Failures for mailboxes that do not exist",
    ),
    fact(
        "log.failures.blacklisted",
        FactKind::Integer,
        "Failures because the sending IP is on a blocklist",
    ),
    fact("log.failures.other", FactKind::Integer, "Other failures"),
    fact(
        "log.samples",
        FactKind::Map,
        "A few failure lines per class",
    ),
    fact(
        "log.samples.spam",
        FactKind::List,
        "Sample lines of spam rejections",
    ),
    fact(
        "log.samples.dmarc",
        FactKind::List,
        "Sample lines of DMARC rejections",
    ),
    fact(
        "log.samples.unknown_user",
        FactKind::List,
        "Sample lines of unknown-mailbox failures",
    ),
    fact(
        "log.samples.blacklisted",
        FactKind::List,
        "Sample lines of blocklist rejections",
    ),
    fact(
        "log.samples.other",
        FactKind::List,
        "Sample lines of other failures",
    ),
    fact(
        "web.access_logs",
        FactKind::List,
        "Web access logs found (Apache CustomLog, nginx access_log, usual places)",
    ),
    list(
        "posts.top_uris",
        "POSTed URIs in the minutes around failed deliveries, with counts and log",
        &["uri", "count", "log"],
    ),
    fact(
        "posts.posts_near_failures",
        FactKind::Integer,
        "POSTs within the window of a failure",
    ),
    fact(
        "posts.skipped_lines",
        FactKind::Integer,
        "Access-log lines longer than 64 KiB, passed over unread",
    ),
    fact(
        "posts.failure_minutes",
        FactKind::Integer,
        "Minutes with failed deliveries in the MTA log",
    ),
    list(
        "activity.smtp_connections",
        "Connections to remote port 25, with pid, process, user and whether the process is the MTA",
        &["pid", "process", "user", "remote", "mta"],
    ),
    fact(
        "activity.non_mta",
        FactKind::Integer,
        "Connections to remote port 25 made by processes other than the MTA",
    ),
    list(
        "sessions.users",
        "SSH sessions per user, with their utmp logins",
        &["user", "sshd_sessions", "logins"],
    ),
    fact(
        "sessions.flagged",
        FactKind::List,
        "Users with sshd sessions but no utmp login (likely hacked)",
    ),
    list(
        "log.arrivals_by_user",
        "Messages submitted per local (or SMTP AUTH) user",
        &["user", "count"],
    ),
    FactSpec {
        name: "php.ini_files",
        kind: FactKind::List,
        description: "Every php.ini on the host (Debian, RHEL, Remi, cPanel, Plesk, CloudLinux, ISPmanager layouts), with its SAPI and mail settings",
        item_fields: PHP_INI_FIELDS,
    },
    FactSpec {
        name: "php.add_x_header",
        kind: FactKind::Bool,
        description: "Every php.ini found has mail.add_x_header = On (false when none is found)",
        item_fields: &[],
    },
    FactSpec {
        name: "php.mail_disabled",
        kind: FactKind::Bool,
        description: "Every php.ini found lists mail in disable_functions",
        item_fields: &[],
    },
    FactSpec {
        name: "php.disable_functions",
        kind: FactKind::Map,
        description: "disable_functions per SAPI (`8.2/apache2`, `cli`, ...)",
        item_fields: &[],
    },
    FactSpec {
        name: "php.sendmail_path",
        kind: FactKind::Map,
        description: "sendmail_path per SAPI (null where unset: PHP's default /usr/sbin/sendmail -t -i)",
        item_fields: &[],
    },
    FactSpec {
        name: "web.server",
        kind: FactKind::Text,
        description: "Web server found: apache, nginx, apache+nginx, or null",
        item_fields: &[],
    },
    FactSpec {
        name: "web.apache_config",
        kind: FactKind::Text,
        description: "Apache's main config file (apache2.conf or httpd.conf), or null",
        item_fields: &[],
    },
    FactSpec {
        name: "web.apache_files",
        kind: FactKind::List,
        description: "Apache config files: the main one, then every file it includes",
        item_fields: &[],
    },
    list(
        "web.unreadable",
        "Apache config files not read (larger than 16 MiB, or an I/O error), with reasons",
        &["file", "reason"],
    ),
    FactSpec {
        name: "web.server_names",
        kind: FactKind::List,
        description: "Every ServerName and ServerAlias of the Apache virtual hosts",
        item_fields: &[],
    },
    FactSpec {
        name: "web.vhosts",
        kind: FactKind::List,
        description: "Apache virtual hosts with their names, file, user, PHP mode and sendmail_path",
        item_fields: VHOST_FIELDS,
    },
];

pub fn spec(name: &str) -> Option<&'static FactSpec> {
    FACTS.iter().find(|f| f.name == name)
}

/// The group a fact belongs to (`php` for `php.ini_files`): groups are gathered together.
pub fn group(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}
