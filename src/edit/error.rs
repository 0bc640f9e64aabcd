#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EditError {
    #[error("no virtual host matches {name}")]
    NoMatchingVirtualHost { name: String },
}
