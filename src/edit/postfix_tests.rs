use super::*;
use proptest::prelude::*;

/// Debian 12's main.cf as its postfix package writes it.
const DEBIAN: &str = include_str!("../../tests/fixtures/postfix-main.cf-bookworm");

/// `text` with `from` replaced by `to`, checking `from` occurs exactly once.
fn swap(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` once in the text");
    text.replacen(from, to, 1)
}

fn add(text: &str, name: &str, item: &str) -> String {
    list_add(text, name, item, None).unwrap()
}

fn drop(text: &str, name: &str, item: &str) -> String {
    list_remove(text, name, item, None).unwrap()
}

#[test]
fn get_reads_the_real_file() {
    assert_eq!(
        get(DEBIAN, "mynetworks").as_deref(),
        Some("127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128")
    );
    assert_eq!(
        get(DEBIAN, "smtpd_tls_cert_file").as_deref(),
        Some("/etc/ssl/certs/ssl-cert-snakeoil.pem"),
        "no spaces around `=`"
    );
    assert_eq!(
        get(DEBIAN, "relayhost").as_deref(),
        Some(""),
        "trailing space"
    );
    assert_eq!(
        get(DEBIAN, "smtpd_banner").as_deref(),
        Some("$myhostname ESMTP $mail_name (Debian/GNU)"),
        "`$name` kept as written"
    );
    assert_eq!(
        get(DEBIAN, "delay_warning_time"),
        None,
        "only commented out"
    );
    assert_eq!(get(DEBIAN, "message_size_limit"), None);
}

#[test]
fn get_follows_postfixs_logical_lines() {
    // Continuation lines join without their newline; comment and blank lines inside a
    // logical line neither end it nor add to it; the last definition wins.
    let text = "a = 1\nb = x,\n  y\n# note\n\n\ty\nc=\n a = 9\na = 2\n   \n";
    assert_eq!(get(text, "b").as_deref(), Some("x,  y\ty"));
    assert_eq!(
        get(text, "c").as_deref(),
        Some("a = 9"),
        "an indented line continues"
    );
    assert_eq!(get(text, "a").as_deref(), Some("2"));
    // Text before any logical line is skipped (postfix warns).
    assert_eq!(get("  a = 1\nb = 2\n", "a"), None);
    // `=` in a value, `#` after the start, CRLF endings.
    assert_eq!(get("x = a=b # c\r\n", "x").as_deref(), Some("a=b # c"));
    // A logical line that is no `name = value`, and `name=` on the next line.
    assert_eq!(get("junk\nd\n = 4\n", "d").as_deref(), Some("4"));
    assert_eq!(get("junk\n", "junk"), None);
}

#[test]
fn set_rewrites_the_last_definition_in_place() {
    let out = set(DEBIAN, "mynetworks", "127.0.0.0/8 [::1]/128").unwrap();
    assert_eq!(
        out,
        swap(
            DEBIAN,
            "mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128\n",
            "mynetworks = 127.0.0.0/8 [::1]/128\n"
        )
    );
    assert_eq!(
        set(&out, "mynetworks", "127.0.0.0/8 [::1]/128").unwrap(),
        out
    );
    let text = "a = 1\nb = 2\na = 3\n";
    assert_eq!(set(text, "a", "4").unwrap(), "a = 1\nb = 2\na = 4\n");
}

#[test]
fn set_keeps_spacing_and_trailing_space() {
    let out = set(DEBIAN, "smtp_tls_security_level", "encrypt").unwrap();
    assert_eq!(
        out,
        swap(
            DEBIAN,
            "smtp_tls_security_level=may\n",
            "smtp_tls_security_level=encrypt\n"
        )
    );
    let out = set(DEBIAN, "relayhost", "[smtp.example.net]:587").unwrap();
    assert_eq!(
        out,
        swap(
            DEBIAN,
            "relayhost = \n",
            "relayhost = [smtp.example.net]:587\n"
        )
    );
    assert_eq!(set("a =\n", "a", "x").unwrap(), "a = x\n");
    assert_eq!(set("a=\n", "a", "x").unwrap(), "a=x\n");
    assert_eq!(set("a = x  \n", "a", "y").unwrap(), "a = y  \n");
    assert_eq!(set("a = x\n", "a", "").unwrap(), "a =\n");
    assert_eq!(set("a = x\n", "a", "  p = q  ").unwrap(), "a = p = q\n");
}

#[test]
fn set_replaces_a_continued_definition_and_keeps_its_comments() {
    let text = "a = 1\nb = x,\n  y\n# note\n\tz\nc = 3\n";
    let out = set(text, "b", "w").unwrap();
    assert_eq!(out, "a = 1\nb = w\n# note\nc = 3\n");
    assert_eq!(get(&out, "b").as_deref(), Some("w"));
    // The value starting on a continuation line, `=` there too.
    assert_eq!(set("b =\n  x\n", "b", "y").unwrap(), "b = y\n");
    assert_eq!(set("b\n  = x\n", "b", "y").unwrap(), "b = y\n");
}

#[test]
fn set_appends_a_missing_parameter() {
    let out = set(DEBIAN, "message_size_limit", "10240000").unwrap();
    assert_eq!(out, format!("{DEBIAN}message_size_limit = 10240000\n"));
    assert_eq!(set("", "a", "1").unwrap(), "a = 1\n");
    assert_eq!(set("x = 1", "a", "1").unwrap(), "x = 1\na = 1");
    assert_eq!(set("x = 1\r\n", "a", "").unwrap(), "x = 1\r\na =\r\n");
    // After a continued definition at the end, a line of its own.
    assert_eq!(
        set("x = 1,\n  2\n", "a", "3").unwrap(),
        "x = 1,\n  2\na = 3\n"
    );
}

#[test]
fn remove_drops_every_definition() {
    let text = "a = 1\n# keep\nb = 2,\n  3\n# inside\n  4\na = 5\n";
    assert_eq!(
        remove(text, "b").unwrap(),
        "a = 1\n# keep\n# inside\na = 5\n"
    );
    assert_eq!(
        remove(text, "a").unwrap(),
        "# keep\nb = 2,\n  3\n# inside\n  4\n"
    );
    assert_eq!(remove(text, "zzz").unwrap(), text);
    assert_eq!(remove("x = 1\r\na = 2", "a").unwrap(), "x = 1");
    let out = remove(DEBIAN, "relayhost").unwrap();
    assert_eq!(out, swap(DEBIAN, "relayhost = \n", ""));
    assert_eq!(get(&out, "relayhost"), None);
}

#[test]
fn add_follows_the_lists_style() {
    let out = add(
        DEBIAN,
        "smtpd_relay_restrictions",
        "reject_unauth_destination",
    );
    assert_eq!(
        out,
        swap(
            DEBIAN,
            "defer_unauth_destination\n",
            "defer_unauth_destination reject_unauth_destination\n"
        )
    );
    assert_eq!(
        add(
            &out,
            "smtpd_relay_restrictions",
            "reject_unauth_destination"
        ),
        out
    );
    assert_eq!(
        add(DEBIAN, "mydestination", "mail.example.com"),
        swap(
            DEBIAN,
            "localhost.localdomain, localhost\n",
            "localhost.localdomain, localhost, mail.example.com\n"
        )
    );
    assert_eq!(add("a = x,\n", "a", "y"), "a = x, y\n", "a trailing comma");
    assert_eq!(
        add("a = x  # t\n", "a", "y"),
        "a = x  # t y\n",
        "`#` is no comment here"
    );
    assert_eq!(add("a =\n", "a", "y"), "a = y\n");
    assert_eq!(add("a = x\r\n", "a", "y"), "a = x y\r\n");
    assert_eq!(
        add("a = 1\na = x\n", "a", "y"),
        "a = 1\na = x y\n",
        "the last wins"
    );
    // Already there, however separated, or inside `$var` text: unchanged.
    assert_eq!(add("a = x,y\n", "a", "y"), "a = x,y\n");
    assert_eq!(add("a = $y\n", "a", "$y"), "a = $y\n");
    assert_eq!(
        add("a = $y\n", "a", "y"),
        "a = $y y\n",
        "`$y` is not expanded"
    );
    // A `{...}` group is one item: its words are not items of the list.
    let text = "a = check_policy_service { inet:127.0.0.1:9, timeout=1s }\n";
    assert_eq!(
        add(text, "a", "timeout=1s"),
        "a = check_policy_service { inet:127.0.0.1:9, timeout=1s } timeout=1s\n"
    );
}

#[test]
fn add_to_a_continued_list() {
    // One item per continuation line: a line of its own, like the others.
    let text = "r =\n    permit_mynetworks,\n    reject\n# end\nx = 1\n";
    assert_eq!(
        add(text, "r", "defer"),
        "r =\n    permit_mynetworks,\n    reject,\n    defer\n# end\nx = 1\n"
    );
    let text = "r = a\n\tb,\n\tc,\n";
    assert_eq!(add(text, "r", "d"), "r = a\n\tb,\n\tc,\n\td,\n");
    let text = "r = a\n  b\n  c\n";
    assert_eq!(add(text, "r", "d"), "r = a\n  b\n  c\n  d\n");
    // Several items on a continuation line: after the last.
    let text = "r = a,\n  b, c\n";
    assert_eq!(add(text, "r", "d"), "r = a,\n  b, c, d\n");
    assert_eq!(
        add("r = a,\n  b", "r", "c"),
        "r = a,\n  b,\n  c",
        "no final newline"
    );
}

#[test]
fn add_to_an_undefined_list_needs_the_default() {
    let err = list_add(DEBIAN, "smtpd_recipient_restrictions", "reject", None).unwrap_err();
    assert_eq!(
        err,
        PostfixError::Unset("smtpd_recipient_restrictions".into())
    );
    let message = err.to_string();
    assert!(message.contains("give `default:`"), "{message}");
    assert!(
        message.contains("postconf -d smtpd_recipient_restrictions"),
        "{message}"
    );
    let out = list_add("x = 1\n", "r", "reject", Some("permit_mynetworks, defer")).unwrap();
    assert_eq!(out, "x = 1\nr = permit_mynetworks, defer, reject\n");
    assert_eq!(
        list_add(&out, "r", "reject", Some("permit_mynetworks")).unwrap(),
        out
    );
    // The default holding the item already: nothing to write.
    let same = list_add("x = 1\n", "r", "defer", Some("permit, defer")).unwrap();
    assert_eq!(same, "x = 1\n");
    assert_eq!(list_add("", "r", "a", Some("")).unwrap(), "r = a\n");
}

#[test]
fn remove_item_keeps_separators_tidy() {
    let r = "smtpd_relay_restrictions";
    let out = drop(DEBIAN, r, "permit_sasl_authenticated");
    assert_eq!(
        out,
        swap(
            DEBIAN,
            "permit_mynetworks permit_sasl_authenticated defer",
            "permit_mynetworks defer"
        )
    );
    assert_eq!(drop(&out, r, "permit_sasl_authenticated"), out);
    assert_eq!(drop("a = x, y, z\n", "a", "x"), "a = y, z\n");
    assert_eq!(drop("a = x, y, z\n", "a", "y"), "a = x, z\n");
    assert_eq!(drop("a = x, y, z  \n", "a", "z"), "a = x, y  \n");
    assert_eq!(drop("a = x\n", "a", "x"), "a =\n");
    assert_eq!(
        drop("a = x, y, x,x\n", "a", "x"),
        "a = y\n",
        "every occurrence"
    );
    assert_eq!(
        drop("a = xy, y\n", "a", "x"),
        "a = xy, y\n",
        "whole items only"
    );
    // Removing what `add` added gives the file back.
    for text in [
        "r = x, y\n",
        "r = x y\n",
        "r =\n  a,\n  b\n",
        "r = a\n\tb,\n",
        "r = a,\n  b",
    ] {
        assert_eq!(drop(&add(text, "r", "new"), "r", "new"), text);
    }
}

#[test]
fn remove_item_from_a_continued_list() {
    let text = "r = a,\n    b,\n# c\n    c\nx = 1\n";
    assert_eq!(drop(text, "r", "b"), "r = a,\n# c\n    c\nx = 1\n");
    assert_eq!(drop(text, "r", "c"), "r = a,\n    b\n# c\nx = 1\n");
    assert_eq!(drop(text, "r", "a"), "r =\n    b,\n# c\n    c\nx = 1\n");
    assert_eq!(get(&drop(text, "r", "a"), "r").as_deref(), Some("b,    c"));
    // A line left starting with `#` would be a comment: one line instead.
    assert_eq!(drop("r = a,\n\tx, #b, c\n", "r", "x"), "r = a, #b, c\n");
    // A list that ends in a comma keeps ending in one.
    assert_eq!(drop("r = a,\n  b,\n", "r", "b"), "r = a,\n");
    assert_eq!(drop("r = a,\n  b", "r", "b"), "r = a");
    assert_eq!(drop("r = a,\r\n  b\r\n", "r", "b"), "r = a\r\n");
}

#[test]
fn remove_item_of_an_undefined_list_needs_the_default() {
    assert_eq!(
        list_remove("x = 1\n", "r", "defer", None),
        Err(PostfixError::Unset("r".into()))
    );
    assert_eq!(
        list_remove("x = 1\n", "r", "defer", Some("permit, defer")).unwrap(),
        "x = 1\nr = permit\n"
    );
    assert_eq!(
        list_remove("x = 1\n", "r", "reject", Some("permit, defer")).unwrap(),
        "x = 1\n"
    );
}

#[test]
fn hostile_names_values_and_items_are_refused() {
    for name in ["", "a b", "a=b", "#a", "a\nb", "a.b", "$a"] {
        assert_eq!(
            set("", name, "1"),
            Err(PostfixError::InvalidName(name.into())),
            "{name:?}"
        );
    }
    assert_eq!(
        set("", "a", "1\n b = 2"),
        Err(PostfixError::Edit(EditError::MultilineValue))
    );
    assert_eq!(
        set("", "a", "1\0"),
        Err(PostfixError::Edit(EditError::ControlCharacter(
            "1\0".into()
        )))
    );
    for item in ["", "a b", "a,b", "#a", "{a}", " a", "a\u{a0}b"] {
        assert_eq!(
            list_add("a = x\n", "a", item, None),
            Err(PostfixError::InvalidItem(item.into())),
            "{item:?}"
        );
    }
    assert_eq!(
        list_add("a = x\n", "a", "y\nz = 1", None),
        Err(PostfixError::Edit(EditError::MultilineValue))
    );
    let shown = PostfixError::InvalidName("a\x1b[2J".into()).to_string();
    assert!(!shown.contains('\x1b'), "{shown}");
}

fn text_strategy() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just(String::new()),
        "[ab] ?= ?[xy, #]{0,6}",
        "[ \t][xy,# ]{1,5}",
        "#[ab =]{0,4}",
    ];
    super::super::testgen::file_of(line, 10)
}

proptest! {
    #[test]
    fn every_edit_is_idempotent_and_reads_back(
        text in text_strategy(),
        name in prop_oneof![Just("a"), Just("b")],
        item in prop_oneof![Just("x"), Just("y"), Just("z")],
        value in "[xyz ,]{0,6}",
    ) {
        let out = set(&text, name, &value).unwrap();
        prop_assert_eq!(get(&out, name), Some(value.trim().to_string()));
        prop_assert_eq!(set(&out, name, &value).unwrap(), out.clone());

        let out = remove(&text, name).unwrap();
        prop_assert_eq!(get(&out, name), None);
        prop_assert_eq!(remove(&out, name).unwrap(), out.clone());

        let default = Some("x");
        let out = list_add(&text, name, item, default).unwrap();
        let items = |t: &str| {
            get(t, name)
                .map(|v| v.split([',', ' ', '\t']).filter(|s| !s.is_empty()).map(String::from).collect::<Vec<_>>())
        };
        let before = items(&text).unwrap_or_else(|| vec!["x".into()]);
        let after = items(&out).unwrap_or_else(|| vec!["x".into()]);
        prop_assert!(after.contains(&item.to_string()));
        if before.contains(&item.to_string()) {
            prop_assert_eq!(&out, &text);
        } else {
            let mut expected = before.clone();
            expected.push(item.to_string());
            prop_assert_eq!(&after, &expected);
        }
        prop_assert_eq!(list_add(&out, name, item, default).unwrap(), out.clone());

        let out = list_remove(&text, name, item, default).unwrap();
        let after = items(&out).unwrap_or_else(|| vec!["x".into()]);
        let kept: Vec<String> = before.iter().filter(|i| *i != item).cloned().collect();
        prop_assert_eq!(after, kept);
        prop_assert_eq!(list_remove(&out, name, item, default).unwrap(), out.clone());
    }
}

// ---- hostile values ----

use super::super::testgen::hostile_value;

/// Every parameter's effective value but `name`'s.
fn others(text: &str, name: &str) -> Vec<(String, String)> {
    MainCf::new(text)
        .defs
        .iter()
        .filter(|d| d.name != name)
        .map(|d| (d.name.clone(), get(text, &d.name).unwrap()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A value or item from a compromised site is refused with a message that shows no
    /// control character, or lands as exactly that value or item, every other
    /// parameter as it was.
    #[test]
    fn hostile_values_are_refused_or_land_as_given(v in hostile_value()) {
        let control = |c: char| c.is_control() && c != '\t';
        match set(DEBIAN, "mynetworks", &v) {
            Err(e) => prop_assert!(!e.to_string().contains(control), "{:?}", e.to_string()),
            Ok(out) => {
                prop_assert_eq!(get(&out, "mynetworks"), Some(v.trim_matches([' ', '\t']).to_string()));
                prop_assert_eq!(others(&out, "mynetworks"), others(DEBIAN, "mynetworks"));
                prop_assert_eq!(out.lines().count(), DEBIAN.lines().count());
            }
        }
        let r = "smtpd_relay_restrictions";
        match list_add(DEBIAN, r, &v, None) {
            Err(e) => prop_assert!(!e.to_string().contains(control), "{:?}", e.to_string()),
            Ok(out) => {
                let value = get(&out, r).unwrap();
                prop_assert_eq!(value, format!("{} {v}", get(DEBIAN, r).unwrap()));
                prop_assert_eq!(others(&out, r), others(DEBIAN, r));
                prop_assert_eq!(list_remove(&out, r, &v, None).unwrap(), DEBIAN);
            }
        }
    }
}
