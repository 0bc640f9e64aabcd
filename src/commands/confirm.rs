//! Asking before changing a host: only on a terminal; without one, `--yes` is required.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Result, bail};

/// `Ok(true)` to go ahead; anything but yes (also end of input) is `Ok(false)`, which the
/// commands turn into exit code 1. Refuses (an error) when there is no terminal to ask on.
pub fn ask(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "refusing to change the host without confirmation: pass --yes (stdin is not a terminal)"
        );
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    // End of input (Ctrl-D) is a "no", on a line of its own.
    if std::io::stdin().lock().read_line(&mut answer)? == 0 {
        eprintln!();
    }
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
