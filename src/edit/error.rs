//! Why an edit could not be made.
//!
//! Values come from hosts whose sites may be compromised, so messages show them with
//! control characters escaped (`\n`, `\u{1b}`): a refused value cannot garble the
//! operator's terminal or fake a second line of output.

/// `text` with its control characters escaped and everything else as it is.
pub(super) fn shown(text: &str) -> String {
    text.chars()
        .map(|c| match c.is_control() {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}

/// An edit request the editors refuse, so that nothing half-done reaches a file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("no <VirtualHost> has ServerName or ServerAlias `{}`", shown(.name))]
    NoMatchingVirtualHost { name: String },
    #[error(
        "`{}` is not a valid key: it must be non-empty, without spaces, line breaks, control characters, quotes or any of `=;[]{{}}()&|^~!$`, and not start with `#`",
        shown(.0)
    )]
    InvalidKey(String),
    #[error(
        "`{}` is not a valid list item: it must be non-empty, without commas, `;`, quotes, line breaks, control characters or surrounding spaces",
        shown(.0)
    )]
    InvalidItem(String),
    #[error("a value must be a single line")]
    MultilineValue,
    #[error(
        "`{}` holds a control character (such as NUL or escape): what is written to a config file must be printable text",
        shown(.0)
    )]
    ControlCharacter(String),
    #[error(
        "value `{}` would not read back as written (a `;` starts a comment; a trailing `\\` continues the line)",
        shown(.0)
    )]
    InvalidValue(String),
    #[error(
        "value `{}` leaves a quote open: PHP would read the lines after it as part of the value",
        shown(.0)
    )]
    UnclosedQuote(String),
    #[error(
        "`{}` is not a valid Apache directive name: it must be letters, digits and `_`",
        shown(.0)
    )]
    InvalidDirective(String),
    #[error(
        "`{}` is not a valid directive argument: it must be non-empty, without spaces, quotes, `\\`, line breaks or control characters",
        shown(.0)
    )]
    InvalidArgument(String),
    #[error(
        "`{}` is not a valid server name: it must be non-empty, without spaces, quotes, line breaks or control characters",
        shown(.0)
    )]
    InvalidServerName(String),
}
