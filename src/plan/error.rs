//! What stops a plan, typed: so `--output json` can say which kind of problem it is
//! (`error.kind`), and callers can tell a missing file from an unknown runbook.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum PlanError {
    #[error("no runbook has id `{id}` (known: {}); see `runbook list`", known.join(", "))]
    UnknownRunbook { id: String, known: Vec<String> },
    #[error(
        "unknown param `{key}` for runbook `{runbook}` ({})",
        known_params(known)
    )]
    UnknownParam {
        runbook: String,
        key: String,
        known: Vec<String>,
    },
    /// `how`: the ways to pass it, as the caller knows them.
    #[error("runbook `{runbook}` needs param `{name}`: {how}")]
    MissingParam {
        runbook: String,
        name: String,
        how: String,
    },
    #[error("param `{name}`: {reason}")]
    InvalidParam { name: String, reason: String },
    #[error("{file} does not exist on the host (under {root})")]
    MissingFile { file: String, root: String },
    #[error("program `{program}` is not installed on the host (looked in {path} under {root})")]
    MissingProgram {
        program: String,
        path: String,
        root: String,
    },
    #[error("include cycle: {}", chain.join(" -> "))]
    IncludeCycle { chain: Vec<String> },
    #[error(
        "runbook `{runbook}` does not fit this host: {why}; {}",
        fits_text(fits)
    )]
    DoesNotApply {
        runbook: String,
        why: String,
        fits: Vec<String>,
    },
}

fn fits_text(fits: &[String]) -> String {
    if fits.is_empty() {
        "no runbook is written for it; `runbook apply spam-diagnose --dry-run` reads the host"
            .into()
    } else {
        format!("runbooks written for it: {}", fits.join(", "))
    }
}

impl PlanError {
    /// The stable kind shown as `error.kind` in JSON (docs/json.md).
    pub fn kind(&self) -> &'static str {
        match self {
            PlanError::UnknownRunbook { .. } => "unknown-runbook",
            PlanError::UnknownParam { .. } => "unknown-param",
            PlanError::MissingParam { .. } => "missing-param",
            PlanError::InvalidParam { .. } => "invalid-param",
            PlanError::MissingFile { .. } => "missing-file",
            PlanError::MissingProgram { .. } => "missing-program",
            PlanError::IncludeCycle { .. } => "include-cycle",
            PlanError::DoesNotApply { .. } => "does-not-apply",
        }
    }

    /// The kind of the first typed plan error in an error's chain.
    pub fn kind_of(error: &anyhow::Error) -> Option<&'static str> {
        error
            .chain()
            .find_map(|e| e.downcast_ref::<PlanError>())
            .map(PlanError::kind)
    }
}

fn known_params(known: &[String]) -> String {
    if known.is_empty() {
        "it takes none".to_string()
    } else {
        format!("known: {}", known.join(", "))
    }
}
