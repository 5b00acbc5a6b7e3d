//! The measured scenarios on a fleet at rest: 1% of the jobs changed (upgraded with
//! a savepoint) and 1% vanished from the stand-in (recovered from checkpoints), each
//! measured for its first tick (a tick: a cycle and the cycles of the jobs it
//! requeued, as the `reconcile` Lambda runs it) and until every job is RUNNING again.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use fjc_core::context::{Context, Ports};
use fjc_core::state::Lifecycle;
use fjc_core::store::StateStore;
use fjc_flink::JobId;
use fjc_spec::JobSpec;
use serde_json::json;

use super::fleet::{Jar, fleet_spec};
use crate::Error;
use crate::harness::{StandInProc, apply_all, delta, deltas, measure};
use crate::report::Sample;

/// The Flink job ids the stored states of `ids` name.
async fn flink_ids<S: StateStore>(
    store: &S,
    ids: &BTreeSet<String>,
) -> Result<BTreeMap<String, Option<JobId>>, Error> {
    Ok(store
        .list_states()
        .await?
        .into_iter()
        .filter(|s| ids.contains(&s.job_id))
        .map(|s| (s.job_id, s.flink_job_id))
        .collect())
}

/// Whether every job of `old` runs under a new Flink job id, recorded RUNNING
/// (or STABLE) with no operation in flight.
async fn all_replaced<S: StateStore>(
    store: &S,
    old: &BTreeMap<String, Option<JobId>>,
) -> Result<bool, Error> {
    let states = store.list_states().await?;
    Ok(old.iter().all(|(id, was)| {
        states.iter().find(|s| &s.job_id == id).is_some_and(|s| {
            matches!(s.lifecycle, Lifecycle::Running | Lifecycle::Stable)
                && s.operation.is_none()
                && s.flink_job_id.is_some()
                && &s.flink_job_id != was
        })
    }))
}

/// What a scenario needs.
pub(super) struct Bench<'a, P: Ports> {
    pub(super) ctx: &'a Context<P>,
    pub(super) stand_in: &'a StandInProc,
    pub(super) n: usize,
    pub(super) jars: &'a [Jar],
}

impl<P: Ports> Bench<'_, P> {
    /// The first tick, then ticks until every job of `old` is RUNNING again
    /// under a new Flink job id: both samples.
    async fn until_replaced(
        &self,
        label: &'static str,
        first: &'static str,
        sum: &'static str,
        old: &BTreeMap<String, Option<JobId>>,
    ) -> Result<(Sample, Sample), Error> {
        let (one, _) = measure(self.ctx, self.stand_in, self.n, label, first).await?;
        let mut all = one.clone();
        all.phase = sum;
        while !all_replaced(&self.ctx.store, old).await? {
            if all.cycles >= 20 {
                return Err(format!("{sum}: not all RUNNING again after 20 cycles").into());
            }
            let (s, _) = measure(self.ctx, self.stand_in, self.n, label, sum).await?;
            all.add(&s);
        }
        Ok((one, all))
    }

    /// Every 100th job (those with `i % 100 == k`) gets a new argument and is
    /// upgraded with a savepoint.
    pub(super) async fn changed(
        &self,
        label: &'static str,
        k: usize,
        note: &str,
        samples: &mut Vec<Sample>,
    ) -> Result<(), Error> {
        let picked: Vec<usize> = (0..self.n).filter(|i| i % 100 == k).collect();
        let specs: Vec<JobSpec> = picked
            .iter()
            .map(|&i| fleet_spec(i, self.n, note, self.jars))
            .collect::<Result<_, _>>()?;
        let ids: BTreeSet<String> = specs.iter().map(|s| s.job_id.clone()).collect();
        let old = flink_ids(&self.ctx.store, &ids).await?;
        let before = self.stand_in.stats()?;
        let t = Instant::now();
        apply_all(&self.ctx.store, &self.ctx.artifacts, specs).await?;
        let applied = self.stand_in.stats()?;
        eprintln!(
            "[bench] {label}: {} changed specs applied in {:.1} s, {:.1} MB read from S3 (apply takes each jar's digest)",
            ids.len(),
            t.elapsed().as_secs_f64(),
            delta(&before, &applied, "s3_bytes_read") as f64 / 1e6
        );
        let (one, all) = self
            .until_replaced(
                label,
                "1% changed: first tick",
                "1% changed: until all RUNNING (sum)",
                &old,
            )
            .await?;
        let after = self.stand_in.stats()?;
        eprintln!(
            "[bench] {label}: {} jobs upgraded in {} cycles; stand-in: {}",
            ids.len(),
            all.cycles,
            deltas(&applied, &after)
        );
        if delta(&applied, &after, "run_from_savepoint") < ids.len() as u64 {
            eprintln!("[bench] {label}: WARNING: fewer runs from a savepoint than changed jobs");
        }
        samples.push(one);
        samples.push(all);
        Ok(())
    }

    /// Every 100th job (`i % 100 == k`) vanishes from the stand-in and is
    /// recovered from its checkpoints, found in storage.
    pub(super) async fn vanished(
        &self,
        label: &'static str,
        k: usize,
        samples: &mut Vec<Sample>,
    ) -> Result<(), Error> {
        let ids: BTreeSet<String> = (0..self.n)
            .filter(|i| i % 100 == k)
            .map(|i| format!("fleet-{}-{i:05}", self.n))
            .collect();
        let old = flink_ids(&self.ctx.store, &ids).await?;
        let gone: Vec<String> = old.values().flatten().map(|j| j.to_string()).collect();
        let before = self.stand_in.stats()?;
        let answer = self
            .stand_in
            .call("POST", "/stand-in/vanish", Some(&json!(gone)))?;
        let (one, all) = self
            .until_replaced(
                label,
                "1% vanished: first tick",
                "1% vanished: until all RUNNING (sum)",
                &old,
            )
            .await?;
        let after = self.stand_in.stats()?;
        eprintln!(
            "[bench] {label}: {} of {} jobs vanished, recovered in {} cycles; stand-in: {}",
            answer["vanished"],
            ids.len(),
            all.cycles,
            deltas(&before, &after)
        );
        if delta(&before, &after, "run_from_checkpoint") < ids.len() as u64 {
            eprintln!("[bench] {label}: WARNING: fewer runs from a checkpoint than vanished jobs");
        }
        samples.push(one);
        samples.push(all);
        Ok(())
    }
}
