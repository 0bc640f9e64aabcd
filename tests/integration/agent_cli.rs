//! The command line as an agent (or a person at a terminal) meets it: exit codes, JSON
//! errors, colour and the pager, the confirmation prompt, completions, params, README.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};

use crate::support::{PHP_INI, Test};

const BIN: &str = env!("CARGO_BIN_EXE_runbook");

fn php_host() -> Test {
    Test::new().file("/etc/php/8.2/apache2/php.ini", PHP_INI)
}

/// What a run on a terminal showed there (stdout; `\r\n` as `\n`), its stderr and code.
struct Shown {
    code: i32,
    terminal: String,
    stderr: String,
}

/// Run runbook with stdin and stdout on a new pseudo-terminal (stderr piped), typing
/// `input`, in an environment without NO_COLOR, pagers or LESS unless `env` sets them.
fn on_a_terminal(args: &[&str], env: &[(&str, &str)], input: &[u8]) -> Shown {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty fills two fds; the null pointers ask for default settings.
    let opened = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both fds were just opened and are owned here alone.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("RUNBOOK_PATH")
        .env_remove("NO_COLOR")
        .env_remove("RUNBOOK_PAGER")
        .env_remove("PAGER")
        .env_remove("LESS")
        .env_remove("LV")
        .env("TERM", "xterm");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave))
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    // The command holds copies of the terminal's slave side: once they and the child's
    // are closed, reading the master side ends.
    drop(cmd);
    let mut master = File::from(master);
    master.write_all(input).unwrap();
    let reader = std::thread::spawn(move || {
        let (mut out, mut buf) = (Vec::new(), [0u8; 4096]);
        // Ends with EIO when the last slave fd is closed.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    });
    let out = child.wait_with_output().unwrap();
    let shown = reader.join().unwrap();
    Shown {
        code: out.status.code().unwrap_or(-1),
        terminal: String::from_utf8_lossy(&shown).replace("\r\n", "\n"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn prefixed(text: &str, prefix: &str) -> String {
    text.lines().map(|l| format!("{prefix}{l}\n")).collect()
}

// 1. Exit codes

#[test]
fn exit_codes_usage_errors_are_64_never_success_or_changes() {
    let test = php_host();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "apply",
                "php-disable-mail",
                "--dry-run",
                "--detailed-exitcode",
                "--bogus",
            ],
            "error: unexpected argument '--bogus' found\n\n  tip: to pass '--bogus' as a value, use '-- --bogus'\n\n\
             Usage: runbook apply --dry-run --detailed-exitcode <ID>\n\nFor more information, try '--help'.\n",
        ),
        (
            &[
                "apply",
                "php-blank-sendmail-path",
                "--dry-run",
                "--detailed-exitcode",
                "-p",
                "domain",
            ],
            "error: invalid value 'domain' for '--param <KEY=VALUE>': `domain` is not KEY=VALUE\n",
        ),
        (
            &["list", "--output", "yaml"],
            "error: invalid value 'yaml' for '--output <OUTPUT>'\n  [possible values: human, json]\n\n\
             For more information, try '--help'.\n",
        ),
    ];
    for (args, stderr) in cases {
        let out = test.run_args(args);
        assert_eq!(out.code, 64, "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr, *stderr, "{args:?}");
        assert_eq!(out.stdout, "", "{args:?}");
    }
    // No command at all is a usage error too; help asked for is not.
    assert_eq!(test.run_args(&[]).code, 64);
    let help = test.run_args(&["--help"]);
    assert_eq!((help.code, help.stderr.as_str()), (0, ""));
    crate::assert_contains!(help.stdout, "Usage: runbook [OPTIONS] <COMMAND>");
    // A runtime error stays 1, also with --detailed-exitcode.
    let out = test.run_args(&["apply", "nope", "--dry-run", "--detailed-exitcode"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
}

/// The codes listed in the man page's EXIT STATUS and in docs/json.md's table.
#[test]
fn exit_codes_are_listed_alike_in_the_man_page_and_docs() {
    let man = Test::new().run_args(&["man"]).stdout;
    let section = section(&man, "\"EXIT STATUS\"");
    let lines: Vec<&str> = section.lines().collect();
    let man_codes: Vec<String> = lines
        .windows(2)
        .filter(|w| w[0] == ".TP")
        .map(|w| {
            w[1].trim_start_matches("\\fB")
                .trim_end_matches("\\fR")
                .to_string()
        })
        .collect();
    assert_eq!(man_codes, ["0", "1", "2", "64"]);
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json.md")).unwrap();
    let table = &docs[docs.find("## Exit codes").unwrap()..];
    let table = &table[..table[3..].find("\n## ").unwrap()];
    let doc_codes: Vec<&str> = table
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next())
        .filter(|c| c.chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert_eq!(doc_codes, ["0", "1", "2", "64"]);
}

/// A `.SH NAME` section of a roff page, up to the next.
fn section<'a>(page: &'a str, name: &str) -> &'a str {
    let start = page
        .find(&format!(".SH {name}\n"))
        .unwrap_or_else(|| panic!("no section {name} in:\n{page}"));
    let rest = &page[start + 4..];
    &rest[..rest.find(".SH ").unwrap_or(rest.len())]
}

#[test]
fn exit_codes_man_page_has_environment_and_files() {
    let man = Test::new().run_args(&["man"]).stdout;
    let env = section(&man, "ENVIRONMENT");
    for var in [
        "RUNBOOK_PATH",
        "RUNBOOK_PARAM_",
        "NO_COLOR",
        "TERM",
        "RUNBOOK_PAGER",
        "PAGER",
        "LESS",
        "RUNBOOK_NOW",
    ] {
        crate::assert_contains!(env, format!("\\fB{var}\\fR"));
    }
    let files = section(&man, "FILES");
    crate::assert_contains!(files, "\\fI/var/lib/runbook/\\fR");
    crate::assert_contains!(files, "\\fBjournal.jsonl\\fR");
}

/// Every `NAME(1)` any page names (SUBCOMMANDS, SEE ALSO) is a page `--out-dir` writes.
#[test]
fn exit_codes_man_pages_refer_only_to_pages_that_exist() {
    let test = Test::new();
    let dir = test.path("/man");
    std::fs::create_dir(&dir).unwrap();
    let out = test.run_args(&["man", "--out-dir", dir.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    assert_eq!(pages.len(), 14, "{pages:?}");
    let mut referred = 0;
    for page in &pages {
        // Roff escapes out: `\\fBrunbook\\-apply\\fR(1)` is `runbook-apply(1)`.
        let text = std::fs::read_to_string(dir.join(page))
            .unwrap()
            .replace("\\-", "-")
            .replace("\\fB", "")
            .replace("\\fR", "");
        crate::assert_contains!(text, ".SH \"SEE ALSO\"");
        for (i, _) in text.match_indices("(1)") {
            let name: String = text[..i]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            assert!(
                pages.contains(&format!("{name}.1")),
                "{page} refers to {name}(1), which is not among {pages:?}"
            );
            referred += 1;
        }
    }
    assert!(referred > 20, "only {referred} references found");
    // `runbook man apply` prints the page `--out-dir` wrote for it.
    let apply = test.run_args(&["man", "apply"]).stdout;
    assert_eq!(
        apply,
        std::fs::read_to_string(dir.join("runbook-apply.1")).unwrap()
    );
}

// 2. JSON errors

#[test]
fn json_errors_carry_the_exit_code_and_the_file_position() {
    let test = php_host().runbook(
        "# yaml-language-server: $schema=x\nid: broken\ntitle: \"unterminated\nsteps: []\n",
    );
    let out = test.run_args(&["apply", "broken", "--dry-run", "--output", "json"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.json(),
        serde_json::json!({ "error": {
            "kind": "error",
            "message": "runbook `broken` has 1 error(s); nothing was changed",
            "code": 1,
            "file": "[TMP]/runbooks/extra-1.yaml",
            "line": 3,
            "column": 8,
        }})
    );
    // Without a place in a file, no position fields.
    let out = php_host().run_args(&["apply", "nope", "--dry-run", "--output", "json"]);
    let error = &out.json()["error"];
    assert_eq!(
        (error["kind"].as_str(), error["code"].as_u64()),
        (Some("unknown-runbook"), Some(1))
    );
    assert!(
        error.get("file").is_none() && error.get("line").is_none(),
        "{error}"
    );
}

#[test]
fn json_errors_include_usage_errors_when_json_is_asked_for() {
    let test = php_host();
    for output in [&["--output", "json"][..], &["--output=json"][..]] {
        let mut args = vec!["apply", "php-blank-sendmail-path", "-p", "domain"];
        args.extend(output);
        let out = test.run_args(&args);
        assert_eq!(out.code, 64);
        assert_eq!(
            out.json(),
            serde_json::json!({ "error": {
                "kind": "usage",
                "message": "invalid value 'domain' for '--param <KEY=VALUE>': `domain` is not KEY=VALUE",
                "code": 64,
            }})
        );
    }
    let out = test.run_args(&["lint", "--output", "json", "--bogus"]);
    assert_eq!(out.code, 64);
    let json = out.json();
    assert_eq!(json["error"]["kind"], "usage");
    crate::assert_contains!(
        json["error"]["message"].as_str().unwrap(),
        "unexpected argument '--bogus' found"
    );
    // Without --output json, stdout stays empty.
    assert_eq!(test.run_args(&["lint", "--bogus"]).stdout, "");
}

// 3. Terminal: colour, pager, confirmation

const LIST_FIRST: &str = "cron-disable-job         any host              Stop a cron job that sends mail by commenting it out of its user's crontab  (builtin:cron-disable-job.yaml)";
const LIST_FIRST_COLOURED: &str = "\x1b[1mcron-disable-job       \x1b[0m  \x1b[2many host            \x1b[0m  Stop a cron job that sends mail by commenting it out of its user's crontab  \x1b[2m(builtin:cron-disable-job.yaml)\x1b[0m";

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

#[test]
fn color_auto_colours_a_terminal_unless_no_color_or_a_dumb_terminal() {
    let auto = on_a_terminal(&["list"], &[], b"");
    assert_eq!(
        first_line(&auto.terminal),
        LIST_FIRST_COLOURED,
        "{}",
        auto.stderr
    );
    for env in [[("NO_COLOR", "1")], [("TERM", "dumb")]] {
        let plain = on_a_terminal(&["list"], &env, b"");
        assert_eq!(first_line(&plain.terminal), LIST_FIRST, "{env:?}");
    }
    let never = on_a_terminal(&["list", "--color", "never"], &[], b"");
    assert_eq!(first_line(&never.terminal), LIST_FIRST);
}

#[test]
fn color_always_colours_a_pipe_even_with_no_color() {
    // run_args pipes stdout and sets NO_COLOR=1.
    let out = Test::new().run_args(&["--color", "always", "list"]);
    assert_eq!(first_line(&out.stdout), LIST_FIRST_COLOURED);
    let out = Test::new().run_args(&["list"]);
    assert_eq!(first_line(&out.stdout), LIST_FIRST);
    // clap's own errors follow --color too.
    let out = Test::new().run_args(&["--color", "always", "list", "--bogus"]);
    assert_eq!(
        first_line(&out.stderr),
        "\x1b[1m\x1b[31merror:\x1b[0m unexpected argument '\x1b[33m--bogus\x1b[0m' found"
    );
}

const PAGER: &str = "sed s/^/PAGED:/";

#[test]
fn pager_pages_long_output_on_a_terminal() {
    let test = php_host();
    let root = test.root().display().to_string();
    let show = Test::new().run_args(&["show", "php-disable-mail"]).stdout;
    let paged = on_a_terminal(
        &["show", "php-disable-mail"],
        &[("RUNBOOK_PAGER", PAGER)],
        b"",
    );
    assert_eq!(paged.code, 0, "{}", paged.stderr);
    assert_eq!(paged.terminal, prefixed(&show, "PAGED:"));
    // PAGER when RUNBOOK_PAGER is unset.
    let paged = on_a_terminal(
        &["show", "php-disable-mail"],
        &[("PAGER", "sed s/^/P:/")],
        b"",
    );
    assert_eq!(paged.terminal, prefixed(&show, "P:"));
    // A dry run's plan, facts and history too.
    let dry = [
        "apply",
        "php-disable-mail",
        "--dry-run",
        "--root",
        &root,
        "--color",
        "never",
    ];
    let plan = test.run_args(&dry).stdout;
    let paged = on_a_terminal(&dry, &[("RUNBOOK_PAGER", PAGER)], b"");
    assert_eq!(
        paged.terminal,
        prefixed(&plan, "PAGED:").replace("[ROOT]", &root),
        "{}",
        paged.stderr
    );
    let history = ["history", "--root", &root];
    let paged = on_a_terminal(&history, &[("RUNBOOK_PAGER", PAGER)], b"");
    assert_eq!(
        paged.terminal,
        format!("PAGED:No runs yet in {root}/var/lib/runbook.\n")
    );
    let facts = [
        "facts", "--root", &root, "--only", "php", "--color", "never",
    ];
    let paged = on_a_terminal(&facts, &[("RUNBOOK_PAGER", PAGER)], b"");
    assert_eq!(
        paged.terminal,
        prefixed(&test.run_args(&facts[..5]).stdout, "PAGED:").replace("[ROOT]", &root)
    );
}

#[test]
fn pager_never_without_a_terminal_with_no_pager_or_an_empty_pager() {
    let show = Test::new().run_args(&["show", "php-disable-mail"]).stdout;
    assert!(show.starts_with("# php-disable-mail: "), "{show}");
    let piped = Test::new()
        .env("RUNBOOK_PAGER", PAGER)
        .run_args(&["show", "php-disable-mail"]);
    assert_eq!(piped.stdout, show);
    let flag = on_a_terminal(
        &["--no-pager", "show", "php-disable-mail"],
        &[("RUNBOOK_PAGER", PAGER)],
        b"",
    );
    assert_eq!(flag.terminal, show);
    let empty = on_a_terminal(
        &["show", "php-disable-mail"],
        &[("RUNBOOK_PAGER", ""), ("PAGER", PAGER)],
        b"",
    );
    assert_eq!(empty.terminal, show);
    // Short commands are never paged.
    let list = on_a_terminal(
        &["list", "--color", "never"],
        &[("RUNBOOK_PAGER", PAGER)],
        b"",
    );
    assert_eq!(first_line(&list.terminal), LIST_FIRST);
}

#[test]
fn pager_gets_less_defaults_unless_set() {
    let report = "cat >/dev/null; echo \"LESS=$LESS LV=$LV\"";
    let args = ["show", "php-disable-mail"];
    let defaults = on_a_terminal(&args, &[("RUNBOOK_PAGER", report)], b"");
    assert_eq!(defaults.terminal, "LESS=FRX LV=-c\n");
    let own = on_a_terminal(&args, &[("RUNBOOK_PAGER", report), ("LESS", "R")], b"");
    assert_eq!(own.terminal, "LESS=R LV=-c\n");
}

#[test]
fn confirmation_answered_no_or_not_at_all_exits_1_and_changes_nothing() {
    let test = php_host();
    let root = test.root().display().to_string();
    let before = test.snapshot();
    let apply = [
        "apply",
        "php-disable-mail",
        "--root",
        &root,
        "--color",
        "never",
    ];
    let question = format!("Apply these changes to the host at {root}? [y/N] ");
    let no = on_a_terminal(&apply, &[], b"n\n");
    assert_eq!(no.code, 1);
    assert_eq!(no.stderr, format!("{question}Nothing was changed.\n"));
    // Ctrl-D: the end of input.
    let eof = on_a_terminal(&apply, &[], b"\x04");
    assert_eq!(eof.code, 1);
    assert_eq!(eof.stderr, format!("{question}\nNothing was changed.\n"));
    crate::assert_unchanged!(before, test.snapshot());
    let yes = on_a_terminal(&apply, &[], b"y\n");
    assert_eq!(yes.code, 0, "{}", yes.stderr);
    crate::assert_contains!(
        test.read("/etc/php/8.2/apache2/php.ini"),
        "disable_functions = mail\n"
    );
}

// 4. Completions

/// What bash completes after `runbook WORDS... CUR`, with the generated script.
fn bash_completes(words: &[&str]) -> Vec<String> {
    let script = Test::new().run_args(&["completions", "bash"]).stdout;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("runbook.bash");
    std::fs::write(&file, script).unwrap();
    let cword = words.len() - 1;
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let prev = if cword > 0 {
        words[cword - 1]
    } else {
        "runbook"
    };
    let program = format!(
        "source '{}'; COMP_WORDS=(runbook {}); COMP_CWORD={}; _runbook runbook '{}' '{}'; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display(),
        quoted.join(" "),
        cword + 1,
        words[cword],
        prev
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(program)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn completions_offer_runbook_ids_and_param_names() {
    // Every built-in runbook, as `runbook list` names them.
    let listed = Test::new().run_args(&["list", "--output", "json"]).json();
    let ids: Vec<String> = listed["runbooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() >= 4, "{ids:?}");
    assert_eq!(
        bash_completes(&["show", ""])
            .iter()
            .filter(|w| !w.starts_with('-'))
            .cloned()
            .collect::<Vec<_>>(),
        ids
    );
    assert_eq!(
        bash_completes(&["apply", "php-"]),
        [
            "php-blank-sendmail-path",
            "php-disable-mail",
            "php-enable-x-header"
        ]
    );
    assert_eq!(bash_completes(&["show", "sp"]), ["spam-diagnose"]);
    assert_eq!(
        bash_completes(&["apply", "php-blank-sendmail-path", "-p", "d"]),
        ["domain="]
    );
    // Without a known runbook: every runbook's param names, once each, sorted.
    let names = bash_completes(&["apply", "x", "--param-file", ""]);
    for name in [
        "domain=",
        "ini=",
        "mode=",
        "sendmail_path=",
        "script=",
        "user=",
    ] {
        assert!(names.iter().any(|n| n == name), "{name}: {names:?}");
    }
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted);
    for shell in ["zsh", "fish"] {
        let script = Test::new().run_args(&["completions", shell]).stdout;
        crate::assert_contains!(script, ids.join(" "));
        crate::assert_contains!(script, "domain=");
    }
    // The ids are offered, not required: a runbook of one's own is still accepted.
    let own = Test::new()
        .runbook("# yaml-language-server: $schema=x\nid: custom\ntitle: Custom\n")
        .run_args(&["show", "custom"]);
    assert_eq!(own.code, 0, "{}", own.stderr);
}

// 5. Params

#[test]
fn params_given_twice_are_an_error() {
    let test = php_host();
    let before = test.snapshot();
    let out = test.run_args(&[
        "apply",
        "php-disable-mail",
        "--yes",
        "-p",
        "ini=a",
        "-p",
        "ini=b",
    ]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr, "error: param `ini` is given twice\n");
    let file = test.path("/ini");
    std::fs::write(&file, "b\n").unwrap();
    let out = test.run_args(&[
        "apply",
        "php-disable-mail",
        "--yes",
        "-p",
        "ini=a",
        "--param-file",
        &format!("ini={}", file.display()),
    ]);
    assert_eq!(out.stderr, "error: param `ini` is given twice\n");
    std::fs::remove_file(&file).unwrap();
    crate::assert_unchanged!(before, test.snapshot());
}

#[test]
fn params_domain_matches_server_names_ignoring_case() {
    let test = Test::example("debian-apache-modphp");
    let out = test.run_args(&[
        "apply",
        "php-blank-sendmail-path",
        "--dry-run",
        "-p",
        "domain=WWW.Shop.Example.COM",
        "--output",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan = out.json();
    assert_eq!(plan["params"]["domain"], "www.shop.example.com");
    assert_eq!(plan["checks"][0]["ok"], true);
    assert_eq!(plan["steps"][0]["chosen"], true, "{}", plan["steps"][0]);
}

#[test]
fn params_an_unknown_domain_lists_the_closest_server_names() {
    let test = Test::example("ispmanager-apache");
    let before = test.snapshot();
    let out = test.run_args(&[
        "apply",
        "php-blank-sendmail-path",
        "--yes",
        "-p",
        "domain=bob-shp.ru",
        "--output",
        "json",
    ]);
    assert_eq!(out.code, 1);
    let message = "param `domain`: no site on this host is named `bob-shp.ru`; the closest of its \
                   4 server name(s) (web.server_names): `bob-shop.ru`, `www.bob-shop.ru`, `alice-site.ru`";
    assert_eq!(
        out.json(),
        serde_json::json!({ "error": { "kind": "invalid-param", "message": message, "code": 1 } })
    );
    assert_eq!(out.stderr, format!("error: {message}\n"));
    crate::assert_unchanged!(before, test.snapshot());
    // On a host without server names the runbook's own check says so.
    let bare = php_host().run_args(&[
        "apply",
        "php-blank-sendmail-path",
        "--dry-run",
        "-p",
        "domain=bob-shp.ru",
    ]);
    assert_eq!(bare.code, 0, "{}", bare.stderr);
    crate::assert_contains!(bare.stdout, "No Apache VirtualHost serves bob-shp.ru.");
}

// 6. README

#[test]
fn readme_says_how_to_install_before_the_two_commands() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("## Try it\n").unwrap();
    let section = &readme[start..start + readme[start..].find("\n## Commands").unwrap()];
    let install = section
        .find("`cargo install --path .`")
        .expect("no install line");
    let blocks: Vec<usize> = section.match_indices("```sh\n").map(|(i, _)| i).collect();
    assert_eq!(blocks.len(), 2, "Try it has two commands: {section}");
    assert!(install < blocks[0], "the install line comes first");
    let commands: Vec<&str> = blocks
        .iter()
        .map(|&b| section[b + 6..].lines().next().unwrap())
        .collect();
    assert_eq!(
        commands,
        [
            "cargo run --release -- apply exim-block-unlock --dry-run --root examples/hosts/exim-outbreak",
            "cargo test"
        ]
    );
}
