//! examples/ci/ is copied by ops as it is: each file must be YAML, lint a runbook folder
//! and run `runbook test` on docker, with invocations this build's command line accepts.

use clap::Parser;
use runbook::cli::Cli;

/// The `runbook ...` command lines of a CI file (a `run:` value or a script item), up
/// to a redirection.
fn invocations(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(str::trim)
        .map(|l| l.strip_prefix("- ").unwrap_or(l))
        .map(|l| l.strip_prefix("run: ").unwrap_or(l))
        .filter(|l| l.starts_with("runbook "))
        .map(|l| {
            let command = l.split(['>', '|']).next().unwrap();
            shlex::split(command).unwrap_or_else(|| panic!("unbalanced quotes: {l}"))
        })
        .collect()
}

#[test]
fn every_ci_example_lints_and_tests_on_docker_with_flags_that_exist() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["github-actions.yml", "gitlab-ci.yml"]);
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let _: serde_json::Value = serde_saphyr::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not YAML: {e}", file.display()));
        let runs = invocations(&text);
        for argv in &runs {
            if let Err(e) = Cli::try_parse_from(argv) {
                panic!("{}: `{}` is refused:\n{e}", file.display(), argv.join(" "));
            }
        }
        let has = |words: &[&str]| {
            runs.iter()
                .any(|argv| words.iter().all(|w| argv.iter().any(|a| a == w)))
        };
        assert!(has(&["lint", "runbooks"]), "{}: no lint", file.display());
        assert!(
            has(&["test", "--engine", "docker"]),
            "{}: no `runbook test --engine docker`",
            file.display()
        );
    }
}
