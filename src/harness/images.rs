//! The image definitions of `tests/containers/` (built into the binary): the packages of
//! each suite, a setup script and its files, and what a fresh container runs first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::model::{Image, Suite};

/// One `tests/containers/NAME.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Debian packages, per suite.
    pub packages: BTreeMap<String, Vec<String>>,
    /// A script (path in the source tree) run once in the image after the packages.
    #[serde(default)]
    pub setup: Option<String>,
    /// Files the setup script needs (`VENDOR/` names the vendored sources).
    #[serde(default)]
    pub files: Vec<String>,
    /// Shell run in every fresh container before a scenario's setup (start daemons).
    #[serde(default)]
    pub start: Option<String>,
    /// Shell run in the container before it is torn down (stop daemons).
    #[serde(default)]
    pub stop: Option<String>,
    /// Logs whose tail a failure report shows.
    #[serde(default)]
    pub logs: Vec<String>,
}

/// The definition's text, as committed.
pub fn text(image: Image) -> &'static str {
    match image {
        Image::Exim => include_str!("../../tests/containers/exim.yaml"),
        Image::Postfix => include_str!("../../tests/containers/postfix.yaml"),
        Image::Qmail => include_str!("../../tests/containers/qmail.yaml"),
    }
}

pub fn definition(image: Image) -> Result<Definition> {
    serde_saphyr::from_str(text(image))
        .with_context(|| format!("tests/containers/{}.yaml", image.name()))
}

impl Definition {
    pub fn packages(&self, suite: Suite) -> Result<&[String]> {
        match self.packages.get(suite.name()) {
            Some(p) if !p.is_empty() => Ok(p),
            _ => bail!("the image definition has no packages for {}", suite.name()),
        }
    }
}

/// The key of a built image: the definition's text and this runbook's version.
pub fn hash(image: Image, suite: Suite) -> String {
    let key = format!(
        "{}\n{}\n{}",
        text(image),
        suite.name(),
        env!("CARGO_PKG_VERSION")
    );
    crate::digest::sha256(key.as_bytes())[..16].to_string()
}

/// The variable naming a prebuilt root of IMAGE for SUITE (as .ci/run exports it for the
/// real_* tests).
pub fn variable(image: Image, suite: Suite) -> String {
    format!(
        "RUNBOOK_{}_ROOTFS_{}",
        image.name().to_ascii_uppercase(),
        suite.name().to_ascii_uppercase()
    )
}

/// Where built images are cached: RUNBOOK_IMAGE_CACHE, else /var/cache/runbook/images.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("RUNBOOK_IMAGE_CACHE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/runbook/images"))
}

/// The source tree holding `scripts/make-rootfs` (RUNBOOK_SOURCE, else the current
/// directory), needed to build an image.
pub fn source_tree() -> Result<PathBuf> {
    let dir = std::env::var_os("RUNBOOK_SOURCE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    if !dir.join("scripts/make-rootfs").is_file() {
        bail!(
            "building an image needs scripts/make-rootfs: run from runbook's source tree or set RUNBOOK_SOURCE to it"
        );
    }
    Ok(dir)
}

/// A `VENDOR/...` file of a definition, found under RUNBOOK_VENDOR, else
/// ../shared/vendor of the source tree.
pub fn vendor_file(source: &Path, file: &str) -> Result<Vec<PathBuf>> {
    let Some(rest) = file.strip_prefix("VENDOR/") else {
        return Ok(vec![source.join(file)]);
    };
    let vendor = std::env::var_os("RUNBOOK_VENDOR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| source.join("../shared/vendor"));
    let pattern = vendor.join(rest);
    let found: Vec<PathBuf> = glob::glob(&pattern.to_string_lossy())
        .map(|g| g.flatten().collect())
        .unwrap_or_default();
    if found.is_empty() {
        bail!(
            "{}: no vendored sources found; set RUNBOOK_VENDOR",
            pattern.display()
        );
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_definition_reads_and_names_both_suites() {
        for image in Image::ALL {
            let d = definition(image).unwrap();
            for suite in Suite::ALL {
                assert!(d.packages(suite).is_ok(), "{image:?} {suite:?}");
            }
        }
    }
}
