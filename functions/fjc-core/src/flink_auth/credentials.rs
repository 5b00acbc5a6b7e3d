//! The per-cluster credentials secret: a JSON object with a `type`.
//!
//! ```json
//! {"type": "none" | "basic" | "bearer" | "mtls",
//!  "username": "...", "password": "...",          // basic
//!  "token": "...",                                 // bearer
//!  "client_cert": "-----BEGIN CERTIFICATE-----…",  // mtls (PEM)
//!  "client_key": "-----BEGIN PRIVATE KEY-----…",   // mtls (PEM, PKCS#8 / RSA / EC)
//!  "ca_bundle": "-----BEGIN CERTIFICATE-----…"}    // any type: extra trusted roots
//! ```

use fjc_flink::rest::FlinkAuth;

use crate::secrets::{SecretError, SecretValue, json_fields};

/// Credentials for one cluster, ready for the REST client.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ClusterCredentials {
    /// HTTP authentication.
    pub auth: FlinkAuth,
    /// Client certificate and key, PEM, for mutual TLS.
    pub client_identity_pem: Option<String>,
    /// Extra CA certificates, PEM.
    pub ca_bundle_pem: Option<String>,
}

impl std::fmt::Debug for ClusterCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterCredentials")
            .field("auth", &self.auth)
            .field("mtls", &self.client_identity_pem.is_some())
            .field("ca_bundle", &self.ca_bundle_pem.is_some())
            .finish()
    }
}

const FIELDS: [&str; 7] = [
    "type",
    "username",
    "password",
    "token",
    "client_cert",
    "client_key",
    "ca_bundle",
];

/// Parses the secret. Errors name fields, never values.
pub fn parse_credentials(id: &str, value: &SecretValue) -> Result<ClusterCredentials, SecretError> {
    let fields = json_fields(id, value)?;
    let bad = |reason: String| SecretError::Malformed {
        id: id.to_string(),
        reason,
    };
    if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(bad(format!(
            "unknown field {unknown:?} (expected {})",
            FIELDS.join(", ")
        )));
    }
    let text = |name: &str| -> Result<Option<String>, SecretError> {
        match fields.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Some(_) => Err(bad(format!("{name}: must be a non-empty string"))),
        }
    };
    let required = |name: &str, kind: &str| -> Result<String, SecretError> {
        text(name)?.ok_or_else(|| bad(format!("{name}: required when type is {kind}")))
    };
    let kind =
        text("type")?.ok_or_else(|| bad("type: required (none, basic, bearer, mtls)".into()))?;
    let mut creds = ClusterCredentials {
        ca_bundle_pem: text("ca_bundle")?,
        ..Default::default()
    };
    match kind.as_str() {
        "none" => {}
        "basic" => {
            creds.auth = FlinkAuth::Basic {
                username: required("username", "basic")?,
                password: required("password", "basic")?,
            }
        }
        "bearer" => {
            creds.auth = FlinkAuth::Bearer {
                token: required("token", "bearer")?,
            }
        }
        "mtls" => {
            let cert = required("client_cert", "mtls")?;
            let key = required("client_key", "mtls")?;
            if !cert.contains("BEGIN CERTIFICATE") {
                return Err(bad("client_cert: expected a PEM certificate".into()));
            }
            if !key.contains("PRIVATE KEY") {
                return Err(bad("client_key: expected a PEM private key".into()));
            }
            creds.client_identity_pem = Some(format!("{}\n{}\n", key.trim(), cert.trim()));
        }
        other => {
            return Err(bad(format!(
                "type: {other:?} is not one of none, basic, bearer, mtls"
            )));
        }
    }
    Ok(creds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<ClusterCredentials, SecretError> {
        parse_credentials("flink/prod", &SecretValue::new(json))
    }

    #[test]
    fn parses_each_type() {
        assert_eq!(
            parse(r#"{"type":"none"}"#).unwrap(),
            ClusterCredentials::default()
        );
        let c = parse(r#"{"type":"basic","username":"u","password":"p-secret"}"#).unwrap();
        assert_eq!(
            c.auth,
            FlinkAuth::Basic {
                username: "u".into(),
                password: "p-secret".into()
            }
        );
        assert!(!format!("{c:?}").contains("p-secret"));
        let c = parse(
            r#"{"type":"bearer","token":"t-secret","ca_bundle":"-----BEGIN CERTIFICATE-----x"}"#,
        )
        .unwrap();
        assert!(c.ca_bundle_pem.is_some());
        assert!(!format!("{c:?}").contains("t-secret"));
        let c = parse(
            r#"{"type":"mtls","client_cert":"-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----","client_key":"-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----"}"#,
        )
        .unwrap();
        let pem = c.client_identity_pem.clone().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(pem.contains("BEGIN CERTIFICATE"));
        assert!(!format!("{c:?}").contains("PRIVATE"));
    }

    #[test]
    fn errors_name_fields_not_values() {
        for (json, want) in [
            ("not json p-secret", "not valid JSON"),
            ("[1]", "expected a JSON object"),
            (r#"{"username":"u"}"#, "type: required"),
            (r#"{"type":"kerberos"}"#, "type: \"kerberos\""),
            (r#"{"type":"basic","username":"u"}"#, "password: required"),
            (r#"{"type":"bearer","token":5}"#, "token: must be"),
            (
                r#"{"type":"mtls","client_cert":"p-secret","client_key":"k"}"#,
                "client_cert: expected",
            ),
            (
                r#"{"type":"none","pasword":"p-secret"}"#,
                "unknown field \"pasword\"",
            ),
        ] {
            let e = parse(json).unwrap_err().to_string();
            assert!(e.contains(want), "{json}: {e}");
            assert!(e.contains("flink/prod"), "{e}");
            assert!(!e.contains("p-secret"), "{e}");
        }
    }
}
