//! What `spam-diagnose` tells the agent from the log's failure classes.

use crate::support::Test;

/// The postfix example's deferrals are DNS lookups that failed for now (dsn=4.4.3):
/// the agent is sent to the resolver, not told to clean the mailing list.
#[test]
fn dns_deferrals_point_at_the_resolver_not_the_mailing_list() {
    let test = Test::example("postfix-mailserver");
    let out = test.run_args(&["apply", "spam-diagnose", "--dry-run", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan = out.json();
    let step = |id: &str| {
        plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no step {id}"))
            .clone()
    };
    assert_eq!(
        step("dns-failures")["chosen"],
        true,
        "{}",
        step("dns-failures")
    );
    assert_eq!(step("unknown-users")["chosen"], false);
    assert_eq!(step("connection-failures")["chosen"], false);
}
