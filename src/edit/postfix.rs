//! Postfix main.cf edits that keep the file as its owner wrote it: comments, blank
//! lines, continuation lines, order, spacing, line endings.
//!
//! Postfix's own rules (src/util/readlline.c, split_nameval.c, mystrtok.c):
//! - A logical line starts on a line whose first character is neither whitespace nor
//!   `#`, and takes in every following line that starts with whitespace, joined without
//!   the newlines. Empty lines, whitespace-only lines and lines whose first non-space
//!   character is `#` are skipped, also inside a logical line: they neither end it nor
//!   add to it.
//! - A logical line is `name = value`: the name runs to whitespace or `=`, spaces
//!   around `=` are optional, the value is trimmed. The last definition of a name wins.
//! - A list value's items are separated by commas and whitespace (`, \t\r\n`); `{...}`
//!   groups one item. `$name` is expanded when a value is used, never here.
//!
//! There is no quoting and no backslash continuation.

use std::collections::BTreeMap;
use std::ops::Range;

use super::error::{EditError, shown};
use super::line::{self, Line};

/// An edit of main.cf refused, so that nothing half-done reaches the file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PostfixError {
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(
        "`{}` is not a valid postfix parameter name: it must be letters, digits and `_`",
        shown(.0)
    )]
    InvalidName(String),
    #[error(
        "`{}` is not a valid list item: it must be one item, without commas, spaces, braces or control characters, and not start with `#`",
        shown(.0)
    )]
    InvalidItem(String),
    #[error(
        "`{0}` is not set in this file, so postfix uses its built-in default, which this step does not know: give `default:` (what `postconf -d {0}` prints) to start the list from, or set the whole list with `value:`"
    )]
    Unset(String),
}

/// Whitespace as postfix's `ISSPACE` (C's `isspace` in ASCII).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Postfix's list separators (`CHARS_COMMA_SP`).
fn is_separator(b: u8) -> bool {
    matches!(b, b',' | b' ' | b'\t' | b'\r' | b'\n')
}

/// A line postfix skips: empty, whitespace only, or a comment.
fn is_skipped(text: &str) -> bool {
    matches!(text.bytes().find(|b| !is_space(*b)), None | Some(b'#'))
}

/// One logical line that defines a parameter.
struct Definition {
    name: String,
    /// Its physical lines (skipped lines between them are not part of it), each with
    /// where its text starts in `joined`.
    pieces: Vec<(usize, usize)>,
    /// The lines' texts joined, as postfix reads them.
    joined: String,
    /// The value in `joined`, trimmed.
    value: Range<usize>,
}

impl Definition {
    /// `split_nameval` on the joined lines; `None` when they are no `name = value`.
    fn new(lines: &[Line], indexes: &[usize]) -> Option<Definition> {
        let mut joined = String::new();
        let mut pieces = Vec::new();
        for &i in indexes {
            pieces.push((i, joined.len()));
            joined.push_str(lines[i].text);
        }
        let b = joined.as_bytes();
        let skip = |mut i: usize| {
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            i
        };
        let name_end = b
            .iter()
            .position(|&c| is_space(c) || c == b'=')
            .unwrap_or(b.len());
        let eq = skip(name_end);
        if name_end == 0 || b.get(eq) != Some(&b'=') {
            return None;
        }
        let start = skip(eq + 1);
        let mut end = b.len();
        while end > start && is_space(b[end - 1]) {
            end -= 1;
        }
        Some(Definition {
            name: joined[..name_end].to_string(),
            pieces,
            value: start..end,
            joined,
        })
    }

    fn value(&self) -> &str {
        &self.joined[self.value.clone()]
    }

    /// Which piece holds byte `at` of `joined`.
    fn piece_of(&self, at: usize) -> usize {
        self.pieces.iter().rposition(|&(_, s)| s <= at).unwrap_or(0)
    }

    /// `range` of `joined` as a line index and a range in that line, when it lies in
    /// one line.
    fn on_line(&self, range: &Range<usize>) -> Option<(usize, Range<usize>)> {
        let piece = self.piece_of(range.start);
        if range.end > range.start && self.piece_of(range.end - 1) != piece {
            return None;
        }
        let (line, start) = self.pieces[piece];
        Some((line, range.start - start..range.end - start))
    }

    /// The items of the value, as ranges of `joined` (`mystrtokq` with `{}` groups).
    fn items(&self) -> Vec<Range<usize>> {
        let b = self.joined.as_bytes();
        let (mut i, end) = (self.value.start, self.value.end);
        let mut out = Vec::new();
        loop {
            while i < end && is_separator(b[i]) {
                i += 1;
            }
            if i >= end {
                return out;
            }
            let (start, mut depth) = (i, 0usize);
            while i < end && !(depth == 0 && is_separator(b[i])) {
                match b[i] {
                    b'{' => depth += 1,
                    b'}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
                i += 1;
            }
            out.push(start..i);
        }
    }

    /// Whether commas separate the items (outside `{...}` groups).
    fn uses_commas(&self) -> bool {
        let items = self.items();
        let gaps = items.windows(2).map(|w| w[0].end..w[1].start);
        let tail = items.last().map(|r| r.end..self.value.end);
        gaps.chain(tail).any(|g| self.joined[g].contains(','))
    }

    fn has_item(&self, item: &str) -> bool {
        self.items().iter().any(|r| &self.joined[r.clone()] == item)
    }
}

/// The file's lines and its definitions, in order.
struct MainCf<'a> {
    text: &'a str,
    lines: Vec<Line<'a>>,
    defs: Vec<Definition>,
}

impl<'a> MainCf<'a> {
    fn new(text: &'a str) -> Self {
        let lines = line::split(text);
        let mut logical: Vec<Vec<usize>> = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            if is_skipped(l.text) {
                continue;
            }
            if is_space(l.text.as_bytes()[0]) {
                // Continuation text before any logical line: postfix warns and skips it.
                if let Some(last) = logical.last_mut() {
                    last.push(i);
                }
                continue;
            }
            logical.push(vec![i]);
        }
        let defs = logical
            .iter()
            .filter_map(|l| Definition::new(&lines, l))
            .collect();
        MainCf { text, lines, defs }
    }

    /// The definition that wins: the last.
    fn effective(&self, name: &str) -> Option<&Definition> {
        self.defs.iter().rev().find(|d| d.name == name)
    }

    /// The file with lines replaced (`Some`, which may hold several lines joined by
    /// the line's ending) or dropped (`None`). A file without a final newline keeps
    /// lacking one when its last line goes.
    fn rebuild(&self, changes: &BTreeMap<usize, Option<String>>) -> String {
        let mut out = String::with_capacity(self.text.len());
        let mut last = None;
        for (i, l) in self.lines.iter().enumerate() {
            match changes.get(&i) {
                Some(None) => continue,
                Some(Some(new)) => {
                    out.push_str(new);
                    last = Some(new.is_empty());
                }
                None => {
                    out.push_str(l.text);
                    last = Some(l.text.is_empty());
                }
            }
            out.push_str(l.eol);
        }
        let dropped_last = changes
            .get(&(self.lines.len().wrapping_sub(1)))
            .is_some_and(Option::is_none);
        if dropped_last && !self.text.ends_with('\n') && last == Some(false) {
            let eol = if out.ends_with("\r\n") { 2 } else { 1 };
            out.truncate(out.len() - eol);
        }
        out
    }

    /// The line ending to join a new line after line `i` with.
    fn eol_after(&self, i: usize) -> &'static str {
        match self.lines[i].eol {
            "\r\n" => "\r\n",
            "\n" => "\n",
            _ => line::eol_style(self.text),
        }
    }
}

/// The effective value of `name`: the last definition's, joined and trimmed as postfix
/// reads it. `None` when the file does not define it (postfix's default applies).
pub fn get(text: &str, name: &str) -> Option<String> {
    MainCf::new(text)
        .effective(name)
        .map(|d| d.value().to_string())
}

/// Make `value` the value of `name`: the last definition is rewritten where it stands
/// (all its lines, when it spans several), or `name = value` is appended.
pub fn set(text: &str, name: &str, value: &str) -> Result<String, PostfixError> {
    check_name(name)?;
    let value = check_value(value)?;
    let cf = MainCf::new(text);
    let Some(d) = cf.effective(name) else {
        let new = format!("{name} = {value}");
        return Ok(line::append(text, new.trim_end()));
    };
    if d.value() == value {
        return Ok(text.to_string());
    }
    let (first, _) = d.pieces[0];
    let first_text = cf.lines[first].text;
    let single = d.pieces.len() == 1;
    let mut prefix = if d.value.start <= first_text.len() {
        first_text[..d.value.start].to_string()
    } else if first_text.contains('=') {
        format!("{} ", first_text.trim_end())
    } else {
        format!("{name} = ")
    };
    // `name =` becomes `name = value` where the file spaces its `=`s.
    if !value.is_empty() && prefix.ends_with(" =") {
        prefix.push(' ');
    }
    let suffix = if single {
        &first_text[d.value.end..]
    } else {
        ""
    };
    let mut new = format!("{prefix}{value}{suffix}");
    if value.is_empty() {
        new.truncate(new.trim_end().len());
    }
    let mut changes = BTreeMap::from([(first, Some(new))]);
    for &(line, _) in &d.pieces[1..] {
        changes.insert(line, None);
    }
    Ok(cf.rebuild(&changes))
}

/// Remove every definition of `name` (an earlier one would win once the last is gone),
/// so that postfix's default applies.
pub fn remove(text: &str, name: &str) -> Result<String, PostfixError> {
    check_name(name)?;
    let cf = MainCf::new(text);
    let changes: BTreeMap<usize, Option<String>> = cf
        .defs
        .iter()
        .filter(|d| d.name == name)
        .flat_map(|d| d.pieces.iter().map(|&(line, _)| (line, None)))
        .collect();
    Ok(cf.rebuild(&changes))
}

/// Add `item` to the list value of `name` when it is not there, after the last item
/// and in the list's style: `, item` in a comma list, ` item` in a whitespace list, a
/// line of its own where every continuation line holds one item. `$name` items are
/// not expanded: an item one of them stands for is added all the same.
///
/// When the file does not define `name`, its value is postfix's default, which only
/// the caller can know: `default` is that list, written out with the item added; without
/// it the edit is refused.
pub fn list_add(
    text: &str,
    name: &str,
    item: &str,
    default: Option<&str>,
) -> Result<String, PostfixError> {
    check_name(name)?;
    check_item(item)?;
    let cf = MainCf::new(text);
    match cf.effective(name) {
        Some(d) => Ok(add_to(&cf, d, item)),
        None => from_default(text, name, default, |base| list_add(base, name, item, None)),
    }
}

/// Remove every occurrence of `item` from the list value of `name`, keeping the other
/// items and their separators tidy; a line left without items goes. `default` as in
/// `list_add`.
pub fn list_remove(
    text: &str,
    name: &str,
    item: &str,
    default: Option<&str>,
) -> Result<String, PostfixError> {
    check_name(name)?;
    check_item(item)?;
    if MainCf::new(text).effective(name).is_none() {
        return from_default(text, name, default, |base| {
            list_remove(base, name, item, None)
        });
    }
    let mut text = text.to_string();
    // One occurrence at a time; each removal drops an item, so this ends.
    loop {
        let cf = MainCf::new(&text);
        let d = cf.effective(name).expect("still defined");
        match remove_from(&cf, d, item)? {
            Some(next) => text = next,
            None => return Ok(text),
        }
    }
}

/// An undefined list edited from the caller's `default`: `edit` runs on the file
/// `name = default`, and the line it gives is appended, unless it left the default as
/// it was (then the file already means that).
fn from_default(
    text: &str,
    name: &str,
    default: Option<&str>,
    edit: impl FnOnce(&str) -> Result<String, PostfixError>,
) -> Result<String, PostfixError> {
    let default = default.ok_or_else(|| PostfixError::Unset(name.to_string()))?;
    let base = format!("{name} = {}", check_value(default)?);
    let edited = edit(&base)?;
    if edited == base {
        return Ok(text.to_string());
    }
    Ok(line::append(text, edited.trim_end()))
}

fn add_to(cf: &MainCf, d: &Definition, item: &str) -> String {
    if d.has_item(item) {
        return cf.text.to_string();
    }
    let value = d.value();
    if value.is_empty() {
        return set(cf.text, &d.name, item).expect("name and item checked");
    }
    let commas = d.uses_commas();
    let (last, last_start) = *d.pieces.last().expect("a definition has a line");
    let text = cf.lines[last].text;
    let end = d.value.end - last_start;
    let mut changes = BTreeMap::new();
    if one_item_per_line(d) {
        let indent = &text[..text.len() - text.trim_start().len()];
        let trailing_comma = value.ends_with(',');
        let (before, after) = text.split_at(end);
        let comma = if commas && !trailing_comma { "," } else { "" };
        let new_comma = if trailing_comma { "," } else { "" };
        let eol = cf.eol_after(last);
        changes.insert(
            last,
            Some(format!(
                "{before}{comma}{after}{eol}{indent}{item}{new_comma}"
            )),
        );
    } else {
        let sep = match (commas, value.ends_with(',')) {
            (true, false) => ", ",
            _ => " ",
        };
        let (before, after) = text.split_at(end);
        changes.insert(last, Some(format!("{before}{sep}{item}{after}")));
    }
    cf.rebuild(&changes)
}

/// Whether the value lists one item on each continuation line (`    item,`).
fn one_item_per_line(d: &Definition) -> bool {
    if d.pieces.len() < 2 {
        return false;
    }
    let items = d.items();
    d.pieces[1..].iter().enumerate().all(|(k, &(_, start))| {
        let end = d.pieces.get(k + 2).map_or(d.joined.len(), |p| p.1);
        items
            .iter()
            .filter(|r| r.start >= start && r.start < end)
            .count()
            == 1
    })
}

/// The file with the first occurrence of `item` in `d` removed, or `None` when there is
/// none.
fn remove_from(cf: &MainCf, d: &Definition, item: &str) -> Result<Option<String>, PostfixError> {
    let items = d.items();
    let Some(k) = items.iter().position(|r| &d.joined[r.clone()] == item) else {
        return Ok(None);
    };
    let changes = match d.on_line(&items[k]) {
        Some((line, at)) => cut(cf, d, &items, k, line, at),
        None => None,
    };
    // A continuation line left starting with `#` would turn into a comment, taking
    // the items after it along: then the whole definition is written on one line.
    let first = d.pieces[0].0;
    let safe = changes.as_ref().filter(|c| {
        c.iter()
            .all(|(l, new)| *l == first || new.as_deref().is_none_or(|t| !is_skipped(t)))
    });
    if let Some(changes) = safe {
        return Ok(Some(cf.rebuild(changes)));
    }
    let sep = if d.uses_commas() { ", " } else { " " };
    let kept: Vec<&str> = (0..items.len())
        .filter(|&j| j != k)
        .map(|j| &d.joined[items[j].clone()])
        .collect();
    set(cf.text, &d.name, &kept.join(sep)).map(Some)
}

/// The line edits that cut item `k` (at `at` of `line`) out of `d`'s list.
fn cut(
    cf: &MainCf,
    d: &Definition,
    items: &[Range<usize>],
    k: usize,
    line: usize,
    at: Range<usize>,
) -> Option<BTreeMap<usize, Option<String>>> {
    let text = cf.lines[line].text;
    let same_line = |j: usize| d.on_line(&items[j]).filter(|(l, _)| *l == line);
    let next = items.get(k + 1).and_then(|_| same_line(k + 1));
    let prev = k.checked_sub(1).and_then(same_line);
    let mut changes = BTreeMap::new();
    match (prev, next) {
        // `a, item, b`: the item and the separator after it.
        (_, Some((_, n))) => {
            changes.insert(
                line,
                Some(format!("{}{}", &text[..at.start], &text[n.start..])),
            );
        }
        // `a, item`: the separator before it and the item.
        (Some((_, p)), None) => {
            changes.insert(line, Some(format!("{}{}", &text[..p.end], &text[at.end..])));
        }
        // Alone on the first line: `name = item` becomes `name =`.
        (None, None) if line == d.pieces[0].0 => {
            changes.insert(line, Some(text[..at.start].trim_end().to_string()));
        }
        // Alone on a continuation line: the line goes, and the item before it loses the
        // separator that led here, unless the list ended in a comma anyway.
        (None, None) => {
            changes.insert(line, None);
            let was_last = k + 1 == items.len();
            if was_last && k > 0 && !d.value().ends_with(',') {
                let (pl, p) = d.on_line(&items[k - 1])?;
                changes.insert(pl, Some(cf.lines[pl].text[..p.end].to_string()));
            }
        }
    }
    Some(changes)
}

/// A parameter name the edits take (also lint's check of a literal `param:`).
pub fn check_name(name: &str) -> Result<(), PostfixError> {
    let ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    match ok {
        true => Ok(()),
        false => Err(PostfixError::InvalidName(name.to_string())),
    }
}

/// The value trimmed (postfix trims it too), if it is one line of printable text.
fn check_value(value: &str) -> Result<&str, PostfixError> {
    line::check_single_line(value)?;
    Ok(value.trim_matches(|c: char| c.is_ascii() && is_space(c as u8)))
}

/// A list item the edits take (also lint's check of a literal `add:` or `remove_item:`).
pub fn check_item(item: &str) -> Result<(), PostfixError> {
    line::check_single_line(item)?;
    let bad = item.is_empty()
        || item.starts_with('#')
        || item.contains([',', '{', '}'])
        || item.contains(char::is_whitespace);
    match bad {
        true => Err(PostfixError::InvalidItem(item.to_string())),
        false => Ok(()),
    }
}

#[cfg(test)]
#[path = "postfix_tests.rs"]
mod tests;
