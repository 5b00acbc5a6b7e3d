//! DynamoDB's request limits, as the fake keeps them: item sizes (estimated as
//! DynamoDB counts them: attribute names plus values), the 1 MiB query page, the
//! 100-item transaction.

use fjc_core::store::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The largest item DynamoDB stores.
pub(super) const MAX_ITEM_BYTES: usize = 400 * 1024;
/// A query answers at most this much per page.
pub(super) const PAGE_BYTES: usize = 1024 * 1024;
/// The most items one transaction may hold.
pub(super) const MAX_TRANSACTION_ITEMS: usize = 100;

/// The size of an item being put together.
#[derive(Debug, Clone, Copy)]
pub(super) struct Size(usize);

impl Size {
    /// An item with key `pk`, `sk`.
    pub(super) fn key(pk: &str, sk: &str) -> Size {
        Size("pk".len() + pk.len() + "sk".len() + sk.len())
    }

    /// Adds a string attribute.
    pub(super) fn s(self, name: &str, value: &str) -> Size {
        Size(self.0 + name.len() + value.len())
    }

    /// Adds an optional string attribute.
    pub(super) fn opt_s(self, name: &str, value: Option<&str>) -> Size {
        match value {
            Some(v) => self.s(name, v),
            None => self,
        }
    }

    /// Adds a number attribute (about one byte per two digits, plus one).
    pub(super) fn n(self, name: &str, value: impl ToString) -> Size {
        Size(self.0 + name.len() + value.to_string().len() / 2 + 1)
    }

    /// The size so far, in bytes.
    pub(super) fn bytes(self) -> usize {
        self.0
    }

    /// The item's size; refused like DynamoDB refuses it when over the limit.
    pub(super) fn check(self, what: &str) -> Result<usize, StoreError> {
        if self.0 > MAX_ITEM_BYTES {
            return Err(StoreError::Other {
                message: format!(
                    "{what}: ValidationException: Item size has exceeded the maximum allowed size"
                ),
            });
        }
        Ok(self.0)
    }
}

/// The pages a query over items of these sizes takes (at least one).
pub(super) fn pages(sizes: impl IntoIterator<Item = usize>) -> u64 {
    let total: usize = sizes.into_iter().sum();
    (total / PAGE_BYTES) as u64 + 1
}

/// `value` as stored (JSON) and read back, with the JSON: what the DynamoDB
/// adapter keeps of a record is what survives its JSON.
pub(super) fn through_json<T: Serialize + DeserializeOwned>(
    value: &T,
    what: &str,
) -> Result<(T, String), StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        item: what.to_string(),
        reason,
    };
    let json = serde_json::to_string(value).map_err(|e| corrupt(e.to_string()))?;
    let back = serde_json::from_str(&json).map_err(|e| corrupt(format!("JSON: {e}")))?;
    Ok((back, json))
}

/// A transaction DynamoDB refuses before looking at any condition: too many
/// items, or one item written twice.
pub(super) fn check_transaction(keys: &[(String, String)], what: &str) -> Result<(), StoreError> {
    if keys.len() > MAX_TRANSACTION_ITEMS {
        return Err(StoreError::Other {
            message: format!(
                "{what}: ValidationException: 1 validation error detected at 'transactItems' \
                 failed to satisfy constraint: Member must have length less than or equal to \
                 {MAX_TRANSACTION_ITEMS}"
            ),
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    if keys.iter().any(|k| !seen.insert(k)) {
        return Err(StoreError::Other {
            message: format!(
                "{what}: ValidationException: Transaction request cannot include multiple \
                 operations on one item"
            ),
        });
    }
    Ok(())
}
