//! Planning `queue_purge` and `queue_retry`: the host's MTA and queue found as the
//! facts find them, every message read, the selection applied, and what earlier steps
//! of the plan already quarantine left out.

use std::collections::HashMap;

use anyhow::{Context as _, Result, anyhow, bail};

use super::types::{Count, QueueAction, QueuePlan, QueueWork, Work};
use crate::facts::mta::{self, MtaKind};
use crate::host::Host;
use crate::queue::select::Selection;
use crate::queue::{self, Queued};

/// The work of one queue step. `quarantined`: ids earlier purges of the plan take.
pub fn plan(
    host: &Host,
    action: QueueAction,
    selection: &Selection,
    quarantined: &mut std::collections::HashSet<String>,
) -> Result<Vec<Work>> {
    if selection.is_empty() {
        bail!(
            "no selector given (a template that renders empty, as an unset param, selects nothing): \
             name one (`script`, `sender`, `older_than`, ...) or say `all: true`"
        );
    }
    let found = mta::gather(host);
    let (Some(kind), Some(spool)) = (found.kind.as_deref(), found.spool.as_deref()) else {
        bail!(
            "no mail server with a queue found on the host at {}",
            host.root().display()
        );
    };
    let mta = mta::by_name(kind).ok_or_else(|| anyhow!("unknown MTA `{kind}`"))?;
    let real = host
        .resolve(spool)
        .with_context(|| format!("cannot reach {kind}'s queue {spool}"))?;
    let now = crate::clock::now()?.as_second();
    let taken: &std::collections::HashSet<String> = quarantined;
    let keep =
        |m: &crate::facts::message::Message| !taken.contains(&m.id) && selection.matches(m, now);
    let listing = queue::ops(mta.kind()).list(&real, &keep)?;
    let messages = listing.messages;
    if action == QueueAction::Purge {
        quarantined.extend(messages.iter().map(|m| m.id.clone()));
    }
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![Work::Queue(QueueWork {
        action,
        mta: kind.to_string(),
        spool: spool.to_string(),
        binary: found.binary.unwrap_or_default(),
        messages,
        unreadable: listing.unreadable,
    })])
}

/// The plan's view of the work: counts, the first ids, the top senders and scripts.
pub fn view(work: &QueueWork) -> QueuePlan {
    let top = |key: &dyn Fn(&Queued) -> Option<String>| {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for m in &work.messages {
            if let Some(k) = key(m) {
                *counts.entry(k).or_default() += 1;
            }
        }
        let mut list: Vec<Count> = counts
            .into_iter()
            .map(|(name, count)| Count { name, count })
            .collect();
        list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        list.truncate(QueuePlan::TOP);
        list
    };
    QueuePlan {
        action: work.action,
        mta: work.mta.clone(),
        spool: work.spool.clone(),
        count: work.messages.len(),
        ids: work
            .messages
            .iter()
            .take(QueuePlan::IDS_SHOWN)
            .map(|m| m.id.clone())
            .collect(),
        by_sender: top(&|m| {
            Some(if m.sender.is_empty() {
                "<>".to_string()
            } else {
                m.sender.clone()
            })
        }),
        by_script: top(&|m| m.script.clone()),
        unreadable: work.unreadable,
        quarantine: None,
        done: None,
        skipped: Vec::new(),
    }
}

/// The MTA of a queue work, by its name.
pub fn kind_of(work: &QueueWork) -> Result<MtaKind> {
    Ok(mta::by_name(&work.mta)
        .ok_or_else(|| anyhow!("unknown MTA `{}`", work.mta))?
        .kind())
}

/// The commands a retry runs (none for a purge, which moves files itself).
pub fn commands(work: &QueueWork) -> Vec<queue::RetryCommand> {
    match (work.action, kind_of(work)) {
        (QueueAction::Retry, Ok(kind)) => {
            queue::ops(kind).retry_commands(&work.binary, &work.messages)
        }
        _ => Vec::new(),
    }
}
