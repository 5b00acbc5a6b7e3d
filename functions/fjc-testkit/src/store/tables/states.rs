//! The `STATE` partition, the `RUN#<job>` run records written in the same
//! transaction as a state, and `LEASE`, whose fencing token every state write
//! checks: what [`StateStore`](fjc_core::store::StateStore) reads and writes.

use fjc_core::clock::EpochMs;
use fjc_core::runs::Run;
use fjc_core::shard::{Shard, sort_key};
use fjc_core::state::JobState;
use fjc_core::store::{LeaseGrant, LeaseHolder, LeaseOutcome, RunWrite, StoreError};

use super::{Key, Lease, Stored, Tables, conflict, in_shard, key, listed, version_ok};
use crate::store::size::{Size, check_transaction, through_json};

/// A run write, checked and ready to apply.
enum RunOp {
    Put { run: Stored<Run>, create: bool },
    Delete { job_id: String, run_id: String },
    ConsumeRequest { job_id: String },
}

impl RunOp {
    fn of(w: &RunWrite) -> Result<(RunOp, Key), StoreError> {
        Ok(match w {
            RunWrite::Create(run) | RunWrite::Put(run) => {
                let stored = run_item(run)?;
                let k = key(&format!("RUN#{}", run.job_id), &run.run_id);
                let create = matches!(w, RunWrite::Create(_));
                (
                    RunOp::Put {
                        run: stored,
                        create,
                    },
                    k,
                )
            }
            RunWrite::Delete { job_id, run_id } => (
                RunOp::Delete {
                    job_id: job_id.clone(),
                    run_id: run_id.clone(),
                },
                key(&format!("RUN#{job_id}"), run_id),
            ),
            RunWrite::ConsumeRequest { job_id } => (
                RunOp::ConsumeRequest {
                    job_id: job_id.clone(),
                },
                key("RUNREQ", job_id),
            ),
        })
    }
}

fn run_item(run: &Run) -> Result<Stored<Run>, StoreError> {
    let what = format!("run {} of {}", run.run_id, run.job_id);
    let (value, json) = through_json(run, &what)?;
    let size = Size::key(&format!("RUN#{}", run.job_id), &run.run_id)
        .s("run", &json)
        .s("status", run.status.as_str())
        .check(&what)?;
    Ok(Stored { value, size })
}

impl Tables {
    pub(in crate::store) fn states_in(&self, shard: Shard) -> (Vec<JobState>, u64) {
        in_shard(&self.states, shard)
    }

    fn lease_ok(&self, lease: &LeaseGrant) -> bool {
        self.leases
            .get(&lease.name)
            .is_some_and(|l| l.token == lease.token && l.owner == lease.owner)
    }

    fn lease_lost(lease: &LeaseGrant) -> StoreError {
        StoreError::LeaseLost {
            name: lease.name.clone(),
            token: lease.token,
        }
    }

    pub(in crate::store) fn commit(
        &mut self,
        state: &JobState,
        runs: &[RunWrite],
        lease: &LeaseGrant,
    ) -> Result<u64, StoreError> {
        let what = format!("state of {}", state.job_id);
        let sk = sort_key(&state.job_id);
        let next = state.version + 1;
        let (mut value, json) = through_json(state, &format!("state {}", state.job_id))?;
        value.version = next;
        let size = Size::key("STATE", &sk)
            .n("version", next)
            .s("state", &json)
            .s("lifecycle", state.lifecycle.as_str())
            .n("updated_at", state.updated_at)
            .check(&what)?;
        let mut keys = vec![key("LEASE", &lease.name), key("STATE", &sk)];
        let mut ops = Vec::with_capacity(runs.len());
        for w in runs {
            let (op, k) = RunOp::of(w)?;
            ops.push(op);
            keys.push(k);
        }
        check_transaction(&keys, &what)?;
        if !self.lease_ok(lease) {
            return Err(Self::lease_lost(lease));
        }
        if !version_ok(self.states.get(&sk).map(|s| s.value.version), state.version) {
            return Err(conflict(&what, state.version));
        }
        for (i, op) in ops.iter().enumerate() {
            if let RunOp::Put { run, create: true } = op
                && self
                    .runs
                    .get(&run.value.job_id)
                    .is_some_and(|r| r.contains_key(&run.value.run_id))
            {
                return Err(conflict(
                    &format!("{what}: run write {} (already recorded)", i + 1),
                    state.version,
                ));
            }
        }
        self.states.insert(sk, Stored { value, size });
        for op in ops {
            match op {
                RunOp::Put { run, .. } => {
                    self.runs
                        .entry(run.value.job_id.clone())
                        .or_default()
                        .insert(run.value.run_id.clone(), run);
                }
                RunOp::Delete { job_id, run_id } => {
                    if let Some(r) = self.runs.get_mut(&job_id) {
                        r.remove(&run_id);
                    }
                }
                RunOp::ConsumeRequest { job_id } => {
                    self.run_requests.remove(&job_id);
                }
            }
        }
        Ok(next)
    }

    pub(in crate::store) fn delete_state(
        &mut self,
        job_id: &str,
        version: u64,
        lease: &LeaseGrant,
    ) -> Result<(), StoreError> {
        let sk = sort_key(job_id);
        if !self.lease_ok(lease) {
            return Err(Self::lease_lost(lease));
        }
        if self.states.get(&sk).map(|s| s.value.version) != Some(version) {
            return Err(conflict(&format!("state of {job_id}"), version));
        }
        self.states.remove(&sk);
        Ok(())
    }

    pub(in crate::store) fn runs(&self, job_id: &str) -> (Vec<Run>, u64) {
        listed(self.runs.get(job_id).into_iter().flat_map(|m| m.values()))
    }

    pub(in crate::store) fn acquire_lease(
        &mut self,
        name: &str,
        owner: &str,
        ttl_ms: i64,
        now: EpochMs,
    ) -> LeaseOutcome {
        let expires_at = now + ttl_ms;
        // `attribute_not_exists(pk) OR expires_at < :now OR owner = :owner`,
        // then `ADD token 1`.
        let token = match self.leases.get_mut(name) {
            None => {
                self.leases.insert(
                    name.to_string(),
                    Lease {
                        owner: owner.to_string(),
                        token: 1,
                        expires_at,
                    },
                );
                1
            }
            Some(l) if l.expires_at < now || l.owner == owner => {
                l.owner = owner.to_string();
                l.expires_at = expires_at;
                l.token += 1;
                l.token
            }
            Some(l) => {
                return LeaseOutcome::Held(LeaseHolder {
                    owner: l.owner.clone(),
                    expires_at: l.expires_at,
                });
            }
        };
        LeaseOutcome::Acquired(LeaseGrant {
            name: name.to_string(),
            owner: owner.to_string(),
            token,
            expires_at,
        })
    }

    /// Sets the expiry of a lease still ours (same owner and token); `false`
    /// when it is not.
    pub(in crate::store) fn set_own_lease_expiry(
        &mut self,
        lease: &LeaseGrant,
        expires_at: EpochMs,
    ) -> bool {
        match self.leases.get_mut(&lease.name) {
            Some(l) if l.owner == lease.owner && l.token == lease.token => {
                l.expires_at = expires_at;
                true
            }
            _ => false,
        }
    }
}
