//! `GET /taskmanagers` and `GET /taskmanagers/:id`: which jobs hold task slots.
//!
//! After a JobManager is lost, its TaskManagers keep running the tasks of jobs the new
//! JobManager never heard of, until they notice (measured on Flink 2.3: the tasks kept
//! writing 12 s after the kill). The TaskManagers report those slots, with the old job's
//! id, when they register with the new JobManager, so a recovery can wait until they are
//! freed instead of running a second copy beside them.

use reqwest::Method;
use serde::Deserialize;

use super::call::{Call, decode};
use super::client::RestClient;
use crate::{FlinkError, JobId};

#[derive(Deserialize)]
struct WireTaskManagers {
    #[serde(default)]
    taskmanagers: Vec<WireTaskManager>,
}

#[derive(Deserialize)]
struct WireTaskManager {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireDetails {
    #[serde(default)]
    allocated_slots: Vec<WireSlot>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSlot {
    job_id: Option<String>,
}

/// Parses `GET /taskmanagers`: the TaskManager ids.
pub(crate) fn parse_taskmanagers(body: &[u8]) -> Result<Vec<String>, FlinkError> {
    let w: WireTaskManagers = decode("taskmanagers", body)?;
    Ok(w.taskmanagers.into_iter().map(|t| t.id).collect())
}

/// Parses `GET /taskmanagers/:id`: the jobs its allocated slots belong to.
pub(crate) fn parse_slot_jobs(body: &[u8]) -> Result<Vec<JobId>, FlinkError> {
    let w: WireDetails = decode("taskmanager", body)?;
    w.allocated_slots
        .into_iter()
        .filter_map(|s| s.job_id)
        .map(|id: String| {
            JobId::parse(&id).map_err(|e| FlinkError::Decode {
                operation: "taskmanager".into(),
                message: format!("allocatedSlots jobId: {e}"),
            })
        })
        .collect()
}

/// Every job holding a slot on any TaskManager, each once, in order.
pub(super) async fn slot_holders(client: &RestClient) -> Result<Vec<JobId>, FlinkError> {
    let answer = client
        .call(Call::new("taskmanagers", Method::GET, &["taskmanagers"]))
        .await?;
    if !answer.is_success() {
        return Err(answer.error("taskmanagers"));
    }
    let mut holders: Vec<JobId> = Vec::new();
    for tm in parse_taskmanagers(answer.body())? {
        let answer = client
            .call(Call::new(
                "taskmanager",
                Method::GET,
                &["taskmanagers", &tm],
            ))
            .await?;
        // A TaskManager that left between the two calls holds nothing.
        if answer.status.as_u16() == 404 {
            continue;
        }
        if !answer.is_success() {
            return Err(answer.error("taskmanager"));
        }
        for job in parse_slot_jobs(answer.body())? {
            if !holders.contains(&job) {
                holders.push(job);
            }
        }
    }
    Ok(holders)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture")
    }

    #[test]
    fn real_answers_name_the_taskmanagers_and_the_job_holding_each_slot() {
        let tms = parse_taskmanagers(&fixture("taskmanagers-2.3.json")).unwrap();
        assert_eq!(tms.len(), 1);
        assert!(tms[0].starts_with("fjc-tm-"), "{tms:?}");
        let jobs = parse_slot_jobs(&fixture("taskmanager-running-job-2.3.json")).unwrap();
        assert_eq!(jobs.len(), 2, "two slots of one job");
        assert_eq!(jobs[0].as_str(), "970c7eb71e3b0d677d36f3f87527760d");
        assert_eq!(
            parse_slot_jobs(br#"{"allocatedSlots": []}"#).unwrap(),
            vec![]
        );
        assert!(parse_slot_jobs(br#"{"allocatedSlots": [{"jobId": "x"}]}"#).is_err());
    }
}
