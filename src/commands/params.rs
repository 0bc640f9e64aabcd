//! Where param values come from: `-p KEY=VALUE`, `--param-file KEY=PATH` (the file's
//! content, one trailing newline stripped), the environment (`RUNBOOK_PARAM_KEY`), or a
//! prompt on a terminal for a required param given no other way (without echo for a
//! secret). A secret never comes from `-p`: runbook's own command line is readable by
//! every user in `/proc/PID/cmdline`.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};

use crate::host::Host;
use crate::plan::error::PlanError;
use crate::runbook::model::Runbook;
use crate::runbook::params::{Param, ParamType};

/// The most a param file may hold: a value is one line.
const MAX_FILE: u64 = 64 * 1024;

/// The environment variable naming a param: `RUNBOOK_PARAM_` and the name upper-cased,
/// `-` as `_`.
pub fn env_name(key: &str) -> String {
    format!(
        "RUNBOOK_PARAM_{}",
        key.to_ascii_uppercase().replace('-', "_")
    )
}

/// The `KEY=VALUE` pairs for the planner from every source, in order of precedence:
/// `-p`, `--param-file`, the environment, then (for a required param still missing) a
/// prompt. Unknown keys given with `-p` or `--param-file` are left to the planner to
/// report. A `domain` param is matched against the host's server names.
pub fn gather(
    runbook: &Runbook,
    given: &[(String, String)],
    files: &[(String, String)],
    host: &Host,
) -> Result<Vec<(String, String)>> {
    let mut out = gather_values(runbook, given, files)?;
    match_domains(runbook, &mut out, host)?;
    Ok(out)
}

fn gather_values(
    runbook: &Runbook,
    given: &[(String, String)],
    files: &[(String, String)],
) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    let is_secret = |key: &str| {
        runbook
            .params
            .get(key)
            .is_some_and(|p| p.kind == ParamType::Secret)
    };
    for (key, value) in given {
        if is_secret(key) {
            bail!(
                "param `{key}` is a secret, and `-p` would put it in runbook's command line, which \
                 every user on the host can read in /proc/PID/cmdline; {}",
                ways(key, true)
            );
        }
        push(&mut out, key, value.clone())?;
    }
    for (key, path) in files {
        let value = read_param_file(Path::new(path))
            .with_context(|| format!("--param-file {key}={path}"))?;
        push(&mut out, key, value)?;
    }
    for (name, param) in &runbook.params {
        if out.iter().any(|(k, _)| k == name) {
            continue;
        }
        let var = env_name(name);
        if let Some(value) = std::env::var_os(&var) {
            let value = value
                .into_string()
                .map_err(|_| anyhow!("{var} is not UTF-8 text"))?;
            out.push((name.clone(), value));
        } else if param.default.is_none() {
            if !std::io::stdin().is_terminal() {
                return Err(PlanError::MissingParam {
                    runbook: runbook.id.clone(),
                    name: name.clone(),
                    how: format!(
                        "{} (stdin is not a terminal, so it cannot be asked for)",
                        ways(name, param.kind == ParamType::Secret)
                    ),
                }
                .into());
            }
            out.push((name.clone(), ask(name, param)?));
        }
    }
    Ok(out)
}

/// A param of type `domain` names a site on the host: it matches the host's web server
/// names (ServerName, ServerAlias) without regard to case, and takes the host's spelling,
/// which the runbook's conditions compare exactly. Where the host has server names, any
/// other name is an error listing the closest ones (a typo is caught before planning);
/// a host without any (no Apache config found) leaves it to the runbook's own checks. A
/// value that is not a domain name at all is left to the planner's type check.
fn match_domains(runbook: &Runbook, params: &mut [(String, String)], host: &Host) -> Result<()> {
    let mut names: Option<Vec<String>> = None;
    for (key, value) in params.iter_mut() {
        let Some(param) = runbook.params.get(key.as_str()) else {
            continue;
        };
        if param.kind != ParamType::Domain || param.parse(value).is_err() {
            continue;
        }
        // Read only when a domain param is given.
        let names = names.get_or_insert_with(|| server_names(host));
        if names.is_empty() {
            continue;
        }
        if let Some(name) = names.iter().find(|n| n.eq_ignore_ascii_case(value)) {
            *value = name.clone();
            continue;
        }
        return Err(PlanError::InvalidParam {
            name: key.clone(),
            reason: format!(
                "no site on this host is named `{value}`; the closest of its {} server name(s) \
                 (web.server_names): {}",
                names.len(),
                closest(value, names).join(", ")
            ),
        }
        .into());
    }
    Ok(())
}

fn server_names(host: &Host) -> Vec<String> {
    let facts = crate::facts::Facts::new(host);
    facts
        .get("web.server_names")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// The (at most) three names nearest to `wanted` by edit distance, ignoring case; ties
/// in name order.
fn closest(wanted: &str, names: &[String]) -> Vec<String> {
    let wanted = wanted.to_ascii_lowercase();
    let mut scored: Vec<(usize, &String)> = names
        .iter()
        .map(|n| (strsim::levenshtein(&wanted, &n.to_ascii_lowercase()), n))
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, n)| format!("`{n}`"))
        .collect()
}

/// The ways to pass a param, for messages.
fn ways(key: &str, secret: bool) -> String {
    let plain = if secret {
        String::new()
    } else {
        format!("-p {key}=VALUE, ")
    };
    format!(
        "pass it with {plain}--param-file {key}=PATH (a file holding the value), the \
         environment variable {}, or run on a terminal to be asked for it",
        env_name(key)
    )
}

fn push(out: &mut Vec<(String, String)>, key: &str, value: String) -> Result<()> {
    if out.iter().any(|(k, _)| k == key) {
        bail!("param `{key}` is given twice");
    }
    out.push((key.to_string(), value));
    Ok(())
}

/// A param file's content, one trailing newline stripped. Never quoted in errors.
fn read_param_file(path: &Path) -> Result<String> {
    let file = std::fs::File::open(path).context("cannot open the file")?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .context("cannot read the file")?;
    if bytes.len() as u64 > MAX_FILE {
        bail!("the file is larger than {MAX_FILE} bytes; a param value is one line");
    }
    let mut text = String::from_utf8(bytes).map_err(|_| anyhow!("the file is not UTF-8 text"))?;
    if text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

/// Ask on the terminal; a secret is read without echo.
fn ask(name: &str, param: &Param) -> Result<String> {
    let about = param
        .description
        .as_deref()
        .map(|d| format!(" ({})", crate::report::escape::escape(d)))
        .unwrap_or_default();
    eprint!("{name}{about}: ");
    std::io::stderr().flush()?;
    let line = if param.kind == ParamType::Secret {
        read_hidden()?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line
    };
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(line.strip_suffix('\r').unwrap_or(line).to_string())
}

/// The terminal settings to put back if Ctrl-C arrives while echo is off.
static mut SAVED_FOR_SIGNAL: Option<libc::termios> = None;

/// One line from the terminal on stdin with echo off (the newline still echoed); echo is
/// back on afterwards, also when Ctrl-C ends the program during the prompt.
fn read_hidden() -> Result<String> {
    let fd = libc::STDIN_FILENO;
    // SAFETY: termios is plain data; tcgetattr fills it for the terminal on fd 0.
    let mut term: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(fd, &mut term) } != 0 {
        return Err(std::io::Error::last_os_error()).context("cannot read terminal settings");
    }
    let saved = term;
    // SAFETY: written before the handler that reads it is installed, read only by it.
    unsafe {
        SAVED_FOR_SIGNAL = Some(saved);
    }
    // SAFETY: the handler only calls async-signal-safe functions (tcsetattr, signal, raise).
    let previous = unsafe {
        libc::signal(
            libc::SIGINT,
            restore_and_die as *const () as libc::sighandler_t,
        )
    };
    term.c_lflag &= !libc::ECHO;
    term.c_lflag |= libc::ECHONL;
    // SAFETY: fd 0 is a terminal; term is a valid termios from tcgetattr.
    unsafe { libc::tcsetattr(fd, libc::TCSANOW, &term) };
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    // SAFETY: as above; the saved settings and the previous SIGINT disposition return.
    unsafe {
        libc::tcsetattr(fd, libc::TCSANOW, &saved);
        libc::signal(libc::SIGINT, previous);
    }
    read.context("cannot read the answer")?;
    Ok(line)
}

extern "C" fn restore_and_die(_: libc::c_int) {
    // SAFETY: async-signal-safe calls only; SAVED_FOR_SIGNAL was set before installing.
    unsafe {
        if let Some(saved) = &*std::ptr::addr_of!(SAVED_FOR_SIGNAL) {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, saved);
        }
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::raise(libc::SIGINT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closest_names_come_first_ignoring_case() {
        let names: Vec<String> = [
            "www.shop.example.com",
            "blog.example.org",
            "shop.example.com",
            "shop.example.net",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            closest("SHOP.exampel.com", &names),
            [
                "`shop.example.com`",
                "`shop.example.net`",
                "`www.shop.example.com`"
            ]
        );
    }

    #[test]
    fn env_names_are_upper_case_with_underscores() {
        assert_eq!(env_name("new_password"), "RUNBOOK_PARAM_NEW_PASSWORD");
        assert_eq!(env_name("mail-box"), "RUNBOOK_PARAM_MAIL_BOX");
    }

    #[test]
    fn a_param_file_loses_one_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p");
        std::fs::write(&path, "s3cret\n\n").unwrap();
        assert_eq!(read_param_file(&path).unwrap(), "s3cret\n");
        std::fs::write(&path, "s3cret").unwrap();
        assert_eq!(read_param_file(&path).unwrap(), "s3cret");
        std::fs::write(&path, b"\xff\xfe").unwrap();
        assert!(read_param_file(&path).is_err());
    }
}
