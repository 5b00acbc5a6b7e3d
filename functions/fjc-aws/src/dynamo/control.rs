//! Control items (`CTRL`): one breaker per Flink cluster (`BREAKER#<cluster>`,
//! optimistic version) and the controller heartbeat (`HEARTBEAT`).

use super::codec::{Item, corrupt, get_n, get_s, key, n, s};
use super::{DynamoStore, is_condition_failure, version_condition};
use fjc_core::breaker::Breaker;
use fjc_core::health::{Control, Heartbeat};
use fjc_core::store::StoreError;

/// Partition key of the control items.
pub const CTRL_PK: &str = "CTRL";
const HEARTBEAT_SK: &str = "HEARTBEAT";
const BREAKER_PREFIX: &str = "BREAKER#";

impl DynamoStore {
    pub(super) async fn control_items(&self) -> Result<Control, StoreError> {
        let mut control = Control::default();
        for item in self.query_all(CTRL_PK).await? {
            let sk = get_s(&item, "sk", "control item")?;
            let body = get_s(&item, "body", sk)?;
            if sk == HEARTBEAT_SK {
                control.heartbeat = Some(
                    serde_json::from_str(body)
                        .map_err(|e| corrupt("heartbeat", format!("body JSON: {e}")))?,
                );
            } else if let Some(cluster) = sk.strip_prefix(BREAKER_PREFIX) {
                let mut b: Breaker = serde_json::from_str(body)
                    .map_err(|e| corrupt(sk, format!("body JSON: {e}")))?;
                b.version = get_n(&item, "version", sk)?;
                control.breakers.insert(cluster.to_string(), b);
            }
        }
        Ok(control)
    }

    /// Writes a breaker if it is still at `b.version`; the new version.
    pub(super) async fn put_breaker_item(&self, b: &Breaker) -> Result<u64, StoreError> {
        let what = format!("breaker of cluster {}", b.cluster);
        let mut item = body_item(&format!("{BREAKER_PREFIX}{}", b.cluster), b, &what)?;
        let next = b.version + 1;
        item.insert("version".into(), n(next));
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(version_condition(b.version));
        if b.version > 0 {
            put = put
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":v", n(b.version));
        }
        self.write();
        match put.send().await {
            Ok(_) => Ok(next),
            Err(e) if is_condition_failure(&e) => Err(StoreError::Conflict {
                what,
                expected: b.version,
            }),
            Err(e) => Err(self.map_err(e, &format!("write {what}"))),
        }
    }

    pub(super) async fn put_heartbeat_item(&self, h: &Heartbeat) -> Result<(), StoreError> {
        let item = body_item(HEARTBEAT_SK, h, "heartbeat")?;
        self.put_plain(item, "write heartbeat").await
    }
}

fn body_item<T: serde::Serialize>(sk: &str, body: &T, what: &str) -> Result<Item, StoreError> {
    let json = serde_json::to_string(body).map_err(|e| corrupt(what, e.to_string()))?;
    let mut item = key(CTRL_PK, sk);
    item.insert("body".into(), s(json));
    Ok(item)
}
