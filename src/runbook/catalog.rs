//! The runbooks the binary knows: built-in ones, `--runbooks` paths and `RUNBOOK_PATH`.

use std::fs;
use std::path::{Path, PathBuf};

use super::diagnostic::{Code, Diagnostic, SourceFile};
use super::load::{Loaded, parse};

include!(concat!(env!("OUT_DIR"), "/builtin_runbooks.rs"));

/// Runbook files larger than this are not read: the built-in ones are a few KiB.
pub const RUNBOOK_FILE_MAX: u64 = 4 << 20;

/// One loaded runbook and where it came from.
#[derive(Debug)]
pub struct Entry {
    pub loaded: Loaded,
    /// `builtin`, `--runbooks` or `RUNBOOK_PATH`.
    pub origin: &'static str,
}

/// Every runbook found, and every problem met while loading them.
#[derive(Debug, Default)]
pub struct Catalog {
    pub entries: Vec<Entry>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Catalog {
    /// Built-ins, then each `--runbooks` path, then each `RUNBOOK_PATH` directory.
    pub fn load(extra: &[PathBuf], env_path: Option<&str>) -> Catalog {
        let mut catalog = Catalog::default();
        for (name, text) in BUILTIN_RUNBOOKS {
            catalog.add(
                SourceFile {
                    name: format!("builtin:{name}"),
                    text: (*text).to_string(),
                },
                "builtin",
            );
        }
        for path in extra {
            catalog.add_path(path, "--runbooks");
        }
        for dir in env_path.unwrap_or("").split(':').filter(|d| !d.is_empty()) {
            catalog.add_path(Path::new(dir), "RUNBOOK_PATH");
        }
        catalog
    }

    /// Only the given files and directories (what `runbook lint PATH...` checks).
    pub fn from_paths(paths: &[PathBuf]) -> Catalog {
        let mut catalog = Catalog::default();
        for path in paths {
            catalog.add_path(path, "argument");
        }
        catalog
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.loaded.runbook.id == id)
    }

    /// The diagnostics saying that runbook `id` is defined more than once (RB010).
    pub fn duplicates<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Diagnostic> + 'a {
        self.diagnostics.iter().filter(move |d| {
            d.code == Code::DuplicateRunbook && d.runbook_id.as_deref() == Some(id)
        })
    }

    /// Load a file, or every `*.yaml` / `*.yml` in a directory (sorted).
    pub fn add_path(&mut self, path: &Path, origin: &'static str) {
        let files = if path.is_dir() {
            match runbook_files(path) {
                Ok(files) => files,
                Err(e) => {
                    let name = path.display().to_string();
                    self.diagnostics.push(Diagnostic::file(
                        &name,
                        Code::Io,
                        format!("cannot read directory: {e}"),
                    ));
                    return;
                }
            }
        } else {
            vec![path.to_path_buf()]
        };
        for file in files {
            let name = file.display().to_string();
            let read = crate::chase::open_regular_following(&file)
                .and_then(|f| crate::host::read_capped(f, RUNBOOK_FILE_MAX));
            match read {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => self.add(SourceFile { name, text }, origin),
                    Err(_) => self.diagnostics.push(Diagnostic::file(
                        &name,
                        Code::Io,
                        "file is not UTF-8 text",
                    )),
                },
                Err(e) => self.diagnostics.push(Diagnostic::file(
                    &name,
                    Code::Io,
                    format!("cannot read file: {e}"),
                )),
            }
        }
    }

    fn add(&mut self, source: SourceFile, origin: &'static str) {
        let loaded = match parse(source) {
            Ok(loaded) => loaded,
            Err(diagnostics) => return self.diagnostics.extend(diagnostics),
        };
        if let Some(first) = self.get(&loaded.runbook.id) {
            let message = format!(
                "runbook id `{}` is defined twice: in {} and in {}",
                loaded.runbook.id, first.loaded.source.name, loaded.source.name
            );
            let help = format!(
                "first defined in {}; rename one of them",
                first.loaded.source.name
            );
            self.diagnostics.push(
                loaded
                    .at_value("id", Code::DuplicateRunbook, message)
                    .help(help)
                    .about_runbook(&loaded.runbook.id),
            );
            return;
        }
        self.entries.push(Entry { loaded, origin });
    }
}

fn runbook_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(files: &[(&str, &str)]) -> Catalog {
        let mut catalog = Catalog::default();
        for (name, text) in files {
            catalog.add(
                SourceFile {
                    name: (*name).to_string(),
                    text: (*text).to_string(),
                },
                "test",
            );
        }
        catalog
    }

    #[test]
    fn duplicates_are_found_by_id_not_by_message_text() {
        let twice = "id: twice\ntitle: T\n";
        // A file name that mentions another id must not make that id a duplicate.
        let catalog = with(&[
            ("a.yaml", twice),
            ("`other`.yaml", twice),
            ("o.yaml", "id: other\ntitle: O\n"),
        ]);
        let found: Vec<_> = catalog.duplicates("twice").collect();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code, Code::DuplicateRunbook);
        assert_eq!(found[0].file, "`other`.yaml");
        assert_eq!(catalog.duplicates("other").count(), 0);
        assert_eq!(catalog.duplicates("missing").count(), 0);
    }
}
