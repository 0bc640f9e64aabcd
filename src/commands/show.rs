//! `runbook show ID`: the procedure as Markdown.

use anyhow::{Result, anyhow};

use crate::runbook::catalog::Catalog;

pub fn run(catalog: &Catalog, id: &str) -> Result<u8> {
    let entry = catalog
        .get(id)
        .ok_or_else(|| anyhow!("no runbook has id `{id}`; see `runbook list`"))?;
    print!(
        "{}",
        crate::report::markdown::render(&entry.loaded.runbook, &entry.loaded.source.name)
    );
    Ok(0)
}
