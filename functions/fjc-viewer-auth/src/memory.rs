//! In-memory ports, fakes named as such: for unit tests and for the contract tests their
//! real adapters pass too.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use jsonwebtoken::jwk::JwkSet;

use crate::error::AuthError;
use crate::ports::{EdgeKeys, IdentityProvider, SecretVersions, SessionKeys};
use crate::session::SessionKey;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A fake secret: versions with stages.
#[derive(Debug, Default)]
pub struct MemorySecret {
    inner: Mutex<(BTreeMap<String, String>, BTreeMap<String, String>)>, // values, stage -> version
}

impl MemorySecret {
    /// A secret whose `AWSCURRENT` version `version` holds `value`.
    pub fn with_current(version: &str, value: &str) -> MemorySecret {
        let s = MemorySecret::default();
        {
            let mut g = lock(&s.inner);
            g.0.insert(version.into(), value.into());
            g.1.insert("AWSCURRENT".into(), version.into());
        }
        s
    }
}

#[async_trait]
impl SecretVersions for MemorySecret {
    async fn version_in(&self, stage: &str) -> Result<Option<String>, AuthError> {
        Ok(lock(&self.inner).1.get(stage).cloned())
    }
    async fn value(&self, version: &str) -> Result<Option<String>, AuthError> {
        Ok(lock(&self.inner).0.get(version).cloned())
    }
    async fn put_pending(&self, version: &str, value: &str) -> Result<(), AuthError> {
        let mut g = lock(&self.inner);
        if let Some(old) = g.0.get(version)
            && old != value
        {
            return Err(AuthError::upstream(
                "secrets manager",
                format!("version {version} exists with another value"),
                false,
            ));
        }
        g.0.insert(version.into(), value.into());
        g.1.insert("AWSPENDING".into(), version.into());
        Ok(())
    }
    async fn make_current(&self, version: &str, from: Option<&str>) -> Result<(), AuthError> {
        let mut g = lock(&self.inner);
        let held = g.1.get("AWSCURRENT").cloned();
        if held.as_deref() != from {
            return Err(AuthError::upstream(
                "secrets manager",
                "AWSCURRENT moved meanwhile",
                false,
            ));
        }
        if let Some(old) = held {
            g.1.insert("AWSPREVIOUS".into(), old);
        }
        g.1.insert("AWSCURRENT".into(), version.into());
        if g.1.get("AWSPENDING").map(String::as_str) == Some(version) {
            g.1.remove("AWSPENDING");
        }
        Ok(())
    }
}

/// A fake KeyValueStore holding the edge's key; can fail its next write.
#[derive(Debug, Default)]
pub struct MemoryEdgeKeys {
    inner: Mutex<(Option<SessionKey>, u32, bool)>, // key, publishes, fail next
}

impl MemoryEdgeKeys {
    /// A store holding `key`.
    pub fn with(key: &SessionKey) -> MemoryEdgeKeys {
        MemoryEdgeKeys {
            inner: Mutex::new((Some(key.clone()), 0, false)),
        }
    }
    /// The key held.
    pub fn key(&self) -> Option<SessionKey> {
        lock(&self.inner).0.clone()
    }
    /// How many publishes succeeded.
    pub fn publishes(&self) -> u32 {
        lock(&self.inner).1
    }
    /// The next publish fails as a throttled call would.
    pub fn fail_next(&self) {
        lock(&self.inner).2 = true;
    }
}

#[async_trait]
impl EdgeKeys for MemoryEdgeKeys {
    async fn publish(&self, key: &SessionKey) -> Result<(), AuthError> {
        let mut g = lock(&self.inner);
        if std::mem::take(&mut g.2) {
            return Err(AuthError::upstream(
                "key value store",
                "throttled (injected)",
                true,
            ));
        }
        g.0 = Some(key.clone());
        g.1 += 1;
        Ok(())
    }
    async fn current_kid(&self) -> Result<Option<String>, AuthError> {
        Ok(lock(&self.inner).0.as_ref().map(|k| k.kid().to_string()))
    }
}

/// A fixed session key.
#[derive(Debug)]
pub struct FixedKey(pub SessionKey);

#[async_trait]
impl SessionKeys for FixedKey {
    async fn current(&self) -> Result<SessionKey, AuthError> {
        Ok(self.0.clone())
    }
}

/// A fake identity provider: answers codes and passwords with ID tokens given to it, and
/// records what it was asked.
#[derive(Debug)]
pub struct MemoryProvider {
    /// The issuer's keys.
    pub keys: JwkSet,
    /// code → (expected verifier, ID token).
    pub codes: Mutex<BTreeMap<String, (String, String)>>,
    /// (user, password) → ID token.
    pub passwords: BTreeMap<(String, String), String>,
    /// Redirect URIs the exchanges named.
    pub redirects: Mutex<Vec<String>>,
}

impl MemoryProvider {
    /// A provider publishing `keys`, knowing no code or user yet.
    pub fn new(keys: JwkSet) -> MemoryProvider {
        MemoryProvider {
            keys,
            codes: Mutex::new(BTreeMap::new()),
            passwords: BTreeMap::new(),
            redirects: Mutex::new(Vec::new()),
        }
    }
}

#[async_trait]
impl IdentityProvider for MemoryProvider {
    async fn exchange_code(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<String, AuthError> {
        lock(&self.redirects).push(redirect_uri.to_string());
        // A code is good once, and only with the verifier of its challenge.
        match lock(&self.codes).remove(code) {
            Some((want, token)) if want == verifier => Ok(token),
            Some(_) => Err(AuthError::Refused(
                "invalid_grant: PKCE verification failed".into(),
            )),
            None => Err(AuthError::Refused("invalid_grant".into())),
        }
    }
    async fn password(&self, username: &str, password: &str) -> Result<String, AuthError> {
        self.passwords
            .get(&(username.to_string(), password.to_string()))
            .cloned()
            .ok_or_else(|| AuthError::Refused("Incorrect username or password.".into()))
    }
    async fn keys(&self, _refresh: bool) -> Result<JwkSet, AuthError> {
        Ok(self.keys.clone())
    }
}
