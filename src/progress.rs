//! Progress bars for long scans: on a terminal only, never when stderr is piped, and only
//! for work large enough to be worth watching.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar for `total` units (files, bytes), hidden unless stderr is a terminal and
/// `total` reaches `worth`.
pub fn bar(total: u64, worth: u64, what: &str, bytes: bool) -> ProgressBar {
    if total < worth || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let template = if bytes {
        "{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})"
    } else {
        "{msg} [{bar:30}] {pos}/{len} ({eta})"
    };
    let style = ProgressStyle::with_template(template)
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(total)
        .with_style(style)
        .with_message(what.to_string())
}

/// A spinner with a message for waits of unknown length, hidden unless stderr is a
/// terminal.
pub fn spinner(what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_message(what.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}
