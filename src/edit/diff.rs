//! Unified diffs in the `--- a/path` / `+++ b/path` form `git apply` and `patch -p1` accept.

use similar::TextDiff;

/// The unified diff of a file edit (`before: None` for a new file); empty when equal.
pub fn unified(host_path: &str, before: Option<&[u8]>, after: &[u8]) -> String {
    let old = String::from_utf8_lossy(before.unwrap_or_default());
    let new = String::from_utf8_lossy(after);
    if before == Some(after) {
        return String::new();
    }
    let rel = host_path.trim_start_matches('/');
    let old_header = if before.is_some() {
        format!("a/{rel}")
    } else {
        "/dev/null".to_string()
    };
    TextDiff::from_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(true)
        .header(&old_header, &format!("b/{rel}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_changed_lines_with_git_style_headers() {
        let d = unified("/etc/php.ini", Some(b"a\nb = Off\nc\n"), b"a\nb = On\nc\n");
        assert!(
            d.starts_with("--- a/etc/php.ini\n+++ b/etc/php.ini\n@@ -1,3 +1,3 @@\n"),
            "{d}"
        );
        assert!(d.contains("-b = Off\n+b = On\n"), "{d}");
        assert_eq!(unified("/x", Some(b"same"), b"same"), "");
        assert!(unified("/new", None, b"x\n").starts_with("--- /dev/null\n+++ b/new\n"));
    }
}
