//! Step `queue_retry`: release the queued messages that match and try them again
//! (exim: thaw and a delivery attempt; postfix: out of hold and a flush). Selected
//! with `queue_purge`'s fields. A thaw or release is undone by rollback; a delivery
//! attempt is not (what was delivered is gone), and the plan says so.

use anyhow::Result;

use super::Planning;
pub use super::queue_purge::QueueSelector;
use super::queue_purge::selected;
use crate::queue::QueueAction;
use crate::runbook::validate::{Scope, Validator};

/// For `runbook show`.
pub fn describe(a: &QueueSelector) -> String {
    format!(
        "release the queued messages {} and retry their delivery",
        selected(a)
    )
}

pub(crate) fn lint(a: &QueueSelector, v: &mut Validator, p: &str, scope: &Scope) {
    super::queue_purge::lint(a, v, p, scope);
}

pub fn plan<P: Planning>(a: &QueueSelector, p: &mut P) -> Result<P::Out> {
    let selection = super::queue_purge::selection(a, p)?;
    p.queue(QueueAction::Retry, &selection)
}
