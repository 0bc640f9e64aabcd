//! Which engine runs the scenarios: the one asked for, or with `auto` docker if a daemon
//! answers, else podman, else namespace; and, when none can run, what is missing.

use anyhow::{Result, bail};

use super::engine::Engine;
use super::namespace::{self, Namespace};
use super::oci::{Kind, Oci};
use crate::cli::TestEngine;

pub fn engine(
    asked: TestEngine,
    engine_flags: Option<&str>,
    run_flags: Option<&str>,
) -> Result<Box<dyn Engine>> {
    let oci = |kind| Oci::new(kind, engine_flags, run_flags);
    let mut missing = Vec::new();
    for kind in [Kind::Docker, Kind::Podman] {
        let wanted = match asked {
            TestEngine::Docker => kind == Kind::Docker,
            TestEngine::Podman => kind == Kind::Podman,
            TestEngine::Auto => true,
            TestEngine::Namespace => false,
        };
        if !wanted {
            continue;
        }
        let engine = oci(kind)?;
        let lacks = engine.missing();
        if lacks.is_empty() {
            return Ok(Box::new(engine));
        }
        missing.push((kind.name(), lacks));
    }
    if matches!(asked, TestEngine::Auto | TestEngine::Namespace) {
        let lacks = namespace::missing();
        if lacks.is_empty() {
            return Ok(Box::new(Namespace));
        }
        missing.push(("namespace", lacks));
    }
    let text: Vec<String> = missing
        .iter()
        .map(|(name, lacks)| format!("{name}: {}", lacks.join("; ")))
        .collect();
    bail!(
        "no container engine can run here{}; missing:\n  {}",
        if asked == TestEngine::Auto {
            " (--engine auto tried docker, podman, namespace)"
        } else {
            ""
        },
        text.join("\n  ")
    )
}
