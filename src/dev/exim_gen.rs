//! Large exim spools and mainlogs in exim 4.96's formats (the layout of the real files
//! in `tests/fixtures/exim4-spool`), with the mix of senders, scripts and failures an
//! outbreak leaves.

use std::fs;
use std::io;
use std::path::Path;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A 16-character exim id (`TTTTTT-PPPPPP-FF`) from a time and a counter.
pub fn message_id(time: u64, n: u64) -> String {
    let enc = |mut v: u64, width: usize| {
        let mut s = vec![b'0'; width];
        for slot in s.iter_mut().rev() {
            *slot = BASE62[(v % 62) as usize];
            v /= 62;
        }
        String::from_utf8(s).expect("base62 is ASCII")
    };
    format!("{}-{}-{}", enc(time, 6), enc(n / 62, 6), enc(n % 62, 2))
}

/// Scripts an outbreak shows, with their share of messages.
const SCRIPTS: &[(&str, &str)] = &[
    ("1001", "tools.php"),
    ("1001", "tools.php"),
    ("1001", "tools.php"),
    ("1002", "class-phpmailer.php"),
    ("1003", "gsdjkjhkll.php(2) : eval()'d code"),
    ("1003", "http.81bc630525f0a7e424814f1216adeedd.php"),
    ("1004", ""),
];

/// Write `count` messages (`-H` and `-D`) into `spool/input`, split by the id's sixth
/// character when `split`. Every seventh message has no PHP header (a local user) and
/// every eleventh is frozen. `distinct` gives every message a sender and recipient
/// domain of its own: the worst case for the summaries' memory.
pub fn spool(spool: &Path, count: u64, split: bool, distinct: bool) -> io::Result<()> {
    let input = spool.join("input");
    fs::create_dir_all(&input)?;
    let start = 1_795_391_951u64;
    for n in 0..count {
        let time = start + n / 50;
        let id = message_id(time, n);
        let dir = if split {
            input.join(&id[5..6])
        } else {
            input.clone()
        };
        if split {
            fs::create_dir_all(&dir)?;
        }
        let script = (n % 7 != 6).then(|| SCRIPTS[(n % SCRIPTS.len() as u64) as usize]);
        let rcpt = if distinct {
            format!("user@d{n}.example")
        } else {
            format!(
                "user{}@{}",
                n % 9973,
                [
                    "gmail.com",
                    "mail.ru",
                    "hotmail.fr",
                    "yandex.ru",
                    "example.net"
                ][(n % 5) as usize]
            )
        };
        let sender = distinct.then(|| format!("s{n}@spam{n}.example"));
        fs::write(
            dir.join(format!("{id}-H")),
            header_file(&id, time, script, &rcpt, sender.as_deref(), n % 11 == 10),
        )?;
        fs::write(
            dir.join(format!("{id}-D")),
            format!("{id}-D\nCheap pills, message {n}\n"),
        )?;
    }
    Ok(())
}

fn header_file(
    id: &str,
    time: u64,
    script: Option<(&str, &str)>,
    rcpt: &str,
    sender: Option<&str>,
    frozen: bool,
) -> String {
    let (login, uid) = if script.is_some() {
        ("www-data", 33)
    } else {
        ("siteuser", 1004)
    };
    let sender = sender.map_or_else(|| format!("{login}@vm"), str::to_string);
    let mut out = format!(
        "{id}-H\n{login} {uid} {uid}\n<{sender}>\n{time} 0\n-received_time_usec .523159\n-ident {login}\n\
-received_protocol local\n-body_linecount 2\n-max_received_linelength 40\n-auth_id {login}\n-auth_sender {sender}\n\
-allow_unqualified_recipient\n-allow_unqualified_sender\n-deliver_firsttime\n"
    );
    if frozen {
        out.push_str(&format!("-frozen {time}\n"));
    }
    out.push_str(&format!("-local\n-tls_resumption A\nXX\n1\n{rcpt}\n\n"));
    let mut header =
        |flag: char, text: String| out.push_str(&format!("{:03}{flag} {text}", text.len()));
    header(
        'P',
        format!(
            "Received: from {login} by vm with local (Exim 4.96)\n\t(envelope-from <{sender}>)\n\tid {id}\n\tfor {rcpt};\n\tSun, 22 Nov 2026 23:59:11 +0000\n"
        ),
    );
    header('T', format!("To: {rcpt}\n"));
    header(' ', "Subject: Offer\n".to_string());
    if let Some((uid, name)) = script {
        header(' ', format!("X-PHP-Originating-Script: {uid}:{name}\n"));
    }
    header('F', "From: noreply@shop.example.com\n".to_string());
    header('I', format!("Message-Id: <E{id}@vm>\n"));
    header(' ', "Date: Sun, 22 Nov 2026 23:59:11 +0000\n".to_string());
    out
}

/// Receivers' rejections, one per failure class (article 002's texts).
const REJECTIONS: &[&str] = &[
    "R=dnslookup T=remote_smtp: SMTP error from remote mail server after RCPT TO:<x@hotmail.fr>: host eur.olc.protection.outlook.com [104.47.9.33]: 550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302).",
    "R=dnslookup T=remote_smtp H=mxs.mail.ru [94.100.180.31]: SMTP error from remote mail server after end of data: 550 spam message rejected. Please visit http://help.mail.ru/notspam-support/id",
    "R=dnslookup T=remote_smtp H=mxs.mail.ru [94.100.180.31]: SMTP error from remote mail server after end of data: 550 5.7.1 This message was not accepted due to domain (mail.ru) owner DMARC policy (RFC 7489)",
    "R=dnslookup T=remote_smtp: SMTP error from remote mail server after RCPT TO:<amy@advancecnc.com>: host advancecnc-com.mail.protection.outlook.com [104.47.59.138]: 550 5.7.606 Access denied, banned sending IP [92.53.96.251].",
    "R=dnslookup T=remote_smtp: SMTP error from remote mail server after RCPT TO:<x@gmail.com>: host gmail-smtp-in.l.google.com [2a00:1450:4010:c0e::1a]: 550-5.1.1 The email account that you tried to reach does not exist. Please try",
];

/// Write an exim mainlog of about `bytes` bytes: arrivals, deliveries, completions and
/// failures, in exim's plain format.
pub fn mainlog(path: &Path, bytes: u64) -> io::Result<()> {
    super::log_gen::write_log(path, bytes, |n, block| {
        let id = message_id(1_795_391_951 + n / 100, n);
        let (h, m, s) = ((n / 3600) % 24, (n / 60) % 60, n % 60);
        let stamp = format!("2026-11-22 {h:02}:{m:02}:{s:02}");
        let user = ["www-data", "co22556", "siteuser"][(n % 3) as usize];
        block.push_str(&format!(
            "{stamp} {id} <= {user}@vm U={user} P=local S={}\n",
            900 + n % 4000
        ));
        if n % 4 == 0 {
            block.push_str(&format!(
                "{stamp} {id} ** user{}@mail.ru {}\n",
                n % 997,
                REJECTIONS[(n / 4 % 5) as usize]
            ));
        } else {
            block.push_str(&format!("{stamp} {id} => user{}@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.25] C=\"250 2.0.0 Ok\"\n", n % 997));
        }
        block.push_str(&format!("{stamp} {id} Completed\n"));
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::exim_spool;

    #[test]
    fn generated_files_parse_like_real_ones() {
        for n in 0..30 {
            let id = message_id(1_795_391_951, n);
            assert!(exim_spool::is_message_id(&id), "{id}");
            let script = (n % 7 != 6).then(|| SCRIPTS[(n % SCRIPTS.len() as u64) as usize]);
            let text = header_file(
                &id,
                1_795_391_951,
                script,
                "a@b.example",
                None,
                n % 11 == 10,
            );
            let m = exim_spool::parse(text.as_bytes()).unwrap();
            assert_eq!(m.id, id);
            assert_eq!(m.frozen, n % 11 == 10);
            assert_eq!(
                m.php_script,
                script.map(|(u, s)| (u.to_string(), s.to_string()))
            );
        }
    }
}
