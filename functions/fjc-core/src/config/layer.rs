//! The configuration files as layers: each YAML file is read into JSON, checked for
//! shape against the defaults, merged over the layers below it, and decoded.

use std::path::Path;

use serde_json::{Map, Value};

use super::Config;
use crate::error::CoreError;

pub(super) fn read_layer(file: &Path) -> Result<Option<Value>, CoreError> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CoreError::Config(format!("{}: {e}", file.display()))),
    };
    let docs = yaml_rust2::YamlLoader::load_from_str(&text)
        .map_err(|e| CoreError::Config(format!("{}: {e}", file.display())))?;
    match docs.into_iter().next() {
        None => Ok(None),
        Some(doc) => match yaml_to_json(doc) {
            v @ Value::Object(_) => Ok(Some(v)),
            Value::Null => Ok(None),
            _ => Err(CoreError::Config(format!(
                "{}: the top level must be a mapping",
                file.display()
            ))),
        },
    }
}

fn yaml_to_json(y: yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::String(s)),
        Yaml::Integer(i) => Value::from(i),
        Yaml::String(s) => Value::String(s),
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Array(a) => Value::Array(a.into_iter().map(yaml_to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s,
                        other => format!("{other:?}"),
                    };
                    (key, yaml_to_json(v))
                })
                .collect::<Map<_, _>>(),
        ),
        _ => Value::Null,
    }
}

/// A layer must have mappings where the defaults have mappings (serde would
/// otherwise read a list positionally into a struct).
pub(super) fn check_shape(defaults: &Value, layer: &Value, path: &str) -> Result<(), String> {
    let (Value::Object(d), Value::Object(l)) = (defaults, layer) else {
        return Ok(());
    };
    for (k, v) in l {
        let here = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        match d.get(k) {
            Some(Value::Object(_)) if !v.is_object() => {
                return Err(format!("{here}: expected a mapping"));
            }
            Some(dv) => check_shape(dv, v, &here)?,
            None => {}
        }
    }
    Ok(())
}

pub(super) fn merge(base: &mut Value, layer: Value) {
    match (base, layer) {
        (Value::Object(b), Value::Object(l)) => {
            for (k, v) in l {
                match b.get_mut(&k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, l) => *b = l,
    }
}

pub(super) fn decode(v: Value, source: &str) -> Result<Config, CoreError> {
    serde_json::from_value(v).map_err(|e| CoreError::Config(format!("{source}: {e}")))
}
