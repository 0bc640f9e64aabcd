//! `no_new_mail`: a source the plan found in the queue (a script, a local user) has a
//! message that arrived after the newest one the plan saw from it.

use serde_json::{Value, json};

use crate::runbook::verify::NewMailFrom;

/// The queue list of a source, and the field naming one of it.
fn list(from: NewMailFrom) -> (&'static str, &'static str) {
    match from {
        NewMailFrom::Scripts => ("top_scripts", "script"),
        NewMailFrom::Users => ("top_local_users", "user"),
    }
}

/// The sources still sending, as records (`script` or `user`, `uid`, `count`,
/// `newest`, `planned_newest`), the check's numbers in words, and how many sources it
/// watched; `planned` and `now` are the queue group as planned and as it is.
pub fn since_plan(from: NewMailFrom, planned: &Value, now: &Value) -> (Value, String, usize) {
    let (field, name) = list(from);
    let planned: &[Value] = planned
        .get(field)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    if let Some(error) = now.get("error").and_then(Value::as_str) {
        return (
            Value::Null,
            format!("the queue could not be read: {error}"),
            0,
        );
    }
    let current: &[Value] = now
        .get(field)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let mut sending = Vec::new();
    let mut words = Vec::new();
    // `(network)`, `(bounce)`, `(alias)`: not a source on this host; bounces of the
    // spam go on arriving after the fix.
    let planned: Vec<&Value> = planned
        .iter()
        .filter(|p| {
            !p.get(name)
                .and_then(Value::as_str)
                .is_some_and(|n| n.starts_with('('))
        })
        .collect();
    for before in planned.iter().copied() {
        let Some(after) = current
            .iter()
            .find(|s| s.get(name) == before.get(name) && s.get("uid") == before.get("uid"))
        else {
            continue;
        };
        let (then, latest) = (newest(before), newest(after));
        if latest > then {
            let source = before.get(name).and_then(Value::as_str).unwrap_or("");
            let count = after.get("count").and_then(Value::as_u64).unwrap_or(0);
            words.push(format!(
                "{source}: {count} queued, the newest at {} (planned: {})",
                time(latest),
                then.map_or("none".to_string(), |t| time(Some(t)))
            ));
            sending.push(json!({
                name: before.get(name),
                "uid": before.get("uid"),
                "count": count,
                "newest": latest,
                "planned_newest": then,
            }));
        }
    }
    let detail = if words.is_empty() {
        format!(
            "none of the {} {name}(s) found at plan time queued mail since",
            planned.len()
        )
    } else {
        words.join("; ")
    };
    (Value::Array(sending), detail, planned.len())
}

fn newest(script: &Value) -> Option<i64> {
    script.get("newest").and_then(Value::as_i64)
}

fn time(t: Option<i64>) -> String {
    t.and_then(|t| jiff::Timestamp::from_second(t).ok())
        .map_or("unknown".to_string(), |t| {
            t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_s_later_message_counts_and_bounces_do_not() {
        let planned = json!({ "top_local_users": [
            { "user": "shopuser", "uid": 10003, "count": 2, "newest": 100 },
            { "user": "(bounce)", "uid": null, "count": 1, "newest": 100 },
            { "user": "apache", "uid": 48, "count": 1, "newest": 100 },
        ]});
        let now = json!({ "top_local_users": [
            { "user": "(bounce)", "uid": null, "count": 5, "newest": 200 },
            { "user": "shopuser", "uid": 10003, "count": 1, "newest": 150 },
            { "user": "apache", "uid": 48, "count": 1, "newest": 100 },
        ]});
        let (sending, detail, watched) = since_plan(NewMailFrom::Users, &planned, &now);
        assert_eq!(watched, 2, "the bounces are no source here");
        assert_eq!(
            sending,
            json!([{ "user": "shopuser", "uid": 10003, "count": 1, "newest": 150, "planned_newest": 100 }])
        );
        assert!(
            detail.starts_with("shopuser: 1 queued, the newest at 1970-01-01T00:02:30Z"),
            "{detail}"
        );
        let (quiet, detail, _) = since_plan(NewMailFrom::Users, &planned, &planned);
        assert_eq!(quiet, json!([]));
        assert_eq!(
            detail,
            "none of the 2 user(s) found at plan time queued mail since"
        );
    }

    #[test]
    fn an_unreadable_queue_is_no_proof() {
        let (value, detail, _) = since_plan(
            NewMailFrom::Scripts,
            &json!({}),
            &json!({ "error": "no spool" }),
        );
        assert!(value.is_null());
        assert_eq!(detail, "the queue could not be read: no spool");
    }
}
