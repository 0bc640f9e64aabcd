//! `runbook verify [RUN_ID | --last]`: a past run's `verify:` again; and the verify
//! `runbook apply` runs after a successful apply. Both record the result in the run's
//! directory and, on failure with `on_fail: rollback`, undo the run.

use anyhow::{Result, anyhow, bail};

use crate::apply::state_dir::Dir;
use crate::apply::{lock, rollback, state};
use crate::cli::{HostArgs, Output};
use crate::host::Host;
use crate::report::escape::escape_text;
use crate::report::style::Style;
use crate::runbook::catalog::Catalog;
use crate::runbook::verify::OnFail;
use crate::verify::basis::Basis;
use crate::verify::{Subject, Verified, record};

pub fn run(
    catalog: &Catalog,
    run_id: Option<&str>,
    host: &HostArgs,
    on_fail: Option<OnFail>,
    output: Output,
) -> Result<u8> {
    let opts = super::host_opts::resolve(host)?;
    let Some(state_dir) = opts.state_dir(false)? else {
        bail!(
            "no runs in {} (no runs yet); see `runbook history`",
            opts.state_path().display()
        );
    };
    let run = state::find(&state_dir, run_id, lock::held(&state_dir)?)?;
    crate::process::install_interrupt_handler();
    let verified = verify_run(catalog, &opts.host, &state_dir, &run, on_fail, output)?
        .ok_or_else(|| anyhow!("runbook `{}` has no `verify:` section", run.runbook))?;
    if output == Output::Json {
        println!("{}", serde_json::to_string_pretty(&verified)?);
    }
    Ok(if verified.passed() { 0 } else { 1 })
}

/// Verify `run` with its runbook's `verify:` (none: `None`), record the result, show it
/// to people (`--output human`), and roll the run back when it failed and `on_fail`
/// (else the runbook's) says `rollback`. The host stays locked over the window, so no
/// apply or rollback changes it between the samples and the rollback they decide.
pub(super) fn verify_run(
    catalog: &Catalog,
    host: &Host,
    state_dir: &Dir,
    run: &state::RunRecord,
    on_fail: Option<OnFail>,
    output: Output,
) -> Result<Option<Verified>> {
    let entry = catalog
        .get(&run.runbook)
        .ok_or_else(|| anyhow!("runbook `{}` of run {} is not known", run.runbook, run.id))?;
    let Some(verify) = &entry.loaded.runbook.verify else {
        return Ok(None);
    };
    let lock = lock::acquire(state_dir, &format!("verify {}", run.id))?;
    let run_dir = state::run_dir(state_dir, &run.id)?;
    let basis = Basis::load(&run_dir)?;
    let titles = verify
        .checks
        .iter()
        .map(|c| {
            let i18n = crate::plan::i18n::verify_check(&entry.loaded.runbook, &c.id);
            (c.id.clone(), i18n)
        })
        .collect();
    let subject = Subject {
        run_id: &run.id,
        runbook: &run.runbook,
        verify,
        params: &run.params,
        basis: &basis,
        titles: &titles,
    };
    let mut verified = crate::verify::run(host, &subject)?;
    let undo =
        verified.outcome == "failed" && on_fail.unwrap_or(verify.on_fail) == OnFail::Rollback;
    if undo {
        verified.action = Some("rollback".into());
    }
    record::append(&run_dir, &verified)?;
    if output == Output::Human {
        print!(
            "{}",
            crate::report::verify::render(&verified, Style::detect())
        );
    }
    if undo {
        // Through rollback's own journal and drift checks, as `runbook rollback` does.
        match rollback::rollback_locked(&lock, host, state_dir, Some(&run.id), false) {
            Ok(done) if output == Output::Human => super::rollback::print_done(&done),
            Ok(_) => {}
            Err(e) => eprintln!(
                "{} verify failed and the rollback it asks for failed too: {}",
                Style::detect_stderr().red("error:"),
                escape_text(&format!("{e:#}"))
            ),
        }
    }
    Ok(Some(verified))
}
