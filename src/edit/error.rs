//! Why an edit could not be made.
//!
//! Values come from hosts whose sites may be compromised, so messages show them with
//! control characters escaped (`\n`, `\u{1b}`): a refused value cannot garble the
//! operator's terminal or fake a second line of output.

/// An edit request the editors refuse, so that nothing half-done reaches a file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("no <VirtualHost> has ServerName or ServerAlias `{}`", .name.escape_debug())]
    NoMatchingVirtualHost { name: String },
    #[error(
        "`{}` is not a valid key: it must be non-empty, without spaces, line breaks, control characters, quotes or any of `=;[]{{}}()&|^~!$`, and not start with `#`",
        .0.escape_debug()
    )]
    InvalidKey(String),
    #[error(
        "`{}` is not a valid list item: it must be non-empty, without commas, `;`, quotes, line breaks, control characters or surrounding spaces",
        .0.escape_debug()
    )]
    InvalidItem(String),
    #[error("a value must be a single line")]
    MultilineValue,
    #[error(
        "`{}` holds a control character (such as NUL or escape): what is written to a config file must be printable text",
        .0.escape_debug()
    )]
    ControlCharacter(String),
    #[error(
        "value `{}` would not read back as written (a `;` starts a comment; a trailing `\\` continues the line)",
        .0.escape_debug()
    )]
    InvalidValue(String),
    #[error(
        "value `{}` leaves a quote open: PHP would read the lines after it as part of the value",
        .0.escape_debug()
    )]
    UnclosedQuote(String),
    #[error(
        "`{}` is not a valid Apache directive name: it must be letters, digits and `_`",
        .0.escape_debug()
    )]
    InvalidDirective(String),
    #[error(
        "`{}` is not a valid directive argument: it must be non-empty, without spaces, quotes, `\\`, line breaks or control characters",
        .0.escape_debug()
    )]
    InvalidArgument(String),
    #[error(
        "`{}` is not a valid server name: it must be non-empty, without spaces, quotes, line breaks or control characters",
        .0.escape_debug()
    )]
    InvalidServerName(String),
}
