//! Step `ini_list_remove`: remove an item from a comma-separated ini value.

use anyhow::Result;

pub use super::ini_list_add::IniList;
pub(crate) use super::ini_list_add::lint;
use super::Planning;
use crate::edit::ini;

/// For `runbook show`.
pub fn describe(a: &IniList) -> String {
    format!("remove `{}` from `{}` in `{}`", a.item, a.key, a.file)
}

/// Planning: the edit of the file.
pub fn plan<P: Planning>(a: &IniList, p: &mut P) -> Result<P::Out> {
    let (key, item) = (p.render(&a.key)?, p.render(&a.item)?);
    p.edit(&a.file, a.owner.as_deref(), |text| {
        Ok(ini::list_remove(text, &key, &item)?)
    })
}
