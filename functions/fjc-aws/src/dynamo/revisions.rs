//! Revision items (`REV#<job>`, sorted by number) and operator command items
//! (`CMD`, `<job>#<kind>`).

use std::collections::BTreeMap;

use super::DynamoStore;
use super::codec::{self, Item, corrupt, get_s, key, n, s};
use fjc_core::clock::EpochMs;
use fjc_core::revisions::{Command, Commands, Revision};
use fjc_core::store::{AuditEntry, StoreError};

/// Partition key of the command items.
pub const CMD_PK: &str = "CMD";

/// Partition key of a job's revisions.
fn revision_pk(job_id: &str) -> String {
    format!("REV#{job_id}")
}

fn revision_to_item(r: &Revision) -> Result<Item, StoreError> {
    let what = format!("revision {} of {}", r.number, r.job_id);
    let json = serde_json::to_string(r).map_err(|e| corrupt(&what, e.to_string()))?;
    let mut item = key(&revision_pk(&r.job_id), &format!("{:010}", r.number));
    item.insert("revision".into(), s(json));
    item.insert("outcome".into(), s(r.outcome.as_str()));
    Ok(item)
}

fn revision_from_item(item: &Item) -> Result<Revision, StoreError> {
    let what = format!("revision {}", get_s(item, "sk", "revision item")?);
    serde_json::from_str(get_s(item, "revision", &what)?)
        .map_err(|e| corrupt(&what, format!("revision JSON: {e}")))
}

impl DynamoStore {
    pub(super) async fn put_revision_item(&self, r: &Revision) -> Result<(), StoreError> {
        let item = revision_to_item(r)?;
        self.put_plain(
            item,
            &format!("write revision {} of {}", r.number, r.job_id),
        )
        .await
    }

    pub(super) async fn revision_items(&self, job_id: &str) -> Result<Vec<Revision>, StoreError> {
        let mut out: Vec<Revision> = self
            .query_all(&revision_pk(job_id))
            .await?
            .iter()
            .map(revision_from_item)
            .collect::<Result<_, _>>()?;
        out.sort_by_key(|r| r.number);
        Ok(out)
    }

    pub(super) async fn delete_revision_item(
        &self,
        job_id: &str,
        number: u64,
    ) -> Result<(), StoreError> {
        self.write();
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(&revision_pk(job_id), &format!("{number:010}"))))
            .send()
            .await
            .map_err(|e| self.map_err(e, &format!("delete revision {number} of {job_id}")))?;
        Ok(())
    }

    pub(super) async fn put_command_item(
        &self,
        job_id: &str,
        command: Command,
        at: EpochMs,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut item = key(CMD_PK, &format!("{job_id}#{}", command.kind()));
        item.insert("job_id".into(), s(job_id));
        item.insert("kind".into(), s(command.kind()));
        item.insert("requested_at".into(), n(at));
        match &command {
            Command::Rollback(Some(to)) => {
                item.insert("to".into(), n(*to));
            }
            Command::Restart(fjc_core::revisions::RestartFrom::Empty) => {
                item.insert("from".into(), s("empty"));
            }
            Command::Restart(fjc_core::revisions::RestartFrom::Path(p)) => {
                item.insert("from".into(), s(format!("path:{p}")));
            }
            _ => {}
        }
        self.put_together(
            vec![item, codec::audit_to_item(audit)?],
            &format!("request {} of {job_id}", command.kind()),
        )
        .await
    }

    pub(super) async fn command_items(&self) -> Result<BTreeMap<String, Commands>, StoreError> {
        let mut out: BTreeMap<String, Commands> = BTreeMap::new();
        for item in self.query_all(CMD_PK).await? {
            let job = get_s(&item, "job_id", "command item")?.to_string();
            let at = codec::get_n(&item, "requested_at", "command item")?;
            let command = match get_s(&item, "kind", "command item")? {
                "restart" => Command::Restart(match item.get("from").and_then(|v| v.as_s().ok()) {
                    None => fjc_core::revisions::RestartFrom::Newest,
                    Some(f) if f == "empty" => fjc_core::revisions::RestartFrom::Empty,
                    Some(p) => fjc_core::revisions::RestartFrom::Path(
                        p.strip_prefix("path:").unwrap_or(p).to_string(),
                    ),
                }),
                "savepoint" => Command::Savepoint,
                "rollback" => Command::Rollback(codec::get_n(&item, "to", "command item").ok()),
                other => {
                    return Err(corrupt(
                        "command item",
                        format!("unknown command kind {other:?}"),
                    ));
                }
            };
            out.entry(job).or_default().set(command, at);
        }
        Ok(out)
    }
}
