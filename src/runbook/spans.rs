//! Where each key and value of a YAML document sits, so that diagnostics found after
//! deserialization (an undefined param, a duplicate id) point at the offending text.

use std::collections::HashMap;
use std::ops::Range;

use serde_saphyr::granit_parser::{Event, Parser, Span};

/// The top-level fields whose entries are items of their own (a step, a param): errors
/// in one do not hide the others'.
pub const ITEM_COLLECTIONS: &[&str] = &["params", "checks", "steps", "handlers"];

/// Byte ranges of keys and values, by dotted path (`steps.2.when.param`).
#[derive(Debug, Default, Clone)]
pub struct SpanIndex {
    keys: HashMap<String, Range<usize>>,
    values: HashMap<String, Range<usize>>,
}

impl SpanIndex {
    /// Index a document. Unparseable text yields a partial (possibly empty) index: the
    /// deserializer reports the syntax error itself.
    pub fn build(text: &str) -> SpanIndex {
        let mut events = Vec::new();
        for item in Parser::new_from_str(text) {
            match item {
                // Comments are no nodes: counted as one, they shift every path after them.
                Ok((Event::Comment(..), _)) => {}
                Ok((event @ Event::Scalar(..), span)) => {
                    // A block scalar's span runs to the next key's line: its text ends earlier.
                    let range = byte_range(text, &span);
                    let end = range.start + text[range.clone()].trim_end().len();
                    events.push((event, range.start..end));
                }
                Ok((event, span)) => events.push((event, byte_range(text, &span))),
                Err(_) => break,
            }
        }
        let mut index = SpanIndex::default();
        let mut cursor = Cursor {
            events: &events,
            at: 0,
        };
        while let Some((event, _)) = cursor.peek() {
            match event {
                Event::MappingStart(..) | Event::SequenceStart(..) | Event::Scalar(..) => {
                    index.node(&mut cursor, String::new());
                    break;
                }
                _ => cursor.at += 1,
            }
        }
        index
    }

    /// The value at `path`, or the closest enclosing value that exists.
    pub fn value(&self, path: &str) -> Option<Range<usize>> {
        self.find(path, |p| self.values.get(p))
    }

    /// The key at `path` (falls back to its value, then to enclosing entries).
    pub fn key(&self, path: &str) -> Option<Range<usize>> {
        self.find(path, |p| self.keys.get(p).or_else(|| self.values.get(p)))
    }

    /// The key at exactly `path` (no fallback), if it is a mapping key.
    pub fn key_exact(&self, path: &str) -> Option<Range<usize>> {
        self.keys.get(path).cloned()
    }

    /// The value at exactly `path` (no fallback).
    pub fn value_exact(&self, path: &str) -> Option<Range<usize>> {
        self.values.get(path).cloned()
    }

    /// The path of the key that starts at byte `offset`.
    pub fn key_starting_at(&self, offset: usize) -> Option<&str> {
        self.keys
            .iter()
            .find(|(_, r)| r.start == offset)
            .map(|(p, _)| p.as_str())
    }

    /// The deepest value that starts at byte `offset`.
    pub fn value_starting_at(&self, offset: usize) -> Option<&str> {
        self.values
            .iter()
            .filter(|(_, r)| r.start == offset)
            .map(|(p, _)| p.as_str())
            .max_by_key(|p| p.matches('.').count())
    }

    /// The item of a top-level list or map (`steps.2`, `params.domain`) whose text holds
    /// byte `offset`.
    pub fn item_at(&self, offset: usize) -> Option<&str> {
        self.values
            .iter()
            .filter(|(p, r)| {
                r.start <= offset
                    && offset <= r.end
                    && p.split_once('.').is_some_and(|(top, rest)| {
                        ITEM_COLLECTIONS.contains(&top) && !rest.contains('.')
                    })
            })
            .map(|(p, _)| p.as_str())
            .next()
    }

    /// How many entries or elements the mapping or list at `path` has.
    pub fn children(&self, path: &str) -> usize {
        self.values
            .keys()
            .filter(|p| match path {
                "" => !p.is_empty() && !p.contains('.'),
                _ => p
                    .strip_prefix(path)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|rest| !rest.contains('.')),
            })
            .count()
    }

    fn find<'a>(
        &'a self,
        mut path: &str,
        get: impl Fn(&str) -> Option<&'a Range<usize>>,
    ) -> Option<Range<usize>> {
        loop {
            if let Some(range) = get(path) {
                return Some(range.clone());
            }
            path = &path[..path.rfind('.')?];
        }
    }

    fn node(&mut self, cursor: &mut Cursor, path: String) {
        let Some((event, range)) = cursor.next() else {
            return;
        };
        let start = range.start;
        match event {
            Event::MappingStart(..) => {
                while let Some((event, key_range)) = cursor.peek() {
                    if matches!(event, Event::MappingEnd) {
                        cursor.at += 1;
                        break;
                    }
                    let key = match event {
                        Event::Scalar(text, ..) => text.to_string(),
                        _ => String::from("?"),
                    };
                    let key_range = key_range.clone();
                    let child = join(&path, &key);
                    if matches!(event, Event::Scalar(..)) {
                        cursor.at += 1;
                    } else {
                        self.skip(cursor);
                    }
                    self.keys.insert(child.clone(), key_range);
                    self.node(cursor, child);
                }
            }
            Event::SequenceStart(..) => {
                let mut i = 0;
                while let Some((event, _)) = cursor.peek() {
                    if matches!(event, Event::SequenceEnd) {
                        cursor.at += 1;
                        break;
                    }
                    self.node(cursor, join(&path, &i.to_string()));
                    i += 1;
                }
            }
            _ => {}
        }
        let end = cursor.last_end().max(start);
        self.values.insert(path, start..end);
    }

    /// Skip one whole node (a complex mapping key).
    fn skip(&mut self, cursor: &mut Cursor) {
        let mut depth = 0usize;
        while let Some((event, _)) = cursor.next() {
            match event {
                Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
                Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
                _ => {}
            }
            if depth == 0 {
                break;
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

struct Cursor<'a, 'e> {
    events: &'a [(Event<'e>, Range<usize>)],
    at: usize,
}

impl<'a, 'e> Cursor<'a, 'e> {
    fn peek(&self) -> Option<&'a (Event<'e>, Range<usize>)> {
        self.events.get(self.at)
    }
    fn next(&mut self) -> Option<&'a (Event<'e>, Range<usize>)> {
        let item = self.events.get(self.at);
        self.at += 1;
        item
    }
    fn last_end(&self) -> usize {
        self.events[..self.at.min(self.events.len())]
            .last()
            .map(|(_, r)| r.end)
            .unwrap_or(0)
    }
}

fn byte_range(text: &str, span: &Span) -> Range<usize> {
    let offset = |m: &serde_saphyr::granit_parser::Marker| {
        m.byte_offset().unwrap_or_else(|| {
            text.char_indices()
                .nth(m.index())
                .map(|(b, _)| b)
                .unwrap_or(text.len())
        })
    };
    let start = offset(&span.start);
    let end = offset(&span.end).max(start);
    // Collection end events can span trailing whitespace; scalars are exact.
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_and_values_in_nested_lists() {
        let text = "id: x\nsteps:\n  - id: a\n    when: { param: remedy, eq: captcha }\n";
        let index = SpanIndex::build(text);
        let v = index.value("steps.0.when.param").unwrap();
        assert_eq!(&text[v], "remedy");
        let k = index.key("steps.0.when").unwrap();
        assert_eq!(&text[k], "when");
        assert_eq!(&text[index.value("steps.0.id").unwrap()], "a");
    }

    #[test]
    fn missing_paths_fall_back_to_the_enclosing_node() {
        let text = "steps:\n  - id: a\n";
        let index = SpanIndex::build(text);
        assert_eq!(&text[index.key("steps.0.id.nothing").unwrap()], "id");
        assert_eq!(&text[index.value("steps.0.id.nothing").unwrap()], "a");
    }
}

#[cfg(test)]
mod comment_tests {
    use super::*;

    /// Ops comment their runbooks: a comment must not shift the items after it, and a
    /// folded text ends where its text does.
    #[test]
    fn comments_between_items_do_not_move_their_spans() {
        let text = "id: t\nsteps:\n  # one\n  - id: a\n    manual:\n      text: ok\n\n  # two\n  - id: b\n    manual:\n      text: >-\n        hello {{x}}\n      facts: [q]\n";
        let index = SpanIndex::build(text);
        assert_eq!(&text[index.value("steps.1.id").unwrap()], "b");
        assert_eq!(
            &text[index.value("steps.1.manual.text").unwrap()],
            "hello {{x}}"
        );
        assert_eq!(&text[index.value("steps.1.manual.facts.0").unwrap()], "q");
    }
}
