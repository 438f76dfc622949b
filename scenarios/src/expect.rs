//! Checking a step's answer against its expectation: status, error text, JSON values at
//! paths (`$.a.b[0]`) with matchers (`contains`, `count`, `absent`, `present`, `not`), and
//! the redirect location.

use serde_json::Value;

use crate::format::Expect;
use crate::run::short;

/// What a step got back.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// What was sent (`okta POST /api/v1/users`, `ide ada SignIn`).
    pub request: String,
    /// HTTP status, when there is one.
    pub status: Option<u16>,
    /// The JSON body.
    pub body: Value,
    /// The error text, for failures outside HTTP (the IDE's).
    pub error: Option<String>,
    /// The `Location` header.
    pub location: Option<String>,
}

impl Answer {
    /// Whether the answer is a success.
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// The error as one line: the service's own error fields, else the body.
    pub fn error_text(&self) -> String {
        if let Some(e) = &self.error {
            return e.clone();
        }
        let b = &self.body;
        let pick = |keys: &[&str]| -> Vec<String> {
            keys.iter()
                .filter_map(|k| match &b[*k] {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect()
        };
        let mut parts = pick(&[
            "errorCode",
            "errorSummary",
            "__type",
            "message",
            "error",
            "error_description",
            "scimType",
            "detail",
        ]);
        if let Some(errors) = b["errors"].as_array() {
            for e in errors {
                parts.push(format!(
                    "{} {}",
                    e["code"],
                    e["message"].as_str().unwrap_or_default()
                ));
            }
        }
        if let Some(causes) = b["errorCauses"].as_array() {
            for c in causes {
                if let Some(s) = c["errorSummary"].as_str() {
                    parts.push(s.to_string());
                }
            }
        }
        if parts.is_empty() {
            b.to_string()
        } else {
            parts.join(": ")
        }
    }

    /// One line for the transcript.
    pub fn summary(&self) -> String {
        let status = self
            .status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "no status".into());
        if self.ok() {
            status
        } else {
            format!("{status} {}", short(&self.error_text()))
        }
    }
}

/// `Err((expected, actual))` when the answer does not meet the expectation.
pub fn check(expect: &Expect, answer: &Answer) -> Result<(), (String, String)> {
    let got = || {
        format!(
            "{} — {}",
            answer.summary(),
            short(&if answer.ok() {
                answer.body.to_string()
            } else {
                answer.error_text()
            })
        )
    };
    if !expect.status.is_empty() {
        if !answer.status.is_some_and(|s| expect.status.contains(&s)) {
            return Err((expect.to_string(), got()));
        }
    } else if expect.error.is_none() && !answer.ok() {
        return Err((expect.to_string(), got()));
    }
    if let Some(text) = &expect.error {
        if answer.ok() {
            return Err((
                expect.to_string(),
                format!("success {}", short(&answer.body.to_string())),
            ));
        }
        let error = answer.error_text();
        if !error.contains(text.as_str()) && !answer.body.to_string().contains(text.as_str()) {
            return Err((
                format!("an error containing {text:?}"),
                format!("the error {error:?}"),
            ));
        }
    }
    if let Some(text) = &expect.location {
        let location = answer.location.clone().unwrap_or_default();
        if !location.contains(text.as_str()) {
            return Err((
                format!("a redirect to a location containing {text:?}"),
                format!("location {location:?} (status {})", answer.summary()),
            ));
        }
    }
    for (path, matcher) in &expect.json {
        let actual = lookup_answer(answer, path);
        if let Err(expected) = matches(matcher, actual.as_ref()) {
            return Err((
                format!("{path} {expected}"),
                match actual {
                    Some(v) => format!("{path} = {}", short(&v.to_string())),
                    None => format!("nothing at {path} in {}", short(&answer.body.to_string())),
                },
            ));
        }
    }
    Ok(())
}

const MATCHERS: &[&str] = &["contains", "count", "absent", "present", "not"];

fn matches(matcher: &Value, actual: Option<&Value>) -> Result<(), String> {
    if let Value::Object(m) = matcher
        && m.len() == 1
        && let Some((name, arg)) = m.iter().next()
        && MATCHERS.contains(&name.as_str())
    {
        return match name.as_str() {
            "absent" => match actual {
                None | Some(Value::Null) => Ok(()),
                Some(_) => Err("absent".into()),
            },
            "present" => match actual {
                None | Some(Value::Null) => Err("present".into()),
                Some(_) => Ok(()),
            },
            "not" => match actual {
                Some(v) if equal(arg, v) => Err(format!("not {arg}")),
                _ => Ok(()),
            },
            "count" => {
                let n = match actual {
                    Some(Value::Array(a)) => Some(a.len()),
                    Some(Value::Object(o)) => Some(o.len()),
                    Some(Value::String(s)) => Some(s.chars().count()),
                    _ => None,
                };
                if n.is_some_and(|n| Some(n as u64) == arg.as_u64()) {
                    Ok(())
                } else {
                    Err(format!("with {arg} items"))
                }
            }
            _ => {
                let ok = match (actual, arg) {
                    (Some(Value::String(s)), Value::String(needle)) => s.contains(needle.as_str()),
                    (Some(Value::Array(items)), needle) => items.iter().any(|i| equal(needle, i)),
                    _ => false,
                };
                if ok {
                    Ok(())
                } else {
                    Err(format!("containing {arg}"))
                }
            }
        };
    }
    match actual {
        Some(v) if equal(matcher, v) => Ok(()),
        _ => Err(format!("= {}", short(&matcher.to_string()))),
    }
}

/// Whether `actual` has what `expected` says: objects by subset (the expected keys), numbers
/// by value, everything else exactly.
fn equal(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| equal(v, av))),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| equal(x, y))
        }
        // A number written as text in the file (e.g. quoted) still matches.
        (Value::String(e), Value::Number(n)) => *e == n.to_string(),
        _ => expected == actual,
    }
}

/// The value at `path` in an answer: `$location` is the redirect `Location` and
/// `$location.NAME` one of its query parameters; other paths look into the JSON body.
pub fn lookup_answer(answer: &Answer, path: &str) -> Option<Value> {
    if let Some(rest) = path.strip_prefix("$location") {
        let location = answer.location.as_deref()?;
        let Some(name) = rest.strip_prefix('.') else {
            return Some(Value::String(location.to_string()));
        };
        let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
        return query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| Value::String(v.replace("%20", " ").replace('+', " ")));
    }
    lookup(&answer.body, path)
}

/// The value at a path like `$.a.b[0]["x.y"]`; `$` is the whole body.
pub fn lookup(body: &Value, path: &str) -> Option<Value> {
    let mut rest = path.strip_prefix('$')?;
    let mut current = body;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let key = &r[..end];
            current = current.get(key)?;
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix("[\"") {
            let end = r.find("\"]")?;
            current = current.get(&r[..end])?;
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let index: usize = r[..end].parse().ok()?;
            current = current.get(index)?;
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(current.clone())
}
