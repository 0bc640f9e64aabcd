//! Keeps secret param values out of everything shown or stored.

/// The replacement text for a secret.
pub const MASK: &str = "********";

#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

/// How many secrets, never which.
impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Redactor {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        // Longest first, so a secret containing another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    /// This redactor plus more secrets (an included runbook's).
    pub fn with(&self, more: impl IntoIterator<Item = String>) -> Redactor {
        Redactor::new(self.secrets.iter().cloned().chain(more))
    }

    /// Whether there is any secret to keep out.
    pub fn has_secrets(&self) -> bool {
        !self.secrets.is_empty()
    }

    pub fn redact(&self, text: &str) -> String {
        self.secrets
            .iter()
            .fold(text.to_string(), |t, s| t.replace(s.as_str(), MASK))
    }

    pub fn redact_all(&self, items: &[String]) -> Vec<String> {
        items.iter().map(|i| self.redact(i)).collect()
    }

    pub fn contains_secret(&self, text: &str) -> bool {
        self.secrets.iter().any(|s| text.contains(s.as_str()))
    }

    /// Like `contains_secret`, for secrets of at least `min` characters only: a very
    /// short secret turns up inside ordinary text by chance.
    pub fn contains_secret_of_len(&self, text: &str, min: usize) -> bool {
        self.secrets
            .iter()
            .any(|s| s.chars().count() >= min && text.contains(s.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_occurrence() {
        let r = Redactor::new(["s3cret".to_string(), String::new()]);
        assert_eq!(r.redact("a s3cret b s3cret"), "a ******** b ********");
        assert!(r.contains_secret("xs3cretx"));
        assert!(!format!("{r:?}").contains("s3cret"));
        assert!(r.contains_secret_of_len("xs3cretx", 6));
        assert!(!r.contains_secret_of_len("xs3cretx", 7));
    }
}
