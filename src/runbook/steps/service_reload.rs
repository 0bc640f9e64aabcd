//! Step `service_reload`: reload a service after its config test passes (also a handler).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceReload {
    /// Service name, e.g. `apache2`, `httpd`, `nginx`, `postfix`, `exim4`.
    pub service: String,
    /// Config test that must pass before reloading; known services have a default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<Vec<String>>,
    /// Reload command; known services have a default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reload: Option<Vec<String>>,
    /// Succeeds when the service runs; a stopped service is tested, never started.
    /// Known services have a default; without one the service counts as running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<Vec<String>>,
}

/// For `runbook show`.
pub fn describe(a: &ServiceReload) -> String {
    format!("test the {0} config, then reload {0}", a.service)
}
