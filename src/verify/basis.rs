//! What verify compares the host with: the facts the plan was made from and the config
//! tests of the services the run reloads, saved in the run's directory at apply.

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::apply::state_dir::Dir;
use crate::plan::types::{Plan, ReloadWork, Work};

const FILE: &str = "verify-basis.json";

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Basis {
    /// The fact groups as planned, by group name.
    pub facts: Map<String, Value>,
    /// The services whose reload the run did, with their config test.
    pub config_tests: Vec<ReloadWork>,
    /// How the sites of the scripts found answered before the apply (`sites_answer`).
    #[serde(default)]
    pub sites: Vec<super::site::Answer>,
    /// Where the MTA's log ended when the run began (`arrival_rate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<super::arrivals::LogMark>,
}

impl Basis {
    /// The basis of a plan applied: its facts, and the reloads it did (handlers that
    /// fired, `service_reload` steps chosen).
    pub fn of(plan: &Plan, facts: Map<String, Value>, sites: Vec<super::site::Answer>) -> Basis {
        let mut config_tests: Vec<ReloadWork> = plan
            .handlers
            .iter()
            .filter(|h| h.fires && h.installed && !h.test.is_empty())
            .map(|h| ReloadWork {
                service: h.service.clone(),
                test: h.test.clone(),
                reload: h.reload.clone(),
                running: h.running.clone(),
                installed: h.installed,
            })
            .collect();
        for step in plan.steps.iter().filter(|s| s.chosen) {
            for work in &step.work {
                if let Work::Reload(r) = work
                    && r.installed
                    && !r.test.is_empty()
                    && !config_tests.contains(r)
                {
                    config_tests.push(r.clone());
                }
            }
        }
        Basis {
            facts,
            config_tests,
            sites,
            log: None,
        }
    }

    pub fn save(&self, run_dir: &Dir) -> Result<()> {
        run_dir.replace(FILE, &serde_json::to_vec_pretty(self)?)
    }

    /// The basis saved with a run; a run applied before verify existed has none: its
    /// `no_new_mail` checks fail, saying so, and the others run as usual.
    pub fn load(run_dir: &Dir) -> Result<Basis> {
        match run_dir.read(FILE)? {
            None => Ok(Basis::default()),
            Some(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{} of the run is not valid", FILE)),
        }
    }
}
