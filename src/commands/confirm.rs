//! Asking before changing a host: only on a terminal; without one, `--yes` is required.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Result, bail};

/// `Ok(true)` to go ahead. Refuses (an error) when there is no terminal to ask on.
pub fn ask(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "refusing to change the host without confirmation: pass --yes (stdin is not a terminal)"
        );
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
