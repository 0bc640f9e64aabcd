use super::error::EditError;
#[derive(Debug, Clone, PartialEq)]
pub enum PhpMode {
    ModPhp,
    Cgi,
    Fpm,
    Unknown,
}
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualHost {
    pub start_line: usize,
    pub end_line: usize,
    pub addresses: String,
    pub server_name: Option<String>,
    pub server_aliases: Vec<String>,
    pub document_root: Option<String>,
    pub suexec_user: Option<String>,
    pub php_admin_values: Vec<(String, String)>,
    pub php_mode: PhpMode,
}
pub fn virtual_hosts(_t: &str) -> Vec<VirtualHost> {
    todo!("STUB")
}
pub fn set_directive(
    _t: &str,
    _d: &str,
    _a: Option<&str>,
    _v: &str,
    _s: Option<&str>,
) -> Result<String, EditError> {
    todo!("STUB")
}
pub fn remove_directive(
    _t: &str,
    _d: &str,
    _a: Option<&str>,
    _s: Option<&str>,
) -> Result<String, EditError> {
    todo!("STUB")
}
