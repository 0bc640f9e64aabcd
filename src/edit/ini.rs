use super::error::EditError;
pub fn get(_t: &str, _k: &str) -> Option<String> {
    todo!("STUB")
}
pub fn set(_t: &str, _k: &str, _v: &str) -> Result<String, EditError> {
    todo!("STUB")
}
pub fn list_add(_t: &str, _k: &str, _v: &str) -> Result<String, EditError> {
    todo!("STUB")
}
pub fn list_remove(_t: &str, _k: &str, _v: &str) -> Result<String, EditError> {
    todo!("STUB")
}
