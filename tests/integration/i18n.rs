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
