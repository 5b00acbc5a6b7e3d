//! `secret://<secret-id>#<key>` references in spec `args` and `env_vars`.

use super::{SecretError, SecretSource, SecretValue, json_fields};

/// The scheme prefix of a secret reference.
pub const SCHEME: &str = "secret://";

/// A parsed reference: the secret's id and, optionally, a key of its JSON object
/// (without a key the whole secret string is used).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    /// Secret id or ARN.
    pub id: String,
    /// Field of the secret's JSON object.
    pub key: Option<String>,
}

/// Whether a value is a secret reference.
pub fn has_secret_refs<'a>(mut values: impl Iterator<Item = &'a str>) -> bool {
    values.any(|v| v.starts_with(SCHEME))
}

impl SecretRef {
    /// `None` when `value` is not a reference; an error when it is one but malformed.
    pub fn parse(value: &str) -> Result<Option<SecretRef>, SecretError> {
        let Some(rest) = value.strip_prefix(SCHEME) else {
            return Ok(None);
        };
        let bad = |reason: &str| SecretError::BadReference {
            reference: value.to_string(),
            reason: reason.to_string(),
        };
        let (id, key) = match rest.split_once('#') {
            Some((id, key)) => (id, Some(key)),
            None => (rest, None),
        };
        if id.is_empty() {
            return Err(bad("the secret id is empty (expected secret://<id>#<key>)"));
        }
        if id.len() > 2048 || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("the secret id must not contain whitespace"));
        }
        if key.is_some_and(str::is_empty) {
            return Err(bad("the key after # is empty"));
        }
        Ok(Some(SecretRef {
            id: id.to_string(),
            key: key.map(str::to_string),
        }))
    }

    /// The referenced value: the whole secret string, or one string/number/bool
    /// field of its JSON object.
    pub async fn resolve<K: SecretSource>(&self, secrets: &K) -> Result<SecretValue, SecretError> {
        let value = secrets.get(&self.id).await?;
        let Some(key) = &self.key else {
            return Ok(value);
        };
        let fields = json_fields(&self.id, &value)?;
        match fields.get(key) {
            Some(serde_json::Value::String(s)) => Ok(SecretValue::new(s.clone())),
            Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                Ok(SecretValue::new(v.to_string()))
            }
            Some(_) => Err(SecretError::Malformed {
                id: self.id.clone(),
                reason: format!("key {key:?} is not a string, number or boolean"),
            }),
            None => Err(SecretError::NotFound {
                id: self.id.clone(),
                detail: format!(": no key {key:?}"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        assert_eq!(SecretRef::parse("plain").unwrap(), None);
        assert_eq!(
            SecretRef::parse("secret://db/creds#password").unwrap(),
            Some(SecretRef {
                id: "db/creds".into(),
                key: Some("password".into())
            })
        );
        assert_eq!(
            SecretRef::parse("secret://arn:aws:secretsmanager:eu-west-1:1:secret:x").unwrap(),
            Some(SecretRef {
                id: "arn:aws:secretsmanager:eu-west-1:1:secret:x".into(),
                key: None
            })
        );
        for bad in ["secret://", "secret://#k", "secret://a b#k", "secret://a#"] {
            let e = SecretRef::parse(bad).unwrap_err().to_string();
            assert!(e.contains("secret reference"), "{bad}: {e}");
        }
    }
}
