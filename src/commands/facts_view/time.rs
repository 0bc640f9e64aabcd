//! Unix times as a person reads them: the date in UTC and how long ago it was.

use jiff::Timestamp;

/// `2026-11-23 00:11 UTC, 3 days ago`; the bare number when it is no representable time.
pub fn when(secs: i64, now: Timestamp) -> String {
    let Ok(at) = Timestamp::from_second(secs) else {
        return secs.to_string();
    };
    format!(
        "{}, {}",
        at.strftime("%Y-%m-%d %H:%M UTC"),
        age(now.as_second() - secs)
    )
}

/// Whole units, rounded down: what matters is "minutes or days", not the seconds.
fn age(secs: i64) -> String {
    let ahead = secs < 0;
    let secs = secs.unsigned_abs();
    let (n, unit) = match secs {
        0..60 => return if ahead { "in the future" } else { "just now" }.to_string(),
        60..3_600 => (secs / 60, "minute"),
        3_600..86_400 => (secs / 3_600, "hour"),
        _ => (secs / 86_400, "day"),
    };
    let s = if n == 1 { "" } else { "s" };
    if ahead {
        // A clock set wrong (the host's or ours): say so rather than a negative age.
        format!("{n} {unit}{s} in the future")
    } else {
        format!("{n} {unit}{s} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_with_their_age() {
        let now: Timestamp = "2026-11-26T00:11:30Z".parse().unwrap();
        let at = |s: &str| s.parse::<Timestamp>().unwrap().as_second();
        assert_eq!(
            when(at("2026-11-23T00:11:00Z"), now),
            "2026-11-23 00:11 UTC, 3 days ago"
        );
        assert_eq!(
            when(at("2026-11-25T23:10:00Z"), now),
            "2026-11-25 23:10 UTC, 1 hour ago"
        );
        assert_eq!(
            when(at("2026-11-26T00:09:00Z"), now),
            "2026-11-26 00:09 UTC, 2 minutes ago"
        );
        assert_eq!(
            when(at("2026-11-26T00:11:00Z"), now),
            "2026-11-26 00:11 UTC, just now"
        );
        assert_eq!(
            when(at("2026-11-28T00:11:00Z"), now),
            "2026-11-28 00:11 UTC, 1 day in the future"
        );
        assert_eq!(when(i64::MAX, now), i64::MAX.to_string());
    }
}
