use std::path::{Path, PathBuf};
pub struct ApacheLayout {
    pub main_config: PathBuf,
    pub server_root: PathBuf,
    pub files: Vec<PathBuf>,
}
pub fn discover(_r: &Path) -> Option<ApacheLayout> {
    todo!("STUB")
}
