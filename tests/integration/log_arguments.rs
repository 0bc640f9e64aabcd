//! exim with `log_selector = +arguments` (as cPanel and ConfigServer's LFD set it) logs
//! the working directory of every local submission (exim.c: `cwd=DIR N args: ARGV`,
//! before the message has an id). That names the sending site for mail queued without
//! X-PHP-Originating-Script, and for non-PHP senders.

use std::os::unix::fs::chown;

use crate::support::Test;

const MAINLOG: &str = "\
2026-12-02 10:00:00 cwd=/home/shop/public_html/wp-content/plugins/cf7 4 args: /usr/sbin/sendmail -t -i -fshop@vm.example
2026-12-02 10:00:00 1xYn0C-000000007ED-0fxw <= shop@vm.example U=shop P=local S=1358
2026-12-02 10:00:01 [4242] cwd=/home/shop/public_html/wp-content/plugins/cf7 4 args: /usr/sbin/sendmail -t -i -fshop@vm.example
2026-12-02 10:00:01 [4242] 1xYn0C-000000007EE-0fxw <= shop@vm.example U=shop P=local S=1358
2026-12-02 10:00:02.123 cwd=/home/blog/www 3 args: /usr/sbin/sendmail -t -i
2026-12-02 10:00:03 cwd=/var/spool/exim4 3 args: /usr/sbin/exim4 -Mc 1xYn0C-000000007ED-0fxw
2026-12-02 10:00:04 cwd=/ 3 args: /usr/sbin/sendmail -i root
2026-12-02 10:00:05 cwd=/root 2 args: /usr/sbin/sendmail root
2026-12-02 10:00:06 cwd=/usr/local/mgr5 3 args: /usr/sbin/sendmail -t -i
";

#[test]
fn submission_dirs_from_arguments_lines_skip_the_noise() {
    let test = Test::new()
        .file("/usr/sbin/exim4", "")
        .file(
            "/etc/passwd",
            "root:x:0:0::/root:/bin/bash\nshop:x:1001:1001::/home/shop:/bin/sh\n",
        )
        .file(
            "/home/shop/public_html/wp-content/plugins/cf7/mail.php",
            "<?php",
        )
        .file("/var/log/exim4/mainlog", MAINLOG);
    let dir = test.path("/home/shop/public_html/wp-content/plugins/cf7");
    if nix::unistd::geteuid().is_root() {
        chown(&dir, Some(1001), Some(1001)).unwrap();
    }
    let out = test.run_args(&["facts", "--only", "log", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let log = &out.json()["log"];
    assert_eq!(log["arguments_logged"], true);
    let owner = if nix::unistd::geteuid().is_root() {
        serde_json::json!("shop")
    } else {
        serde_json::json!(format!("uid {}", nix::unistd::geteuid()))
    };
    assert_eq!(
        log["submission_dirs"],
        serde_json::json!([
            { "dir": "/home/shop/public_html/wp-content/plugins/cf7", "user": owner, "count": 2 },
            { "dir": "/home/blog/www", "user": null, "count": 1 },
        ])
    );
    assert_eq!(
        log["arrivals_by_user"],
        serde_json::json!([{ "user": "shop", "count": 2 }])
    );
}

#[test]
fn without_arguments_lines_the_selector_is_off() {
    let test = Test::new().file("/usr/sbin/exim4", "").file(
        "/var/log/exim4/mainlog",
        "2026-12-02 10:00:00 1xYn0C-000000007ED-0fxw <= shop@vm.example U=shop P=local S=1358\n",
    );
    let out = test.run_args(&["facts", "--only", "log", "--output", "json"]);
    let log = &out.json()["log"];
    assert_eq!(log["arguments_logged"], false);
    assert_eq!(log["submission_dirs"], serde_json::json!([]));
}
