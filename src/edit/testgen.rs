//! Property-test inputs shared by the editors' tests: files made of generated lines, with
//! LF or CRLF endings and with or without a final newline.

use proptest::prelude::*;

/// Up to `max` lines from `line`, joined as a file.
pub fn file_of(line: impl Strategy<Value = String>, max: usize) -> impl Strategy<Value = String> {
    (
        prop::collection::vec(line, 0..max),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lines, crlf, final_eol)| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = lines.join(eol);
            if final_eol && !lines.is_empty() {
                text.push_str(eol);
            }
            text
        })
}
