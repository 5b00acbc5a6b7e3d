//! Scrubbing resolved secret values out of text (error messages from Flink may
//! echo program arguments or configuration).

use super::SecretValue;

/// What replaces a secret value.
pub const MASK: &str = "***";

/// The secret values resolved for one submission.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    values: Vec<SecretValue>,
}

impl Redactor {
    /// Remembers a value to scrub (very short values are scrubbed too: a leak of a
    /// short secret is still a leak).
    pub fn add(&mut self, value: &SecretValue) {
        if !value.expose().is_empty() && !self.values.contains(value) {
            self.values.push(value.clone());
            // Longest first, so a value containing another is replaced whole.
            self.values
                .sort_by_key(|v| std::cmp::Reverse(v.expose().len()));
        }
    }

    /// Whether there is nothing to scrub.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every remembered value replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.values {
            if out.contains(v.expose()) {
                out = out.replace(v.expose(), MASK);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_every_value_longest_first() {
        let mut r = Redactor::default();
        r.add(&SecretValue::new("abc"));
        r.add(&SecretValue::new("abcdef"));
        r.add(&SecretValue::new(""));
        assert_eq!(r.scrub("x abcdef y abc z"), "x *** y *** z");
        assert!(format!("{r:?}").contains("redacted"));
        assert!(!format!("{r:?}").contains("abc"));
    }
}
