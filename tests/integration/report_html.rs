//! The HTML report as a browser shows it: rendered by headless Chromium (Debian's
//! `chromium`) to a PNG, in each language, and printed to PDF.

use std::path::Path;
use std::process::Command;

use crate::support::Test;

/// The page size the screenshot is taken at.
const WIDTH: u32 = 1000;
const HEIGHT: u32 = 1400;

fn html(test: &Test, lang: &str) -> String {
    let out = test.run_args(&["report", "--last", "--format", "html", "--lang", lang]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
}

/// `chromium --headless` on `page`, with a profile of its own in `dir`.
fn chromium(dir: &Path, page: &Path, what: &str) {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--window-size={WIDTH},{HEIGHT}"))
        .arg(what)
        .arg(format!("file://{}", page.display()))
        .env("HOME", dir)
        .output()
        .expect("chromium (apt-get install chromium)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// RGB pixels of a PNG, with its size.
fn pixels(png_file: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_file).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let px = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    (info.width, info.height, px)
}

fn near(p: [u8; 3], q: [u8; 3]) -> bool {
    p.iter().zip(q).all(|(a, b)| a.abs_diff(b) < 40)
}

#[test]
#[cfg_attr(
    no_chromium,
    ignore = "needs Debian's chromium (apt-get install chromium; .ci/run installs it)"
)]
fn the_html_report_renders_in_chromium_in_each_language_and_prints() {
    let test = Test::example("exim-outbreak").file("/etc/hostname", "mail.example.com\n");
    let out = test.run_args(&["apply", "exim-block-unlock", "--yes"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let dir = tempfile::tempdir().unwrap();
    for lang in ["en", "ru", "ja"] {
        let page = dir.path().join(format!("report-{lang}.html"));
        std::fs::write(&page, html(&test, lang)).unwrap();
        let shot = dir.path().join(format!("report-{lang}.png"));
        chromium(
            dir.path(),
            &page,
            &format!("--screenshot={}", shot.display()),
        );
        let (width, height, px) = pixels(&shot);
        assert_eq!((width, height), (WIDTH, HEIGHT), "{lang}");
        // The title's rule, in the style's blue across the text column: the style
        // inline in the file was applied (nothing is fetched).
        let blue = [0x1f, 0x6f, 0xeb];
        let rule = (0..200).any(|y| {
            let row = &px[(y * width) as usize..((y + 1) * width) as usize];
            row.iter().filter(|p| near(**p, blue)).count() > (width as usize) * 6 / 10
        });
        assert!(rule, "{lang}: no title rule in {}", shot.display());
        // Text on a white page: neither blank nor a wall of ink.
        let inked = px.iter().filter(|p| p.iter().any(|c| *c < 160)).count();
        let share = inked as f64 / px.len() as f64;
        assert!(
            (0.01..0.4).contains(&share),
            "{lang}: {:.3} of the page is ink ({})",
            share,
            shot.display()
        );
    }
    // Printed: a PDF of at least one page.
    let page = dir.path().join("report-en.html");
    let pdf = dir.path().join("report.pdf");
    chromium(
        dir.path(),
        &page,
        &format!("--print-to-pdf={}", pdf.display()),
    );
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "{}", pdf.display());
    let pages = bytes
        .windows(b"/Type /Page".len() + 1)
        .filter(|w| w.starts_with(b"/Type /Page") && w[w.len() - 1] != b's')
        .count();
    assert!(pages >= 1, "no page in {}", pdf.display());
}
