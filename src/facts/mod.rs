//! Facts about the host, read without changing anything.

pub mod account;
pub mod activity;
pub mod apache_files;
pub mod exim_spool;
pub mod failure_class;
pub mod journal;
pub mod locate;
mod log_ranges;
pub mod logs;
pub mod message;
pub mod mta;
pub mod php;
pub mod php_paths;
pub mod postfix_config;
pub mod postfix_queue;
pub mod posts;
pub mod processes;
pub mod qmail_queue;
pub mod queue;
mod queue_file;
pub mod script_class;
pub mod spec;
pub mod web;

use std::cell::OnceCell;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::host::Host;
use mta::Mta;

/// Fact groups. Each is gathered on first use, so a runbook pays only for what it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Group {
    /// Which mail server the host runs, and where its pieces are
    Mta,
    /// The hosting panel
    Panel,
    /// What sits in the mail queue and who put it there
    Queue,
    /// Delivery failures by class and arrivals by user, from the MTA's log
    Log,
    /// Every php.ini and its mail settings
    Php,
    /// The web server, Apache's config files and virtual hosts
    Web,
    /// POSTs in the web access logs around failed deliveries
    Posts,
    /// Connections to remote port 25 and their processes
    Activity,
    /// SSH sessions against utmp logins
    Sessions,
    /// postfix's main.cf: relaying (open relay), HELO name, DKIM signing, greylisting
    Postfix,
}

impl Group {
    /// Every group, in the order `runbook facts` prints them.
    pub const ALL: [Group; 10] = [
        Group::Mta,
        Group::Panel,
        Group::Queue,
        Group::Log,
        Group::Php,
        Group::Web,
        Group::Posts,
        Group::Activity,
        Group::Sessions,
        Group::Postfix,
    ];

    /// Its name in fact names (`queue` of `queue.total`) and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Group::Mta => "mta",
            Group::Panel => "panel",
            Group::Queue => "queue",
            Group::Log => "log",
            Group::Php => "php",
            Group::Web => "web",
            Group::Posts => "posts",
            Group::Activity => "activity",
            Group::Sessions => "sessions",
            Group::Postfix => "postfix",
        }
    }

    pub fn from_name(name: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.name() == name)
    }

    /// The JSON Schema of the group's value: its type's, so the catalogue lint checks
    /// runbooks against cannot drift from what is gathered.
    pub fn schema(self) -> schemars::Schema {
        match self {
            Group::Mta => schemars::schema_for!(mta::MtaFacts),
            Group::Panel => schemars::schema_for!(mta::PanelFact),
            Group::Queue => schemars::schema_for!(queue::QueueFacts),
            Group::Log => schemars::schema_for!(logs::LogFacts),
            Group::Php => schemars::schema_for!(php::PhpFacts),
            Group::Web => schemars::schema_for!(web::WebFacts),
            Group::Posts => schemars::schema_for!(posts::PostsFacts),
            Group::Activity => schemars::schema_for!(activity::ActivityFacts),
            Group::Sessions => schemars::schema_for!(activity::SessionsFacts),
            Group::Postfix => schemars::schema_for!(postfix_config::PostfixFacts),
        }
    }

    fn index(self) -> usize {
        Group::ALL.iter().position(|g| *g == self).unwrap_or(0)
    }
}

/// A file a fact group could not read or parse, and why (never fatal).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UnreadableFile {
    pub file: String,
    pub reason: String,
}

/// Files the facts read instead of the host's own: the logs a provider's block notice
/// attaches (a runbook's `facts_from`). Host paths.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The mail log: the `log` group and the failure times of `posts` come from it.
    pub mail_log: Option<String>,
    /// Access logs `posts` reads instead of the web server's.
    pub access_logs: Option<Vec<String>>,
}

/// The host's facts, gathered lazily by group.
#[derive(Debug)]
pub struct Facts {
    host: Host,
    sources: Sources,
    groups: [OnceCell<Value>; Group::ALL.len()],
}

impl Facts {
    pub fn new(host: &Host) -> Facts {
        Facts::with_sources(host, Sources::default())
    }

    pub fn with_sources(host: &Host, sources: Sources) -> Facts {
        Facts {
            host: host.clone(),
            sources,
            groups: Default::default(),
        }
    }

    /// The value of a dotted fact name (`php.add_x_header`).
    pub fn get(&self, name: &str) -> Option<&Value> {
        let mut parts = name.split('.');
        let group = self.group(Group::from_name(parts.next()?)?);
        parts.try_fold(group, |v, k| v.get(k))
    }

    /// A whole group, gathered now if it was not yet.
    pub fn group(&self, group: Group) -> &Value {
        self.groups[group.index()].get_or_init(|| self.gather(group))
    }

    /// The groups gathered so far (the facts a plan was made from), as one JSON object.
    pub fn gathered(&self) -> Map<String, Value> {
        Group::ALL
            .into_iter()
            .filter_map(|g| Some((g.name().to_string(), self.groups[g.index()].get()?.clone())))
            .collect()
    }

    /// The given groups (all when empty) as one JSON object.
    pub fn tree(&self, only: &[Group]) -> Map<String, Value> {
        Group::ALL
            .into_iter()
            .filter(|g| only.is_empty() || only.contains(g))
            .map(|g| (g.name().to_string(), self.group(g).clone()))
            .collect()
    }
}

impl Facts {
    fn gather(&self, group: Group) -> Value {
        let host = &self.host;
        match group {
            Group::Mta => to_value(mta::gather(host)),
            Group::Panel => to_value(mta::panel(host)),
            Group::Queue => to_value(self.queue()),
            Group::Log => to_value(logs::gather(
                host,
                self.mta(),
                self.sources.mail_log.as_deref(),
            )),
            Group::Php => to_value(php::gather(host)),
            Group::Web => to_value(web::gather(host)),
            Group::Posts => {
                let given = self.sources.access_logs.clone();
                let logs: Vec<String> = given.unwrap_or_else(|| {
                    self.get("web.access_logs")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default()
                });
                to_value(posts::gather(
                    host,
                    self.mta(),
                    &logs,
                    self.sources.mail_log.as_deref(),
                ))
            }
            Group::Activity => to_value(activity::activity(host)),
            Group::Sessions => to_value(activity::sessions(host)),
            Group::Postfix => to_value(postfix_config::gather(host)),
        }
    }

    /// (DocumentRoot, ServerName) of every virtual host that has both.
    fn sites(&self) -> Vec<(String, String)> {
        let vhosts = self.get("web.vhosts").and_then(Value::as_array);
        vhosts
            .into_iter()
            .flatten()
            .filter_map(|h| {
                let root = h["document_root"].as_str()?;
                let name = h["names"].get(0)?.as_str()?;
                Some((root.trim_end_matches('/').to_string(), name.to_string()))
            })
            .collect()
    }

    /// The MTA the host runs, if runbook knows it.
    fn mta(&self) -> Option<&'static dyn Mta> {
        self.get("mta.kind")
            .and_then(Value::as_str)
            .and_then(mta::by_name)
    }

    /// The queue of whichever MTA the host runs.
    fn queue(&self) -> queue::QueueFacts {
        let spool = self
            .get("mta.spool")
            .and_then(Value::as_str)
            .and_then(|s| self.host.resolve(s).ok());
        let passwd = logs::Passwd::read(&self.host);
        let kind = self.get("mta.kind").and_then(Value::as_str);
        let mut queue = match (kind, self.mta(), spool) {
            (_, Some(mta), Some(spool)) => mta.read_queue(&spool, &passwd),
            (None, _, _) => queue::QueueFacts::error("no mail server found".into()),
            (Some(kind), _, _) => {
                queue::QueueFacts::error(format!("no {kind} queue directory found"))
            }
        };
        // Where the sending scripts are: under the sites' document roots and /var/www, /home.
        let roots: Vec<String> = self
            .get("web.vhosts")
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(|h| h["document_root"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        // Readers name the files they could not read by their real paths; people and
        // runbooks know them by the host's.
        for file in queue.unreadable.iter_mut().flatten() {
            file.file = self.host.host_path(std::path::Path::new(&file.file));
        }
        if let Some(scripts) = &mut queue.top_scripts {
            locate::add_locations(&self.host, scripts, &roots, &passwd);
            let sites = self.sites();
            for script in scripts.iter_mut() {
                script.site = script
                    .locations
                    .first()
                    .and_then(|l| locate::site_of(&l.path, &sites));
            }
        }
        queue
    }
}

/// A group's value as runbooks read it. Our types have string keys and no
/// non-finite numbers, so serializing cannot fail.
fn to_value(group: impl Serialize) -> Value {
    serde_json::to_value(group).unwrap_or(Value::Null)
}
