//! What kind of script sent a message, from the name in `X-PHP-Originating-Script`
//! (articles 000 and 002): a familiar mailer or form (an unprotected form or a stale
//! mailing list), a random-looking name (malware uploaded to the site), or no name at
//! all (a cron job).

/// `form`, `random`, `cron` or `unknown`.
pub fn classify(name: &str) -> &'static str {
    let base = base_name(name);
    if base.is_empty() {
        return "cron";
    }
    let lower = base.to_ascii_lowercase();
    let stem = lower.strip_suffix(".php").unwrap_or(&lower);
    if FORMS.contains(&lower.as_str()) || FORM_WORDS.iter().any(|w| stem.contains(w)) {
        return "form";
    }
    if !KNOWN.contains(&lower.as_str()) && looks_random(stem) {
        return "random";
    }
    "unknown"
}

/// The script file's name without PHP's eval suffix: `wp-cron.php(2) : eval()'d code`
/// was code eval'd inside `wp-cron.php`.
pub fn base_name(name: &str) -> &str {
    let name = name.trim().trim_matches('"');
    let name = name.split(" : ").next().unwrap_or(name);
    let name = match name.find('(') {
        Some(i) if name.ends_with(')') => &name[..i],
        _ => name,
    };
    name.rsplit('/').next().unwrap_or(name)
}

/// Mailer libraries and form handlers that the articles name, and their usual kin.
const FORMS: &[&str] = &[
    "tools.php",
    "php-mailer.php",
    "phpmailer.php",
    "class-phpmailer.php",
    "class.phpmailer.php",
    "class-wp-phpmailer.php",
    "sendmail.php",
    "mail.php",
    "mailer.php",
    "send.php",
    "sendform.php",
    "send_form.php",
    "smtp.php",
    "class.smtp.php",
    "index.php",
];

/// Well-known CMS files whose names would otherwise look random (few vowels).
const KNOWN: &[&str] = &[
    "xmlrpc.php",
    "wp-cron.php",
    "wp-login.php",
    "admin-ajax.php",
    "cron.php",
    "rss.php",
];

/// Words in the names of contact, feedback, order and sign-up handlers.
const FORM_WORDS: &[&str] = &[
    "contact",
    "feedback",
    "form",
    "mail",
    "subscribe",
    "newsletter",
    "register",
    "signup",
    "order",
    "callback",
    "quote",
];

/// Random-looking names: all digits (`12435`), long hex runs
/// (`http.81bc630525f0a7e424814f1216adeedd`), or letter soup without vowels to speak of
/// (`gsdjkjhkll`, `dgffgf`).
fn looks_random(stem: &str) -> bool {
    if !stem.is_empty() && stem.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    if longest_run(stem, |c| c.is_ascii_hexdigit()) >= 12 {
        return true;
    }
    let letters: Vec<char> = stem.chars().filter(char::is_ascii_alphabetic).collect();
    if letters.len() >= 5 {
        let vowels = letters.iter().filter(|c| "aeiouy".contains(**c)).count();
        let consonant_run = longest_run(stem, |c| c.is_ascii_alphabetic() && !"aeiouy".contains(c));
        if vowels * 8 <= letters.len() || consonant_run >= 5 {
            return true;
        }
    }
    false
}

fn longest_run(text: &str, f: impl Fn(char) -> bool) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        run = if f(c) { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_articles_examples_fall_in_their_classes() {
        for form in [
            "tools.php",
            "php-mailer.php",
            "class-phpmailer.php",
            "sendmail.php",
            "mail.php",
            "phpmailer.php",
            "contact-us.php",
            "feedback_form.php",
        ] {
            assert_eq!(classify(form), "form", "{form}");
        }
        for random in [
            "http.81bc630525f0a7e424814f1216adeedd.php",
            "gsdjkjhkll.php",
            "12435.php",
            "dgffgf.php",
        ] {
            assert_eq!(classify(random), "random", "{random}");
        }
        assert_eq!(classify(""), "cron");
        assert_eq!(classify("\"\""), "cron");
        assert_eq!(classify("wp-cron.php"), "unknown");
        assert_eq!(classify("xmlrpc.php"), "unknown");
        assert_eq!(classify("about.php"), "unknown");
    }

    #[test]
    fn eval_suffixes_and_paths_are_stripped() {
        assert_eq!(base_name("wp-cron.php(2) : eval()'d code"), "wp-cron.php");
        assert_eq!(base_name("/var/www/a/tools.php"), "tools.php");
        assert_eq!(classify("gsdjkjhkll.php(14) : eval()'d code"), "random");
    }
}
