//! Bytes read from a host as text.

use std::borrow::Cow;

/// `bytes` as text, invalid UTF-8 replaced: borrowed when it is valid, as nearly all is.
/// The same result as [`String::from_utf8_lossy`], whose byte-at-a-time scan showed up
/// in the queue readers' profiles; `str::from_utf8` checks ASCII a word at a time.
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_as_std_for_valid_and_invalid_text() {
        for bytes in [
            &b"plain"[..],
            "письмо 迷惑".as_bytes(),
            b"bad \xff\xfe end",
            b"",
        ] {
            assert_eq!(lossy(bytes), String::from_utf8_lossy(bytes));
        }
        assert!(matches!(lossy(b"ok"), Cow::Borrowed("ok")));
    }
}
