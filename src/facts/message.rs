//! One queued message, as every queue reader (exim, postfix, qmail) reports it.

/// What the queue facts need from one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The MTA's id for it (exim `1xVHSh-0001Xe-1g`, postfix `DF9CD164001`, qmail inode).
    pub id: String,
    /// The submitting login and uid where the MTA records them (`www-data`, 33); a login
    /// in parentheses (`(network)`) is no local user.
    pub login: String,
    pub uid: Option<u32>,
    /// Envelope sender without angle brackets; empty for bounces (`<>`).
    pub sender: String,
    /// Recipients still to be delivered.
    pub recipients: Vec<String>,
    /// Arrival time, Unix seconds.
    pub received: i64,
    /// Frozen (exim) or on hold (postfix): not tried until released.
    pub frozen: bool,
    /// `(uid, script name)` from `X-PHP-Originating-Script: UID:NAME`.
    pub php_script: Option<(String, String)>,
}

/// `(uid, name)` from an `X-PHP-Originating-Script` header value (`33:tools.php`; the
/// name may hold spaces and colons: `x.php(2) : eval()'d code`).
pub fn php_script(value: &str) -> (String, String) {
    let value = value.trim().trim_matches('"');
    let (uid, name) = value.split_once(':').unwrap_or(("", value));
    (uid.to_string(), name.to_string())
}
