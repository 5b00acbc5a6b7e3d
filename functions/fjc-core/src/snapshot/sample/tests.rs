use fjc_snapshot::{ClusterHealth, FlinkStateSeen, JobType, Shown};

use super::*;

#[test]
fn covers_every_lifecycle_both_types_and_each_attention_reason() {
    let s = sample(1_800_000_000_000).expect("sample");
    for shown in Shown::all() {
        assert!(
            s.jobs.iter().any(|j| j.lifecycle == shown),
            "no {shown} job"
        );
    }
    assert!(!s.jobs.iter().any(|j| j.lifecycle == Shown::Unknown));
    for t in JobType::ALL {
        assert!(
            s.jobs.iter().any(|j| j.job_type == t),
            "no {} job",
            t.as_str()
        );
    }
    let reasons: std::collections::BTreeSet<_> = fjc_snapshot::query::needs_attention(&s)
        .into_iter()
        .flat_map(|(_, why)| why)
        .collect();
    assert_eq!(
        reasons.into_iter().collect::<Vec<_>>(),
        fjc_snapshot::query::Attention::ALL.to_vec()
    );
    assert!(s.clusters.iter().any(|c| {
        c.health == ClusterHealth::Unreachable
            && c.breaker
                .as_ref()
                .is_some_and(|b| b.state == fjc_snapshot::BreakerState::Open)
    }));
    assert_eq!(s.orphans.len(), 1);
    let rolled = s
        .jobs
        .iter()
        .find(|j| j.job_id == "clicks-enrich")
        .expect("clicks");
    assert_eq!(rolled.namespace, "web");
    assert_eq!(rolled.detail.as_ref().map(|d| d.revisions.len()), Some(3));
    assert_eq!(rolled.flink_state_seen, Some(FlinkStateSeen::Observed));
    let east = s
        .jobs
        .iter()
        .find(|j| j.job_id == "east-ingest")
        .expect("east");
    assert!(matches!(
        east.flink_state_seen,
        Some(FlinkStateSeen::Recorded { at: Some(_) })
    ));
    let failed = s
        .jobs
        .iter()
        .find(|j| j.job_id == "failed-job")
        .expect("failed");
    assert!(matches!(
        failed.flink_state_seen,
        Some(FlinkStateSeen::NotListed { .. })
    ));
    let text = serde_json::to_string(&s).expect("json");
    assert!(!text.contains("never-shown"), "a secret reached the sample");
}

#[test]
fn a_fleet_has_exactly_the_jobs_asked_for_each_with_its_detail() {
    let s = fleet(1000, 1_800_000_000_000).expect("fleet");
    assert_eq!(s.jobs.len(), 1000);
    let ids: std::collections::BTreeSet<_> = s.jobs.iter().map(|j| &j.job_id).collect();
    assert_eq!(ids.len(), 1000);
    assert!(
        s.jobs
            .iter()
            .all(|j| j.detail.is_some() && j.detail_version.is_some())
    );
    let flink: std::collections::BTreeSet<_> = s
        .jobs
        .iter()
        .filter_map(|j| j.flink_job_id.as_ref())
        .collect();
    assert_eq!(
        flink.len(),
        s.jobs.iter().filter(|j| j.flink_job_id.is_some()).count(),
        "Flink job ids are distinct"
    );
}
