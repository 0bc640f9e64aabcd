//! `no_new_mail: scripts`: a script the plan found in the queue has a message that
//! arrived after the newest one the plan saw from it.

use serde_json::{Value, json};

use crate::facts::Facts;

/// The scripts still sending, as records (`script`, `uid`, `count`, `newest`,
/// `planned_newest`), and the check's numbers in words.
pub fn from_scripts(planned: &Value, now: &Facts) -> (Value, String) {
    let planned: &[Value] = planned
        .get("top_scripts")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    if let Some(error) = now.get("queue.error").and_then(Value::as_str) {
        return (Value::Null, format!("the queue could not be read: {error}"));
    }
    let current: &[Value] = now
        .get("queue.top_scripts")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let mut sending = Vec::new();
    let mut words = Vec::new();
    for before in planned {
        let Some(after) = current
            .iter()
            .find(|s| s.get("script") == before.get("script") && s.get("uid") == before.get("uid"))
        else {
            continue;
        };
        let (then, latest) = (newest(before), newest(after));
        if latest > then {
            let script = before.get("script").and_then(Value::as_str).unwrap_or("");
            let count = after.get("count").and_then(Value::as_u64).unwrap_or(0);
            words.push(format!(
                "{script}: {count} queued, the newest at {} (planned: {})",
                time(latest),
                then.map_or("none".to_string(), |t| time(Some(t)))
            ));
            sending.push(json!({
                "script": before.get("script"),
                "uid": before.get("uid"),
                "count": count,
                "newest": latest,
                "planned_newest": then,
            }));
        }
    }
    let detail = if words.is_empty() {
        format!(
            "none of the {} script(s) found at plan time queued mail since",
            planned.len()
        )
    } else {
        words.join("; ")
    };
    (Value::Array(sending), detail)
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
