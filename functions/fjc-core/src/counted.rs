//! A [`FlinkApi`] decorator that counts calls, split into reads and writes, so a
//! cycle report can prove that a steady-state cycle wrote nothing to Flink.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use fjc_flink::{FlinkApi, FlinkError};

/// Flink call counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlinkStats {
    /// GET calls.
    pub reads: u64,
    /// Upload, run, cancel, delete calls.
    pub writes: u64,
}

/// Counts calls to the wrapped client, and failed ones by error class.
#[derive(Debug, Clone)]
pub struct Counted<F> {
    inner: F,
    reads: Arc<AtomicU64>,
    writes: Arc<AtomicU64>,
    errors: Arc<Mutex<BTreeMap<&'static str, u64>>>,
}

impl<F> Counted<F> {
    /// Wraps a client.
    pub fn new(inner: F) -> Self {
        Counted {
            inner,
            reads: Arc::default(),
            writes: Arc::default(),
            errors: Arc::default(),
        }
    }

    /// Failed calls so far, by [`FlinkError::kind`].
    pub fn errors(&self) -> BTreeMap<&'static str, u64> {
        self.errors.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// Counts the error of a finished call.
    fn seen<T>(&self, r: Result<T, FlinkError>) -> Result<T, FlinkError> {
        if let Err(e) = &r
            && let Ok(mut m) = self.errors.lock()
        {
            *m.entry(e.kind()).or_default() += 1;
        }
        r
    }

    /// Calls so far.
    pub fn stats(&self) -> FlinkStats {
        FlinkStats {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }

    /// The wrapped client.
    pub fn inner(&self) -> &F {
        &self.inner
    }

    fn read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
    }

    fn write(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }
}

/// `impl FlinkApi for Counted<F>` from the list of calls: count, forward, note
/// the error class.
macro_rules! counted_calls {
    ($($kind:ident $name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        impl<F: FlinkApi> FlinkApi for Counted<F> {
            $(
                async fn $name(&self, $($arg: $ty),*) -> Result<$out, FlinkError> {
                    self.$kind();
                    let r = self.inner.$name($($arg),*).await;
                    self.seen(r)
                }
            )*
        }
    };
}

fjc_flink::for_each_flink_call!(counted_calls);
