//! Translations of a runbook's own texts (issue 15, "Runbook titles and manual texts can
//! carry translations"): `i18n:` in the runbook, linted, rendered into the plan, and
//! picked by `runbook report --lang`; every library runbook is translated.

use crate::support::Test;

const BAD: &str = r#"# yaml-language-server: $schema=../schemas/runbook.schema.json
id: bad-i18n
title: Every kind of translation mistake
params:
  site: { type: string, default: example.com }
checks:
  - id: queue-large
    title: The queue is large
    fact: queue.total
    gt: 1000
steps:
  - id: purge
    title: Purge the queue
    queue_purge: { all: true }
  - id: captcha
    title: Add a CAPTCHA
    manual: { text: "Add a CAPTCHA to {{params.site}} ({{queue.total}} queued)" }
i18n:
  jp:
    title: スパム
  ru:
    title: Все ошибки перевода
    description: У runbook нет описания
    checks:
      queue-larg: { title: Очередь большая }
    steps:
      purge: { title: Очистить очередь, manual: Очистите очередь }
      captcha: { manual: "Добавьте CAPTCHA на {{params.sites}} ({{queue.total}} в очереди)" }
  ja:
    steps:
      captcha: { manual: "{{params.site}} に CAPTCHA を追加（キュー {{queue.total" }
"#;

#[test]
fn every_kind_of_translation_mistake_is_a_located_lint_error() {
    let test = Test::new().runbook(BAD);
    let out = test.run_args(&["lint", &test.runbooks_dir().display().to_string()]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    for code in ["RB060", "RB061", "RB062", "RB063"] {
        crate::assert_contains!(out.stdout, &format!("error[{code}]"));
    }
    insta::assert_snapshot!(out.stdout);
}

/// A new step, check or text without its Russian and Japanese fails here.
#[test]
fn every_library_runbook_is_translated_into_russian_and_japanese() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let mut missing = Vec::new();
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        let rb = runbook::runbook::load::strict(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for lang in runbook::runbook::i18n::LANGUAGES {
            for m in runbook::runbook::i18n::missing(&rb, lang) {
                missing.push(format!("{}: {m}", path.display()));
            }
        }
    }
    assert!(files > 10, "the library is in {}", dir.display());
    assert!(missing.is_empty(), "untranslated:\n{}", missing.join("\n"));
}

/// The exim outbreak host after `exim-block-unlock` applied: its checklist items are
/// translated in the saved plan.
fn applied_exim() -> Test {
    let test = Test::example("exim-outbreak").file("/etc/hostname", "mail.example.com\n");
    let out = test.run_args(&["apply", "exim-block-unlock", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    test
}

fn report(test: &Test, args: &[&str]) -> String {
    let out = test.run_args(&[&["report", "--last"], args].concat());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    out.stdout
}

/// The saved plan of the only run on the host.
fn plan_file(test: &Test) -> std::path::PathBuf {
    let runs = test.path("/var/lib/runbook/runs");
    let mut dirs: Vec<_> = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.remove(0).join("plan.json")
}

#[test]
fn the_plan_carries_rendered_translations_of_the_manual_items() {
    let test = applied_exim();
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(plan_file(&test)).unwrap()).unwrap();
    let step = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "form-captcha")
        .unwrap();
    assert_eq!(
        step["i18n"]["ja"]["title"],
        "サイトのフォームを CAPTCHA で保護する"
    );
    let item = &step["manual"][0];
    assert!(
        item["text"]
            .as_str()
            .unwrap()
            .starts_with("tools.php (queued messages: 3,"),
        "{item:#}"
    );
    let ru = item["i18n"]["ru"]["text"].as_str().unwrap();
    assert!(
        ru.starts_with("tools.php (писем в очереди: 3, uid владельца скрипта 1001)"),
        "{ru}"
    );
    // A step of an included runbook takes that runbook's translation.
    let included = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "x-header/web-ini")
        .unwrap();
    assert_eq!(
        included["i18n"]["ru"]["title"],
        "Включить mail.add_x_header = On во всех php.ini, которые читают Apache, CGI и CLI"
    );
}

#[test]
fn report_json_keeps_english_and_names_the_language_asked() {
    let test = applied_exim();
    let m: serde_json::Value =
        serde_json::from_str(&report(&test, &["--format", "json", "--lang", "ja"])).unwrap();
    assert_eq!(m["lang"], "ja");
    assert!(
        m["title"]
            .as_str()
            .unwrap()
            .starts_with("Unblock an exim server's mail")
    );
    assert!(
        m["i18n"]["ja"]["title"]
            .as_str()
            .unwrap()
            .starts_with("exim サーバーのメールのブロックを解除する")
    );
    assert_eq!(m["found"][0]["title"], "Messages in the queue (exim -bpc)");
    assert_eq!(
        m["found"][0]["i18n"]["ja"]["title"],
        "キュー内のメッセージ（exim -bpc）"
    );
    let manual = &m["manual"][0];
    assert!(
        manual["text"]
            .as_str()
            .unwrap()
            .starts_with("tools.php (queued messages")
    );
    assert!(
        manual["i18n"]["ja"]["text"]
            .as_str()
            .unwrap()
            .starts_with("tools.php（キュー内のメッセージ: 3")
    );
    let plain = report(&test, &["--format", "json"]);
    assert!(!plain.contains("\"lang\""), "{plain}");
}

/// A run saved before plans carried translations: the report still reads its plan (its
/// findings are listed) and words the runbook's texts in English.
#[test]
fn an_old_plan_without_translations_still_loads_for_the_report() {
    let test = applied_exim();
    let path = plan_file(&test);
    let mut plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(o) => {
                o.remove("i18n");
                o.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut plan);
    assert!(!plan.to_string().contains("i18n"));
    std::fs::write(&path, serde_json::to_vec_pretty(&plan).unwrap()).unwrap();
    let out = report(&test, &["--lang", "ru"]);
    crate::assert_contains!(
        out,
        "Что найдено:\n- Messages in the queue (exim -bpc): 6\n"
    );
    crate::assert_contains!(
        out,
        "Осталось сделать вручную:\n- tools.php (queued messages: 3, script owner uid 1001) is a site's form"
    );
    crate::assert_contains!(out, "exim-block-unlock (Unblock an exim server's mail");
}
