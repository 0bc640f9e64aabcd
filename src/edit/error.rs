//! Why an edit could not be made.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("no <VirtualHost> has ServerName or ServerAlias `{name}`")]
    NoMatchingVirtualHost { name: String },
    #[error(
        "`{0}` is not a valid key: it must be non-empty without `=`, `;`, spaces or line breaks"
    )]
    InvalidKey(String),
    #[error(
        "`{0}` is not a valid list item: it must be non-empty without commas, quotes or line breaks"
    )]
    InvalidItem(String),
    #[error("a value must be a single line")]
    MultilineValue,
}
