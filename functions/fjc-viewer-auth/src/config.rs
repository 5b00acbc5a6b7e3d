//! The sign-in function's settings, from its environment. Every bad value is refused
//! naming its variable.

use crate::access::GroupMap;
use crate::error::AuthError;
use crate::token::IdTokenRules;

/// How viewers sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    /// OIDC authorization code with PKCE: Cognito's managed login or another provider.
    Code {
        /// The authorization endpoint.
        authorize_url: String,
        /// The token endpoint.
        token_url: String,
        /// Where sign-out sends the browser to end the provider's session too (Cognito's
        /// `/logout`, given `client_id` and `logout_uri`); none = only our cookie ends.
        logout_url: Option<String>,
    },
    /// A form posting a user name and password to Cognito (`USER_PASSWORD_AUTH`).
    Password,
}

/// Everything the sign-in routes need besides their ports.
#[derive(Debug, Clone)]
pub struct SignInConfig {
    /// The flow.
    pub flow: Flow,
    /// ID-token checks (issuer, client id, groups claim).
    pub rules: IdTokenRules,
    /// Groups to namespaces.
    pub groups: GroupMap,
    /// Session lifetime in seconds (5 minutes to 12 hours; 1 hour by default).
    pub session_ttl: i64,
    /// The dashboard's origin (`https://dashboard.example.com`); empty = from the request's
    /// `X-Forwarded-Host` (set by the edge function) or `Host`.
    pub public_url: Option<String>,
    /// OAuth scopes asked for in the code flow.
    pub scopes: String,
}

/// The names of the sign-in function's environment variables.
pub mod vars {
    /// `code` (default) or `password`.
    pub const FLOW: &str = "FJC_AUTH_FLOW";
    /// The ID tokens' issuer.
    pub const ISSUER: &str = "FJC_AUTH_ISSUER";
    /// The OIDC client id.
    pub const CLIENT_ID: &str = "FJC_AUTH_CLIENT_ID";
    /// Secrets Manager secret holding the client secret (optional).
    pub const CLIENT_SECRET_ARN: &str = "FJC_AUTH_CLIENT_SECRET_ARN";
    /// The authorization endpoint (code flow).
    pub const AUTHORIZE_URL: &str = "FJC_AUTH_AUTHORIZE_URL";
    /// The token endpoint (code flow).
    pub const TOKEN_URL: &str = "FJC_AUTH_TOKEN_URL";
    /// The provider's logout endpoint (optional).
    pub const LOGOUT_URL: &str = "FJC_AUTH_LOGOUT_URL";
    /// The issuer's JWKS (default `<issuer>/.well-known/jwks.json`).
    pub const JWKS_URL: &str = "FJC_AUTH_JWKS_URL";
    /// Group → namespaces.
    pub const GROUPS: &str = "FJC_AUTH_GROUPS";
    /// The groups claim (default `cognito:groups`).
    pub const GROUPS_CLAIM: &str = "FJC_AUTH_GROUPS_CLAIM";
    /// Session lifetime, seconds.
    pub const SESSION_TTL: &str = "FJC_AUTH_SESSION_TTL";
    /// Secrets Manager secret of the session key.
    pub const SESSION_KEY_ARN: &str = "FJC_AUTH_SESSION_KEY_ARN";
    /// The dashboard's origin (optional).
    pub const PUBLIC_URL: &str = "FJC_AUTH_PUBLIC_URL";
    /// OAuth scopes (default `openid email profile`).
    pub const SCOPES: &str = "FJC_AUTH_SCOPES";
}

fn is_url(value: &str) -> bool {
    value.starts_with("https://") || value.starts_with("http://")
}

impl SignInConfig {
    /// Reads the settings through `env` (the process environment in the function).
    pub fn load(env: impl Fn(&str) -> Option<String>) -> Result<SignInConfig, AuthError> {
        let get = |name: &str| {
            env(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let required = |name: &'static str| {
            get(name).ok_or(AuthError::Config {
                name,
                reason: "must be set".into(),
            })
        };
        let url = |name: &'static str| -> Result<Option<String>, AuthError> {
            match get(name) {
                Some(v) if !is_url(&v) => Err(AuthError::Config {
                    name,
                    reason: format!("{v:?} is not an http(s) URL"),
                }),
                v => Ok(v),
            }
        };
        let flow = match get(vars::FLOW).as_deref().unwrap_or("code") {
            "code" => Flow::Code {
                authorize_url: url(vars::AUTHORIZE_URL)?.ok_or(AuthError::Config {
                    name: vars::AUTHORIZE_URL,
                    reason: "must be set for the code flow".into(),
                })?,
                token_url: url(vars::TOKEN_URL)?.ok_or(AuthError::Config {
                    name: vars::TOKEN_URL,
                    reason: "must be set for the code flow".into(),
                })?,
                logout_url: url(vars::LOGOUT_URL)?,
            },
            "password" => Flow::Password,
            other => {
                return Err(AuthError::Config {
                    name: vars::FLOW,
                    reason: format!("{other:?}: expected code or password"),
                });
            }
        };
        let issuer = required(vars::ISSUER)?;
        if !is_url(&issuer) {
            return Err(AuthError::Config {
                name: vars::ISSUER,
                reason: format!("{issuer:?} is not an http(s) URL"),
            });
        }
        let session_ttl = match get(vars::SESSION_TTL) {
            None => 3600,
            Some(v) => match v.parse::<i64>() {
                Ok(s) if (300..=43_200).contains(&s) => s,
                _ => {
                    return Err(AuthError::Config {
                        name: vars::SESSION_TTL,
                        reason: format!("{v:?}: seconds from 300 to 43200"),
                    });
                }
            },
        };
        let public_url = url(vars::PUBLIC_URL)?.map(|u| u.trim_end_matches('/').to_string());
        Ok(SignInConfig {
            flow,
            rules: IdTokenRules {
                issuer: issuer.trim_end_matches('/').to_string(),
                client_id: required(vars::CLIENT_ID)?,
                groups_claim: get(vars::GROUPS_CLAIM).unwrap_or_else(|| "cognito:groups".into()),
            },
            groups: GroupMap::parse(&required(vars::GROUPS)?)?,
            session_ttl,
            public_url,
            scopes: get(vars::SCOPES).unwrap_or_else(|| "openid email profile".into()),
        })
    }

    /// The JWKS address: `FJC_AUTH_JWKS_URL`, else the issuer's well-known one.
    pub fn jwks_url(&self, env: impl Fn(&str) -> Option<String>) -> String {
        env(vars::JWKS_URL)
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| format!("{}/.well-known/jwks.json", self.rules.issuer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const BASE: &[(&str, &str)] = &[
        (
            "FJC_AUTH_ISSUER",
            "https://cognito-idp.eu-west-1.amazonaws.com/pool/",
        ),
        ("FJC_AUTH_CLIENT_ID", "client"),
        ("FJC_AUTH_GROUPS", "admins=*"),
        (
            "FJC_AUTH_AUTHORIZE_URL",
            "https://x.auth.eu-west-1.amazoncognito.com/oauth2/authorize",
        ),
        (
            "FJC_AUTH_TOKEN_URL",
            "https://x.auth.eu-west-1.amazoncognito.com/oauth2/token",
        ),
    ];

    #[test]
    fn defaults_are_the_code_flow_an_hour_and_cognito_groups() {
        let c = SignInConfig::load(env(BASE)).unwrap();
        assert!(matches!(
            c.flow,
            Flow::Code {
                logout_url: None,
                ..
            }
        ));
        assert_eq!(c.session_ttl, 3600);
        assert_eq!(c.rules.groups_claim, "cognito:groups");
        assert_eq!(
            c.rules.issuer,
            "https://cognito-idp.eu-west-1.amazonaws.com/pool"
        );
        assert_eq!(
            c.jwks_url(env(&[])),
            "https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json"
        );
        let p = SignInConfig::load(env(&[
            BASE[0],
            BASE[1],
            BASE[2],
            ("FJC_AUTH_FLOW", "password"),
        ]))
        .unwrap();
        assert_eq!(p.flow, Flow::Password);
    }

    #[test]
    fn bad_settings_name_their_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("FJC_AUTH_ISSUER", "")], "FJC_AUTH_ISSUER: must be set"),
            (
                &[("FJC_AUTH_ISSUER", "cognito")],
                "FJC_AUTH_ISSUER: \"cognito\" is not an http(s) URL",
            ),
            (
                &[("FJC_AUTH_FLOW", "saml")],
                "FJC_AUTH_FLOW: \"saml\": expected code or password",
            ),
            (
                &[("FJC_AUTH_TOKEN_URL", "")],
                "FJC_AUTH_TOKEN_URL: must be set for the code flow",
            ),
            (
                &[("FJC_AUTH_SESSION_TTL", "60")],
                "FJC_AUTH_SESSION_TTL: \"60\": seconds from 300 to 43200",
            ),
            (
                &[("FJC_AUTH_GROUPS", "x")],
                "FJC_AUTH_GROUPS: \"x\": expected group=namespace",
            ),
            (
                &[("FJC_AUTH_PUBLIC_URL", "dash.example.com")],
                "FJC_AUTH_PUBLIC_URL: \"dash.example.com\"",
            ),
        ];
        for (over, want) in cases {
            let mut pairs: Vec<(&str, &str)> = BASE
                .iter()
                .filter(|(k, _)| !over.iter().any(|(o, _)| o == k))
                .copied()
                .collect();
            pairs.extend(over.iter().copied());
            let err = SignInConfig::load(env(&pairs)).unwrap_err().to_string();
            assert!(err.starts_with(want), "{over:?}: {err}");
        }
    }
}
