//! Terminal colours: `--color auto` (the default) colours only on a terminal, and never
//! when NO_COLOR is set or TERM is `dumb`; `always` and `never` decide alone.

use std::io::IsTerminal;
use std::sync::OnceLock;

use owo_colors::OwoColorize;

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

/// What `--color` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Auto,
    Always,
    Never,
}

/// The choice and whether stdout and stderr were terminals, fixed once at start: a pager
/// may take stdout over later, and output for it is still for a terminal.
static SETTINGS: OnceLock<(Choice, bool, bool)> = OnceLock::new();

/// Record `--color` and the terminals; call before stdout is redirected to a pager.
pub fn init(choice: Choice) {
    let _ = SETTINGS.set((
        choice,
        std::io::stdout().is_terminal(),
        std::io::stderr().is_terminal(),
    ));
}

fn settings() -> (Choice, bool, bool) {
    *SETTINGS.get_or_init(|| {
        (
            Choice::Auto,
            std::io::stdout().is_terminal(),
            std::io::stderr().is_terminal(),
        )
    })
}

/// Whether `auto` colours a stream that is (or is not) a terminal, given NO_COLOR and TERM.
fn auto(terminal: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    terminal && !no_color && !dumb
}

fn decide(choice: Choice, terminal: bool) -> bool {
    match choice {
        Choice::Always => true,
        Choice::Never => false,
        Choice::Auto => auto(terminal),
    }
}

impl Style {
    /// Colour for stdout, as `--color` says.
    pub fn detect() -> Style {
        let (choice, stdout, _) = settings();
        Style {
            color: decide(choice, stdout),
        }
    }

    /// Like [`Style::detect`], for stderr.
    pub fn detect_stderr() -> Style {
        let (choice, _, stderr) = settings();
        Style {
            color: decide(choice, stderr),
        }
    }

    /// Whether stdout was a terminal when the program started (before any pager).
    pub fn stdout_is_terminal() -> bool {
        settings().1
    }

    fn paint(&self, text: &str, f: impl Fn(&str) -> String) -> String {
        if self.color {
            f(text)
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, t: &str) -> String {
        self.paint(t, |t| t.bold().to_string())
    }
    pub fn dim(&self, t: &str) -> String {
        self.paint(t, |t| t.dimmed().to_string())
    }
    pub fn green(&self, t: &str) -> String {
        self.paint(t, |t| t.green().to_string())
    }
    pub fn red(&self, t: &str) -> String {
        self.paint(t, |t| t.red().to_string())
    }
    pub fn yellow(&self, t: &str) -> String {
        self.paint(t, |t| t.yellow().to_string())
    }
    pub fn cyan(&self, t: &str) -> String {
        self.paint(t, |t| t.cyan().to_string())
    }

    /// A unified diff with added lines green and removed lines red.
    pub fn diff(&self, diff: &str) -> String {
        diff.lines()
            .map(|l| {
                if l.starts_with("+++") || l.starts_with("---") {
                    self.bold(l)
                } else if l.starts_with('+') {
                    self.green(l)
                } else if l.starts_with('-') {
                    self.red(l)
                } else if l.starts_with("@@") {
                    self.cyan(l)
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}
