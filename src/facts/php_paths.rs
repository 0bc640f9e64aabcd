use std::path::{Path, PathBuf};
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PhpIni {
    pub path: PathBuf,
    pub sapi: String,
    pub version: Option<String>,
    pub layout: String,
}
pub fn discover(_r: &Path) -> Vec<PhpIni> {
    todo!("STUB")
}
