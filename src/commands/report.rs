//! `runbook report [RUN_ID | --last] [--format F] [--lang L]`: the measures a run took.

use anyhow::{Result, bail};

use crate::apply::{lock, state};
use crate::cli::{HostArgs, ReportFormat};
use crate::i18n::{Lang, Messages};
use crate::report::measures;

pub fn run(
    run_id: Option<&str>,
    format: ReportFormat,
    lang: Option<Lang>,
    host: &HostArgs,
) -> Result<u8> {
    let opts = super::host_opts::resolve(host)?;
    let Some(state_dir) = opts.state_dir(false)? else {
        bail!(
            "no runs in {} yet; see `runbook history`",
            opts.state_path().display()
        );
    };
    let runs = state::list(&state_dir, lock::held(&state_dir)?)?;
    let record = match run_id {
        Some(id) => runs.into_iter().find(|r| r.id == id),
        None => runs.into_iter().next_back(),
    };
    let Some(record) = record else {
        match run_id {
            Some(id) => bail!(
                "no run `{id}` in {}; see `runbook history`",
                state_dir.path().display()
            ),
            None => bail!(
                "no runs in {} yet; see `runbook history`",
                state_dir.path().display()
            ),
        }
    };
    let run_dir = state::run_dir(&state_dir, &record.id)?;
    let mut m = measures::gather(&opts.host, &run_dir, &record)?;
    if format == ReportFormat::Json {
        // JSON keeps the English fields; the language asked names the `i18n` to read.
        m.lang = lang.map(Lang::code);
        println!("{}", serde_json::to_string_pretty(&m)?);
        return Ok(0);
    }
    let doc = measures::document(&m, &Messages::new(lang.unwrap_or_else(Lang::from_env)));
    print!(
        "{}",
        match format {
            ReportFormat::Text => measures::text(&doc),
            ReportFormat::Markdown => measures::markdown(&doc),
            ReportFormat::Html | ReportFormat::Json => measures::html(&doc),
        }
    );
    Ok(0)
}
