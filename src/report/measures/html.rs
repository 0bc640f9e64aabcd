//! The measures as one self-contained HTML file (its style inline, nothing fetched)
//! that reads well on screen and printed.

use super::Document;

const STYLE: &str = "\
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK JP', sans-serif;
  color: #1b1f24; background: #fff; max-width: 52rem; margin: 2rem auto; padding: 0 1.25rem; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; padding-bottom: .4rem; border-bottom: 3px solid #1f6feb; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .4rem; color: #0b3d91; }
p.run { margin: .1rem 0; color: #424a53; }
ul { margin: .2rem 0; padding-left: 1.3rem; }
li { margin: .25rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
code { font: .9em/1.4 ui-monospace, 'DejaVu Sans Mono', monospace; background: #f0f3f6;
  padding: .05rem .3rem; border-radius: 4px; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  h1 { border-bottom-color: #000; }
  h2 { color: #000; break-after: avoid; }
  li { break-inside: avoid; }
  code { background: none; border: 1px solid #999; }
}
";

pub fn html(doc: &Document) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        doc.lang,
        escape(&doc.title),
        escape(&doc.title)
    );
    for line in &doc.lines {
        out.push_str(&format!("<p class=\"run\">{}</p>\n", inline(line)));
    }
    for section in &doc.sections {
        out.push_str(&format!("<h2>{}</h2>\n<ul>\n", escape(&section.heading)));
        for item in &section.items {
            out.push_str(&format!("<li>{}</li>\n", inline(item)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Text with `code` spans in backticks as HTML.
fn inline(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("<code>{}</code>", escape(part)));
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_data_cannot_open_a_tag() {
        assert_eq!(
            inline("<script>alert(1)</script> ran `rm \"x\" <y>`"),
            "&lt;script&gt;alert(1)&lt;/script&gt; ran <code>rm &quot;x&quot; &lt;y&gt;</code>"
        );
    }
}
