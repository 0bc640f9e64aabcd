//! Progress bars for long scans: on a terminal only, never when stderr is piped, and only
//! for work large enough to be worth watching.

use std::io::IsTerminal;

use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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

/// A count of `unit`s done and the time taken, for work whose size is known only at its
/// end (a spool read as it is listed): drawn on a terminal once `worth` are done, so a
/// small queue shows nothing, as [`bar`] does.
pub fn counter(worth: u64, what: &str, unit: &str) -> Counter {
    let template = format!("{{msg}}: {{human_pos}} {unit} ({{elapsed}})");
    let style = ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
        .with_style(style)
        .with_message(what.to_string());
    Counter {
        bar,
        show_at: std::io::stderr().is_terminal().then_some(worth),
        shown: AtomicBool::new(false),
    }
}

/// See [`counter`].
pub struct Counter {
    bar: ProgressBar,
    show_at: Option<u64>,
    shown: AtomicBool,
}

impl Counter {
    /// One more done (from any thread).
    pub fn inc(&self) {
        self.bar.inc(1);
        if let Some(worth) = self.show_at
            && self.bar.position() >= worth
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    pub fn finish_and_clear(&self) {
        self.bar.finish_and_clear();
    }
}

/// A [`bar`] when the total is known, else a [`counter`].
pub enum Progress {
    Bar(ProgressBar),
    Counter(Counter),
}

impl Progress {
    pub fn inc(&self) {
        match self {
            Progress::Bar(bar) => bar.inc(1),
            Progress::Counter(counter) => counter.inc(),
        }
    }

    pub fn finish_and_clear(&self) {
        match self {
            Progress::Bar(bar) => bar.finish_and_clear(),
            Progress::Counter(counter) => counter.finish_and_clear(),
        }
    }
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
