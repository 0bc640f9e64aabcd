//! Why an edit could not be made.

/// An edit request the editors refuse, so that nothing half-done reaches a file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("no <VirtualHost> has ServerName or ServerAlias `{name}`")]
    NoMatchingVirtualHost { name: String },
    #[error(
        "`{0}` is not a valid key: it must be non-empty, without `=`, `;`, quotes, spaces or line breaks"
    )]
    InvalidKey(String),
    #[error(
        "`{0}` is not a valid list item: it must be non-empty, without commas, `;`, quotes, line breaks or surrounding spaces"
    )]
    InvalidItem(String),
    #[error("a value must be a single line")]
    MultilineValue,
    #[error(
        "value `{0}` would not read back as written (a `;` starts a comment; a trailing `\\` continues the line)"
    )]
    InvalidValue(String),
    #[error("`{0}` is not a valid Apache directive name")]
    InvalidDirective(String),
    #[error(
        "`{0}` is not a valid directive argument: it must be non-empty, without spaces, quotes or line breaks"
    )]
    InvalidArgument(String),
}
