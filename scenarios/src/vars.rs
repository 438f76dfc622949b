//! Scenario variables: `${name}` (and `${name%suffix}`) in paths, tokens and JSON bodies,
//! replaced by what earlier steps saved. Shared by the runner and the property tests, which
//! fill in the same request shapes.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Replaces `${name}` in `text` (and `${name%suffix}` by the value without that suffix).
pub fn subst_str(text: &str, vars: &BTreeMap<String, Value>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in `{text}`"))?;
        // `${name%suffix}`: the value without `suffix` at its end (as in the shell).
        let (name, suffix) = after[..end].split_once('%').unwrap_or((&after[..end], ""));
        let value = vars.get(name).ok_or_else(|| {
            format!("unknown variable `${{{name}}}` (not saved by an earlier step)")
        })?;
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.push_str(text.strip_suffix(suffix).unwrap_or(&text));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Replaces `${name}` everywhere in a JSON value; a string that is exactly `${name}` takes the
/// variable's JSON value (so numbers and lists keep their type).
pub fn subst(value: &Value, vars: &BTreeMap<String, Value>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}'))
                && !name.contains('}')
                && !name.contains("${")
                && !name.contains('%')
            {
                vars.get(name).cloned().ok_or_else(|| {
                    format!("unknown variable `${{{name}}}` (not saved by an earlier step)")
                })?
            } else {
                Value::String(subst_str(s, vars)?)
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| subst(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(k.clone(), subst(v, vars)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_take_text_and_whole_values_keep_their_type() {
        let vars: BTreeMap<String, Value> = [
            ("id".to_string(), json!("00u1")),
            ("n".to_string(), json!(3)),
            ("host".to_string(), json!("example.com.")),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            subst_str("/api/v1/users/${id}/groups", &vars).as_deref(),
            Ok("/api/v1/users/00u1/groups")
        );
        assert_eq!(subst_str("${host%.}", &vars).as_deref(), Ok("example.com"));
        assert_eq!(
            subst(&json!({ "count": "${n}", "who": "user ${id}" }), &vars),
            Ok(json!({ "count": 3, "who": "user 00u1" }))
        );
        assert!(subst_str("${missing}", &vars).is_err());
        assert!(subst_str("${id", &vars).is_err());
    }
}
