//! The session cookie: minted by the sign-in function, checked by the CloudFront Function
//! `infra/edge/viewer-auth.js` on every request. The contract (the header of that file):
//!
//! - name `fjc_session`, value `v1.<kid>.<payload>.<sig>`;
//! - `payload`: base64url (no padding) of the JSON `{"sub", "ns": [...], "exp"}`, where `ns`
//!   is `["*"]` (every namespace) or namespace names, and `exp` epoch seconds;
//! - `sig`: base64url (no padding) of HMAC-SHA256(key, `v1.<kid>.<payload>`);
//! - the edge accepts only the current `kid` of its KeyValueStore, so rotating the key ends
//!   every older session.

use std::fmt;

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

use crate::access::Namespaces;
use crate::error::AuthError;

/// The session cookie's name.
pub const COOKIE: &str = "fjc_session";

/// A cookie the dashboard reads to offer a namespace picker: the session's namespaces
/// joined by `.` (`*` for all). Not `HttpOnly` on purpose, and never trusted: the edge
/// decides from the signed session alone.
pub const NAMESPACES_COOKIE: &str = "fjc_namespaces";

/// An HMAC key and its id. Its bytes never appear in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey {
    kid: String,
    key: [u8; 32],
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKey")
            .field("kid", &self.kid)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// The stored form of a key (the Secrets Manager secret, the KeyValueStore values):
/// `{"kid": "...", "key": "<standard base64 of 32 bytes>"}`.
#[derive(Serialize, Deserialize)]
struct Stored {
    kid: String,
    key: String,
}

impl SessionKey {
    /// A key from its id and bytes; the id must be 1 to 64 of `A-Za-z0-9_-` (it sits
    /// between the cookie's dots).
    pub fn new(kid: impl Into<String>, key: [u8; 32]) -> Result<SessionKey, AuthError> {
        let kid = kid.into();
        let ok = !kid.is_empty()
            && kid.len() <= 64
            && kid
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(AuthError::Key(format!(
                "kid {kid:?}: must be 1 to 64 of A-Z a-z 0-9 - _"
            )));
        }
        Ok(SessionKey { kid, key })
    }

    /// A fresh random key (the operating system's CSPRNG).
    pub fn generate(kid: impl Into<String>) -> Result<SessionKey, AuthError> {
        let mut key = [0u8; 32];
        aws_lc_rs::rand::fill(&mut key)
            .map_err(|_| AuthError::Key("no randomness from the system".into()))?;
        SessionKey::new(kid, key)
    }

    /// The key's id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key as the KeyValueStore holds it: standard base64.
    pub fn key_base64(&self) -> String {
        STANDARD.encode(self.key)
    }

    /// Parses the stored JSON form; the error never contains the value.
    pub fn from_json(text: &str) -> Result<SessionKey, AuthError> {
        let stored: Stored = serde_json::from_str(text).map_err(|e| {
            AuthError::Key(format!(
                "not {{\"kid\", \"key\"}} JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let bytes = STANDARD
            .decode(stored.key.as_bytes())
            .map_err(|_| AuthError::Key("key: not standard base64".into()))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| AuthError::Key("key: must decode to 32 bytes".into()))?;
        SessionKey::new(stored.kid, key)
    }

    /// The stored JSON form.
    pub fn to_json(&self) -> String {
        serde_json::json!({ "kid": self.kid, "key": self.key_base64() }).to_string()
    }

    fn sign(&self, message: &str) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.key);
        URL_SAFE_NO_PAD.encode(hmac::sign(&key, message.as_bytes()).as_ref())
    }
}

/// Who a session is for and what it may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The identity provider's subject.
    pub sub: String,
    /// `["*"]` or namespace names.
    pub ns: Vec<String>,
    /// Expiry, epoch seconds.
    pub exp: i64,
}

impl Claims {
    /// A session for `sub` seeing `namespaces`, expiring `ttl_seconds` after `now`.
    pub fn new(sub: &str, namespaces: &Namespaces, now: i64, ttl_seconds: i64) -> Claims {
        Claims {
            sub: sub.to_string(),
            ns: namespaces.to_claim(),
            exp: now + ttl_seconds,
        }
    }
}

/// The cookie value for `claims`, signed with `key`.
pub fn mint(key: &SessionKey, claims: &Claims) -> String {
    // Claims serialize infallibly (strings and an integer).
    let json = serde_json::to_vec(claims).unwrap_or_default();
    let signed = format!("v1.{}.{}", key.kid, URL_SAFE_NO_PAD.encode(json));
    let sig = key.sign(&signed);
    format!("{signed}.{sig}")
}

/// Why a cookie value is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not `v1.<kid>.<payload>.<sig>`, or a bad payload.
    Malformed,
    /// Signed by another key id (an old key after rotation).
    OtherKey,
    /// The signature does not match.
    Tampered,
    /// Past its `exp`.
    Expired,
}

/// Checks a cookie value the way the edge does (the Rust side's mirror, used by the
/// tests to check what the function mints): the current key's id, the signature in constant time, then the expiry.
pub fn verify(key: &SessionKey, value: &str, now: i64) -> Result<Claims, Refusal> {
    let parts: Vec<&str> = value.split('.').collect();
    let [version, kid, payload, sig] = parts[..] else {
        return Err(Refusal::Malformed);
    };
    if version != "v1" {
        return Err(Refusal::Malformed);
    }
    if kid != key.kid {
        return Err(Refusal::OtherKey);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(sig.as_bytes())
        .map_err(|_| Refusal::Malformed)?;
    let hkey = hmac::Key::new(hmac::HMAC_SHA256, &key.key);
    hmac::verify(&hkey, format!("v1.{kid}.{payload}").as_bytes(), &signature)
        .map_err(|_| Refusal::Tampered)?;
    let json = URL_SAFE_NO_PAD
        .decode(payload.as_bytes())
        .map_err(|_| Refusal::Malformed)?;
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| Refusal::Malformed)?;
    if claims.exp <= now {
        return Err(Refusal::Expired);
    }
    Ok(claims)
}

/// Attributes of the session cookie. `secure` is false only for plain-HTTP local runs.
pub fn set_cookie(value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The header that ends the session in the browser.
pub fn clear_cookie(secure: bool) -> String {
    set_cookie("", 0, secure)
}

/// The namespaces cookie for a session's `ns` claim, living as long as the session.
pub fn namespaces_cookie(ns: &[String], max_age: i64, secure: bool) -> String {
    format!(
        "{NAMESPACES_COOKIE}={}; Path=/; Max-Age={max_age}; SameSite=Lax{}",
        ns.join("."),
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests;
