//! The identity provider's ID token: a JWT signed with one of the keys it publishes (its
//! JWKS), checked for signature, issuer, audience (our client id), expiry, `token_use`
//! (Cognito's `id`) and, in the code flow, the nonce we sent.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Map, Value};

use crate::error::AuthError;

/// Who the token says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The subject (stable user id).
    pub sub: String,
    /// A name to show: `email`, `cognito:username` or `preferred_username`, else `sub`.
    pub name: String,
    /// The groups claim's values.
    pub groups: Vec<String>,
}

/// Checks ID tokens for one issuer and client.
#[derive(Debug, Clone)]
pub struct IdTokenRules {
    /// The expected `iss`.
    pub issuer: String,
    /// The expected `aud` (our client id).
    pub client_id: String,
    /// The claim that lists groups (`cognito:groups` by default).
    pub groups_claim: String,
}

impl IdTokenRules {
    /// Verifies `token` against `keys`. `nonce`, when given, must equal the token's.
    pub fn verify(
        &self,
        token: &str,
        keys: &JwkSet,
        nonce: Option<&str>,
    ) -> Result<Identity, AuthError> {
        let bad = |m: String| AuthError::Token(m);
        let header = decode_header(token).map_err(|e| bad(format!("not a JWT: {e}")))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(bad(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let kid = header
            .kid
            .ok_or_else(|| bad("no kid in the header".into()))?;
        let jwk = keys
            .find(&kid)
            .ok_or_else(|| bad(format!("kid {kid:?} is not among the issuer's keys")))?;
        let key =
            DecodingKey::from_jwk(jwk).map_err(|e| bad(format!("key {kid:?} unusable: {e}")))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 60;
        let data = decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|e| bad(e.to_string()))?;
        let claims = data.claims;
        if let Some(use_) = claims.get("token_use").and_then(Value::as_str)
            && use_ != "id"
        {
            return Err(bad(format!("token_use is {use_:?}, not \"id\"")));
        }
        if let Some(want) = nonce
            && claims.get("nonce").and_then(Value::as_str) != Some(want)
        {
            return Err(bad("the nonce does not match this sign-in".into()));
        }
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_string);
        let sub = text("sub").ok_or_else(|| bad("no sub".into()))?;
        let name = text("email")
            .or_else(|| text("cognito:username"))
            .or_else(|| text("preferred_username"))
            .unwrap_or_else(|| sub.clone());
        let groups = match claims.get(&self.groups_claim) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            // Some providers send one string, space or comma separated.
            Some(Value::String(s)) => s
                .split([' ', ','])
                .filter(|g| !g.is_empty())
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        Ok(Identity { sub, name, groups })
    }
}
