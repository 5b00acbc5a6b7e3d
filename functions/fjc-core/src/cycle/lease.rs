//! Holding the reconcile lease for a cycle: its expiry never outlives the
//! invocation, and it is renewed while the cycle works, so a short lease covers a
//! cycle of any length.

use tracing::warn;

use crate::clock::{Clock, EpochMs};
use crate::context::{Context, Ports};
use crate::store::StateStore;

/// When a lease taken at `now` for `ttl_ms` expires: never after `deadline`
/// (but at least 1 s from now, so a cycle that starts can take it).
pub fn lease_expiry(now: EpochMs, ttl_ms: i64, deadline: Option<EpochMs>) -> EpochMs {
    let wanted = now.saturating_add(ttl_ms);
    match deadline {
        Some(d) => wanted.min(d).max(now + 1_000),
        None => wanted,
    }
}

/// Runs `work` while renewing `lease` every third of its time to live, so a short
/// lease (a crashed holder blocks others for at most that long) covers a cycle of
/// any length. Renewal stops at `deadline` and when the lease is no longer ours;
/// the work's fenced writes then fail by themselves.
pub(super) async fn while_renewed<P: Ports, T>(
    ctx: &Context<P>,
    lease: &crate::store::LeaseGrant,
    deadline: Option<EpochMs>,
    work: impl std::future::Future<Output = T>,
) -> T {
    let ttl =
        i64::try_from(ctx.settings.lease_ttl_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
    let every = std::time::Duration::from_millis(u64::try_from(ttl / 3).unwrap_or(1_000).max(200));
    let renew = async {
        loop {
            tokio::time::sleep(every).await;
            let now = ctx.clock.now_ms();
            if deadline.is_some_and(|d| now >= d) {
                return;
            }
            match ctx
                .store
                .renew_lease(lease, lease_expiry(now, ttl, deadline))
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    warn!(lease = %lease.name, "lease no longer ours; not renewed");
                    return;
                }
                Err(e) => warn!(lease = %lease.name, error = %e, "lease not renewed this time"),
            }
        }
    };
    tokio::pin!(work);
    tokio::select! {
        biased;
        out = &mut work => out,
        () = renew => work.await,
    }
}

#[cfg(test)]
mod tests {
    use super::lease_expiry;

    #[test]
    fn a_lease_never_outlives_the_invocation() {
        assert_eq!(lease_expiry(1_000, 30_000, None), 31_000);
        assert_eq!(lease_expiry(1_000, 30_000, Some(11_000)), 11_000);
        // A cycle starting at its deadline still gets a moment to take the lease.
        assert_eq!(lease_expiry(1_000, 30_000, Some(500)), 2_000);
    }
}
