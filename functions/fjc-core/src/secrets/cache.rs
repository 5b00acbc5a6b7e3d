//! A per-process (per Lambda container) cache in front of a secret source.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{SecretError, SecretSource, SecretValue};

/// Caches values for `ttl`; `invalidate` drops one at once (after a refusal).
#[derive(Debug)]
pub struct CachedSecrets<K> {
    inner: K,
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, SecretValue)>>,
}

impl<K> CachedSecrets<K> {
    /// A cache over `inner`.
    pub fn new(inner: K, ttl: Duration) -> CachedSecrets<K> {
        CachedSecrets {
            inner,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, id: &str) -> Option<SecretValue> {
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.get(id)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }
}

impl<K: SecretSource> SecretSource for CachedSecrets<K> {
    async fn get(&self, id: &str) -> Result<SecretValue, SecretError> {
        if let Some(v) = self.cached(id) {
            return Ok(v);
        }
        let value = self.inner.get(id).await?;
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(id.to_string(), (Instant::now(), value.clone()));
        }
        Ok(value)
    }

    fn invalidate(&self, id: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(id);
        }
        self.inner.invalidate(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A counting in-memory source (a test double for the cache's own logic).
    struct Counting(AtomicUsize);

    impl SecretSource for Counting {
        async fn get(&self, _id: &str) -> Result<SecretValue, SecretError> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            Ok(SecretValue::new(format!("v{n}")))
        }
    }

    #[tokio::test]
    async fn caches_until_ttl_or_invalidate() {
        let c = CachedSecrets::new(Counting(AtomicUsize::new(0)), Duration::from_secs(60));
        assert_eq!(c.get("a").await.unwrap().expose(), "v0");
        assert_eq!(c.get("a").await.unwrap().expose(), "v0");
        c.invalidate("a");
        assert_eq!(c.get("a").await.unwrap().expose(), "v1");
        let c = CachedSecrets::new(Counting(AtomicUsize::new(0)), Duration::ZERO);
        c.get("a").await.unwrap();
        assert_eq!(c.get("a").await.unwrap().expose(), "v1");
    }
}
