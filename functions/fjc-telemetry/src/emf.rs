//! CloudWatch Embedded Metric Format: one JSON log line that CloudWatch Logs turns
//! into metrics, with no API call from the function.

use serde_json::{Map, Value, json};

/// One metric of an EMF line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric<'a> {
    /// Metric name.
    pub name: &'a str,
    /// Value.
    pub value: f64,
    /// CloudWatch unit (`Count`, `Milliseconds`, …).
    pub unit: &'a str,
}

/// The EMF line for `metrics` in `namespace`, with `dimensions` (name, value) as
/// one dimension set, at `timestamp_ms`.
pub fn line(
    namespace: &str,
    dimensions: &[(&str, &str)],
    metrics: &[Metric<'_>],
    timestamp_ms: i64,
) -> String {
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [dimensions.iter().map(|(k, _)| *k).collect::<Vec<_>>()],
                "Metrics": metrics.iter().map(|m| json!({"Name": m.name, "Unit": m.unit})).collect::<Vec<_>>(),
            }],
        }),
    );
    for (k, v) in dimensions {
        root.insert((*k).into(), Value::from(*v));
    }
    for m in metrics {
        root.insert(m.name.into(), json!(m.value));
    }
    Value::Object(root).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_shape() {
        let l = line(
            "FJC",
            &[("Function", "artifact-event")],
            &[Metric {
                name: "ArtifactRefused",
                value: 2.0,
                unit: "Count",
            }],
            1_700_000_000_000,
        );
        let v: Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], "FJC");
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][0],
            "Function"
        );
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
            "ArtifactRefused"
        );
        assert_eq!(v["ArtifactRefused"], 2.0);
        assert_eq!(v["Function"], "artifact-event");
        assert!(!l.contains('\n'));
    }
}
