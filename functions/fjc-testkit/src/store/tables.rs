//! The fake's data, laid out like the DynamoDB table's partitions, and every
//! write's conditions checked before anything changes (a transaction).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use fjc_core::breaker::Breaker;
use fjc_core::clock::EpochMs;
use fjc_core::health::{Control, Heartbeat};
use fjc_core::revisions::{Command, Commands, Revision};
use fjc_core::runs::Run;
use fjc_core::shard::{Shard, sort_key};
use fjc_core::state::JobState;
use fjc_core::store::{
    AuditEntry, LeaseGrant, LeaseHolder, LeaseOutcome, RunWrite, SpecRecord, StoreError,
};

use super::size::{Size, check_transaction, pages, through_json};

/// A record as read back from its item, and the item's size.
#[derive(Debug, Clone)]
struct Stored<T> {
    value: T,
    size: usize,
}

#[derive(Debug, Clone)]
struct Lease {
    owner: String,
    token: u64,
    expires_at: EpochMs,
}

/// Every partition of the table.
#[derive(Debug, Default)]
pub(super) struct Tables {
    /// `SPEC`, by sort key (`<bucket>#<job id>`).
    specs: BTreeMap<String, Stored<SpecRecord>>,
    /// `STATE`, by sort key.
    states: BTreeMap<String, Stored<JobState>>,
    /// `LEASE`, by name.
    leases: BTreeMap<String, Lease>,
    /// `ART#<path>`: the job ids whose spec names the artifact.
    artifacts: BTreeMap<String, BTreeSet<String>>,
    /// `ARTEVT`: the latest upload event token per artifact path.
    artifact_events: BTreeMap<String, String>,
    /// `AUDIT#<job>`, by (time, write order).
    audit: BTreeMap<String, BTreeMap<(EpochMs, u64), Stored<AuditEntry>>>,
    /// `RUN#<job>`, by run id.
    runs: BTreeMap<String, BTreeMap<String, Stored<Run>>>,
    /// `RUNREQ`: pending `fjc run` requests.
    pub(super) run_requests: BTreeMap<String, EpochMs>,
    /// `REV#<job>`, by number.
    revisions: BTreeMap<String, BTreeMap<u64, Stored<Revision>>>,
    /// `CMD`: pending operator commands.
    pub(super) commands: BTreeMap<String, Commands>,
    /// `CTRL` `BREAKER#<cluster>`.
    breakers: BTreeMap<String, Stored<Breaker>>,
    /// `CTRL` `HEARTBEAT`.
    heartbeat: Option<Stored<Heartbeat>>,
    /// Orders audit entries written in the same millisecond.
    seq: u64,
}

/// The key of one item, to find two writes of one item in a transaction.
type Key = (String, String);

fn key(pk: &str, sk: &str) -> Key {
    (pk.to_string(), sk.to_string())
}

fn conflict(what: &str, expected: u64) -> StoreError {
    StoreError::Conflict {
        what: what.to_string(),
        expected,
    }
}

/// Whether an item stored at `current` (`None`: absent) may be written by a
/// writer that read it at `expected` (0: must not exist yet).
fn version_ok(current: Option<u64>, expected: u64) -> bool {
    match current {
        None => expected == 0,
        Some(v) => expected > 0 && v == expected,
    }
}

/// The items of a partition in one key range (all of it for the whole fleet).
fn in_shard<T: Clone>(items: &BTreeMap<String, Stored<T>>, shard: Shard) -> (Vec<T>, u64) {
    let chosen: Vec<&Stored<T>> = if shard.is_whole() {
        items.values().collect()
    } else {
        let (lo, hi) = shard.key_range();
        items
            .range::<str, _>((Bound::Included(lo.as_str()), Bound::Included(hi.as_str())))
            .map(|(_, v)| v)
            .collect()
    };
    let pages = pages(chosen.iter().map(|s| s.size));
    (chosen.into_iter().map(|s| s.value.clone()).collect(), pages)
}

fn listed<'a, T: Clone + 'a>(items: impl Iterator<Item = &'a Stored<T>>) -> (Vec<T>, u64) {
    let items: Vec<&Stored<T>> = items.collect();
    let pages = pages(items.iter().map(|s| s.size));
    (items.into_iter().map(|s| s.value.clone()).collect(), pages)
}

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
    pub(super) fn specs_in(&self, shard: Shard) -> (Vec<SpecRecord>, u64) {
        in_shard(&self.specs, shard)
    }

    pub(super) fn states_in(&self, shard: Shard) -> (Vec<JobState>, u64) {
        in_shard(&self.states, shard)
    }

    pub(super) fn spec(&self, job_id: &str) -> Option<SpecRecord> {
        self.specs.get(&sort_key(job_id)).map(|s| s.value.clone())
    }

    /// An audit entry as its item, and the item's key in the fake.
    fn audit_item(
        &mut self,
        e: &AuditEntry,
    ) -> Result<((EpochMs, u64), Stored<AuditEntry>), StoreError> {
        let what = format!("audit entry of {}", e.job_id);
        let (value, json) = through_json(e, &what)?;
        // The adapter's sort key: 15 digits of time, '#', 8 hex digits of nonce.
        let size = Size::key(&format!("AUDIT#{}", e.job_id), &"0".repeat(24))
            .s("entry", &json)
            .check(&what)?;
        self.seq += 1;
        Ok(((e.at.max(0), self.seq), Stored { value, size }))
    }

    fn insert_audit(&mut self, entry: Option<((EpochMs, u64), Stored<AuditEntry>)>) {
        if let Some((k, stored)) = entry {
            self.audit
                .entry(stored.value.job_id.clone())
                .or_default()
                .insert(k, stored);
        }
    }

    fn unindex(&mut self, path: &str, job_id: &str) {
        if let Some(jobs) = self.artifacts.get_mut(path) {
            jobs.remove(job_id);
            if jobs.is_empty() {
                self.artifacts.remove(path);
            }
        }
    }

    pub(super) fn put_spec(
        &mut self,
        record: &SpecRecord,
        old_artifact: Option<&str>,
        audit: Option<&AuditEntry>,
    ) -> Result<u64, StoreError> {
        let job_id = &record.spec.job_id;
        let what = format!("spec {job_id}");
        let sk = sort_key(job_id);
        let next = record.version + 1;
        let (spec, json) = through_json(&record.spec, &what)?;
        let trust_json = if record.trust == Default::default() {
            None
        } else {
            Some(through_json(&record.trust, &what)?.1)
        };
        let size = Size::key("SPEC", &sk)
            .n("version", next)
            .s("spec", &json)
            .s("fingerprint", &record.fingerprint.0)
            .s("artifact_digest", &record.artifact_digest)
            .opt_s("artifact_version", record.artifact_version.as_deref())
            .opt_s("trust", trust_json.as_deref())
            .s("job_type", record.spec.job_type.as_str())
            .n("updated_at", record.updated_at)
            .check(&what)?;
        let audit = audit.map(|a| self.audit_item(a)).transpose()?;
        if !version_ok(self.specs.get(&sk).map(|s| s.value.version), record.version) {
            return Err(conflict(&what, record.version));
        }
        let path = &record.spec.artifact_path;
        let stored = SpecRecord {
            spec,
            version: next,
            ..record.clone()
        };
        self.specs.insert(
            sk,
            Stored {
                value: stored,
                size,
            },
        );
        if let Some(old) = old_artifact.filter(|old| old != path) {
            self.unindex(old, job_id);
        }
        self.artifacts
            .entry(path.clone())
            .or_default()
            .insert(job_id.clone());
        self.insert_audit(audit);
        Ok(next)
    }

    pub(super) fn delete_spec(
        &mut self,
        record: &SpecRecord,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StoreError> {
        let job_id = &record.spec.job_id;
        let what = format!("spec {job_id}");
        let sk = sort_key(job_id);
        let audit = audit.map(|a| self.audit_item(a)).transpose()?;
        // `#v = :v`: a missing item fails it whatever version was given.
        if self.specs.get(&sk).map(|s| s.value.version) != Some(record.version) {
            return Err(conflict(&what, record.version));
        }
        self.specs.remove(&sk);
        self.unindex(&record.spec.artifact_path, job_id);
        self.insert_audit(audit);
        Ok(())
    }

    pub(super) fn jobs_for_artifact(&self, path: &str) -> (Vec<String>, u64) {
        let jobs: Vec<String> = self
            .artifacts
            .get(path)
            .map(|j| j.iter().cloned().collect())
            .unwrap_or_default();
        let pk = format!("ART#{path}");
        let pages = pages(jobs.iter().map(|j| Size::key(&pk, j).bytes()));
        (jobs, pages)
    }

    pub(super) fn audit(&self, job_id: &str) -> (Vec<AuditEntry>, u64) {
        listed(self.audit.get(job_id).into_iter().flat_map(|m| m.values()))
    }

    pub(super) fn mark_artifact_event(
        &mut self,
        path: &str,
        token: &str,
        at: EpochMs,
    ) -> Result<(), StoreError> {
        let what = format!("mark artifact event {path}");
        Size::key("ARTEVT", path)
            .s("token", token)
            .n("at", at)
            .check(&what)?;
        self.artifact_events
            .insert(path.to_string(), token.to_string());
        Ok(())
    }

    pub(super) fn artifact_event(&self, path: &str) -> Option<String> {
        self.artifact_events.get(path).cloned()
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

    pub(super) fn commit(
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

    pub(super) fn delete_state(
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

    pub(super) fn runs(&self, job_id: &str) -> (Vec<Run>, u64) {
        listed(self.runs.get(job_id).into_iter().flat_map(|m| m.values()))
    }

    pub(super) fn acquire_lease(
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
    pub(super) fn set_own_lease_expiry(&mut self, lease: &LeaseGrant, expires_at: EpochMs) -> bool {
        match self.leases.get_mut(&lease.name) {
            Some(l) if l.owner == lease.owner && l.token == lease.token => {
                l.expires_at = expires_at;
                true
            }
            _ => false,
        }
    }

    pub(super) fn put_revision(&mut self, r: &Revision) -> Result<(), StoreError> {
        let what = format!("write revision {} of {}", r.number, r.job_id);
        let (value, json) = through_json(r, &what)?;
        let size = Size::key(&format!("REV#{}", r.job_id), &format!("{:010}", r.number))
            .s("revision", &json)
            .s("outcome", r.outcome.as_str())
            .check(&what)?;
        self.revisions
            .entry(r.job_id.clone())
            .or_default()
            .insert(r.number, Stored { value, size });
        Ok(())
    }

    pub(super) fn delete_revision(&mut self, job_id: &str, number: u64) {
        if let Some(revisions) = self.revisions.get_mut(job_id) {
            revisions.remove(&number);
        }
    }

    pub(super) fn revisions(&self, job_id: &str) -> (Vec<Revision>, u64) {
        listed(
            self.revisions
                .get(job_id)
                .into_iter()
                .flat_map(|m| m.values()),
        )
    }

    pub(super) fn request_command(
        &mut self,
        job_id: &str,
        command: Command,
        at: EpochMs,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let audit = self.audit_item(audit)?;
        self.commands
            .entry(job_id.to_string())
            .or_default()
            .set(command, at);
        self.insert_audit(Some(audit));
        Ok(())
    }

    pub(super) fn control(&self) -> (Control, u64) {
        let sizes = self
            .breakers
            .values()
            .map(|b| b.size)
            .chain(self.heartbeat.as_ref().map(|h| h.size));
        let control = Control {
            breakers: self
                .breakers
                .iter()
                .map(|(c, b)| (c.clone(), b.value.clone()))
                .collect(),
            heartbeat: self.heartbeat.as_ref().map(|h| h.value.clone()),
        };
        (control, pages(sizes))
    }

    pub(super) fn put_breaker(&mut self, b: &Breaker) -> Result<u64, StoreError> {
        let what = format!("breaker of cluster {}", b.cluster);
        let next = b.version + 1;
        let (mut value, json) = through_json(b, &what)?;
        value.version = next;
        let size = Size::key("CTRL", &format!("BREAKER#{}", b.cluster))
            .s("body", &json)
            .n("version", next)
            .check(&format!("write {what}"))?;
        if !version_ok(
            self.breakers.get(&b.cluster).map(|s| s.value.version),
            b.version,
        ) {
            return Err(conflict(&what, b.version));
        }
        self.breakers
            .insert(b.cluster.clone(), Stored { value, size });
        Ok(next)
    }

    pub(super) fn put_heartbeat(&mut self, h: &Heartbeat) -> Result<(), StoreError> {
        let (value, json) = through_json(h, "heartbeat")?;
        let size = Size::key("CTRL", "HEARTBEAT")
            .s("body", &json)
            .check("write heartbeat")?;
        self.heartbeat = Some(Stored { value, size });
        Ok(())
    }
}
