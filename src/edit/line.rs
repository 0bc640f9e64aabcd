//! Line edits, like Ansible's lineinfile and replace: keep every other line as it is.

use regex::Regex;

/// Lines with their terminators, and the file's end-of-line style.
fn split(text: &str) -> (Vec<(&str, &str)>, &'static str) {
    let lines: Vec<(&str, &str)> = text
        .split_inclusive('\n')
        .map(|raw| {
            let body = raw.trim_end_matches('\n').trim_end_matches('\r');
            (body, &raw[body.len()..])
        })
        .collect();
    let eol = if lines.iter().any(|(_, e)| *e == "\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    (lines, eol)
}

fn join(lines: &[(String, &str)]) -> String {
    lines.iter().map(|(l, e)| format!("{l}{e}")).collect()
}

/// Ensure `line` is in the file: replace the last line matching `regex` (if given and
/// found), else append it unless an identical line exists.
pub fn ensure_present(text: &str, line: &str, regex: Option<&Regex>) -> String {
    let (lines, eol) = split(text);
    let mut out: Vec<(String, &str)> = lines.iter().map(|(l, e)| (l.to_string(), *e)).collect();
    if let Some(i) = regex.and_then(|re| lines.iter().rposition(|(l, _)| re.is_match(l))) {
        if lines[i].0 == line {
            return text.to_string();
        }
        out[i].0 = line.to_string();
        return join(&out);
    }
    if lines.iter().any(|(l, _)| *l == line) {
        return text.to_string();
    }
    if let Some(last) = out.last_mut()
        && last.1.is_empty()
    {
        last.1 = eol;
    }
    out.push((line.to_string(), eol));
    join(&out)
}

/// Remove every line matching `regex`.
pub fn ensure_absent(text: &str, regex: &Regex) -> String {
    let (lines, _) = split(text);
    lines
        .iter()
        .filter(|(l, _)| !regex.is_match(l))
        .map(|(l, e)| format!("{l}{e}"))
        .collect()
}

/// Replace every match of `regex` in every line (`$1` expands groups).
pub fn replace(text: &str, regex: &Regex, replacement: &str) -> String {
    let (lines, _) = split(text);
    lines
        .iter()
        .map(|(l, e)| format!("{}{e}", regex.replace_all(l, replacement)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(s: &str) -> Regex {
        Regex::new(s).unwrap()
    }

    #[test]
    fn present_replaces_the_last_match_or_appends() {
        let text = "a=1\nb=2\nb=3\n";
        assert_eq!(
            ensure_present(text, "b=9", Some(&re("^b="))),
            "a=1\nb=2\nb=9\n"
        );
        assert_eq!(
            ensure_present(text, "c=1", Some(&re("^c="))),
            "a=1\nb=2\nb=3\nc=1\n"
        );
        assert_eq!(ensure_present(text, "a=1", None), text);
        assert_eq!(ensure_present("x\r\ny", "z", None), "x\r\ny\r\nz\r\n");
        assert_eq!(ensure_present("", "z", None), "z\n");
    }

    #[test]
    fn absent_and_replace_work_per_line() {
        assert_eq!(ensure_absent("a\n#b\nc\r\n", &re("^#")), "a\nc\r\n");
        assert_eq!(
            replace(
                "mynetworks = 0.0.0.0/0\nx",
                &re(r"0\.0\.0\.0/0"),
                "127.0.0.0/8"
            ),
            "mynetworks = 127.0.0.0/8\nx"
        );
        assert_eq!(
            replace("k = v\n", &re(r"^(\w+) = (\w+)$"), "$1=$2"),
            "k=v\n"
        );
    }
}
