//! Terminal colours: only on a terminal, and never when NO_COLOR is set.

use std::io::IsTerminal;

use owo_colors::OwoColorize;

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour when stdout is a terminal and NO_COLOR is unset or empty.
    pub fn detect() -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: std::io::stdout().is_terminal() && !no_color,
        }
    }

    /// Like [`Style::detect`], for stderr.
    pub fn detect_stderr() -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: std::io::stderr().is_terminal() && !no_color,
        }
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
