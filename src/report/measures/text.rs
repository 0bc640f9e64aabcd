//! The measures as plain text (to paste into a support ticket) and as Markdown.

use super::Document;

pub fn text(doc: &Document) -> String {
    let mut out = format!("{}\n\n", doc.title);
    for line in &doc.lines {
        out.push_str(line);
        out.push('\n');
    }
    for section in &doc.sections {
        out.push_str(&format!("\n{}:\n", section.heading));
        for item in &section.items {
            out.push_str(&bullet(item, "- ", "  "));
        }
    }
    out
}

pub fn markdown(doc: &Document) -> String {
    let mut out = format!("# {}\n\n", doc.title);
    for line in &doc.lines {
        // Two spaces: a line break, not a new paragraph.
        out.push_str(line);
        out.push_str("  \n");
    }
    for section in &doc.sections {
        out.push_str(&format!("\n## {}\n\n", section.heading));
        for item in &section.items {
            out.push_str(&bullet(item, "- ", "  "));
        }
    }
    out
}

/// An item as a list entry; its further lines indented under it.
fn bullet(item: &str, first: &str, rest: &str) -> String {
    let mut out = String::new();
    for (i, line) in item.lines().enumerate() {
        out.push_str(if i == 0 { first } else { rest });
        out.push_str(line);
        out.push('\n');
    }
    out
}
