//! Step `service_reload`: reload a service after its config test passes (also a handler).

use anyhow::Result;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Planning;
use crate::runbook::diagnostic::Code;
use crate::runbook::services::known_service;
use crate::runbook::validate::{Scope, Validator};

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

/// Lint: the service name's template, and its commands.
pub(crate) fn lint(a: &ServiceReload, v: &mut Validator, p: &str, scope: &Scope) {
    v.template(&format!("{p}.service"), &a.service, scope);
    commands(v, p, a);
}

/// Lint of a reload's commands (also a handler's): an unknown service needs its own.
pub(crate) fn commands(v: &mut Validator, path: &str, reload: &ServiceReload) {
    // A templated service name is only known once rendered.
    let known = known_service(&reload.service).is_some() || reload.service.contains("{{");
    if !known && (reload.test.is_none() || reload.reload.is_none()) {
        v.value(
            &format!("{path}.service"),
            Code::StepFields,
            format!(
                "no built-in commands for service `{}`: give `test` and `reload`",
                reload.service
            ),
        );
    }
    for (field, argv) in [("test", &reload.test), ("reload", &reload.reload)] {
        if argv.as_ref().is_some_and(|a| a.is_empty()) {
            v.value(
                &format!("{path}.{field}"),
                Code::StepFields,
                format!("`{field}` must not be empty"),
            );
        }
    }
}

/// Planning: the reload, with the service name rendered.
pub fn plan<P: Planning>(a: &ServiceReload, p: &mut P) -> Result<P::Out> {
    let service = p.render(&a.service)?;
    p.reload(&ServiceReload {
        service,
        ..a.clone()
    })
}
