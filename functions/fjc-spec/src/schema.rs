//! The JSON Schema of a job spec, generated from [`crate::JobSpec`].
//!
//! Editors can use it for completion and checks (`fjc schema > fjc-spec.schema.json`);
//! [`crate::validate`](mod@crate::validate) checks every document against it before anything else.

use serde_json::Value;

use crate::model::JobSpec;

/// The JSON Schema (draft 2020-12) of a job spec.
///
/// Every object has `additionalProperties: false` (the model denies unknown
/// fields) and lists its required fields; field docs become `description`s.
pub fn json_schema() -> Value {
    schemars::schema_for!(JobSpec).to_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_objects_and_required_fields() {
        let schema = json_schema();
        assert_eq!(schema["additionalProperties"], Value::Bool(false));
        let required = schema["required"].as_array().cloned().unwrap_or_default();
        for field in ["job_id", "job_type", "artifact_path"] {
            assert!(required.contains(&Value::from(field)), "{field} required");
        }
        let defs = schema["$defs"].as_object().cloned().unwrap_or_default();
        for name in [
            "Deployment",
            "Resources",
            "Monitoring",
            "BatchConfig",
            "StreamConfig",
        ] {
            assert_eq!(
                defs[name]["additionalProperties"],
                Value::Bool(false),
                "{name}"
            );
        }
    }

    #[test]
    fn is_a_valid_schema() {
        assert!(jsonschema::meta::is_valid(&json_schema()));
    }
}
