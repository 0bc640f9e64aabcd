//! Step `ini_list_remove`: remove an item from a comma-separated ini value.

pub use super::ini_list_add::IniList;
pub(crate) use super::ini_list_add::lint;

/// For `runbook show`.
pub fn describe(a: &IniList) -> String {
    format!("remove `{}` from `{}` in `{}`", a.item, a.key, a.file)
}
