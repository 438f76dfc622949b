//! Checking a step's answer against its expectation: status, error text, JSON values at
//! paths (`$.a.b[0]`) with matchers (`contains`, `count`, `absent`, `present`, `not`), and
//! the redirect location.

use serde_json::Value;

use crate::format::Expect;

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
    /// The response headers by lower-case name (empty for answers outside HTTP).
    pub headers: std::collections::BTreeMap<String, String>,
}

impl Answer {
    /// Whether the answer is a success.
    pub fn ok(&self) -> bool {
        // Answers outside HTTP (a DNS answer, a decoded JWT, a TOTP code) have no status.
        self.error.is_none() && self.status.is_none_or(|s| (200..300).contains(&s))
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
        let status = match (self.status, self.body["rcode"].as_str()) {
            (Some(s), _) => s.to_string(),
            (None, Some(rcode)) => format!(
                "{rcode}, {} answers",
                self.body["answers"].as_array().map_or(0, Vec::len)
            ),
            (None, None) if self.error.is_none() => "ok".into(),
            (None, None) => "failed".into(),
        };
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
/// `$location.NAME` one of its query parameters; `$header.NAME` a response header (any case);
/// `$link.REL` the URL of the `Link` header's `rel="REL"` entry; other paths look into the
/// JSON body.
pub fn lookup_answer(answer: &Answer, path: &str) -> Option<Value> {
    if let Some(name) = path.strip_prefix("$header.") {
        return answer
            .headers
            .get(&name.to_ascii_lowercase())
            .map(|v| Value::String(v.clone()));
    }
    if let Some(rel) = path.strip_prefix("$link.") {
        return sim_world::clients::link_rel(answer.headers.get("link")?, rel).map(Value::String);
    }
    if let Some(rest) = path.strip_prefix("$location") {
        let location = answer.location.as_deref()?;
        let Some(name) = rest.strip_prefix('.') else {
            return Some(Value::String(location.to_string()));
        };
        let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
        return form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| Value::String(v.into_owned()));
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

/// At most 100 characters of `text`.
pub fn short(text: &str) -> String {
    let mut out: String = text.chars().take(100).collect();
    if text.chars().count() > 100 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(headers: &[(&str, &str)]) -> Answer {
        Answer {
            request: "okta GET /api/v1/users".into(),
            status: Some(200),
            body: json!([]),
            error: None,
            location: None,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn headers_are_looked_up_by_any_case_and_links_by_rel() {
        let a = answer(&[
            ("x-okta-request-id", "abc"),
            (
                "link",
                "<http://h/api/v1/users?limit=2>; rel=\"self\", <http://h/api/v1/users?limit=2&after=00u1>; rel=\"next\"",
            ),
        ]);
        assert_eq!(
            lookup_answer(&a, "$header.X-Okta-Request-Id"),
            Some(json!("abc"))
        );
        assert_eq!(
            lookup_answer(&a, "$link.next"),
            Some(json!("http://h/api/v1/users?limit=2&after=00u1"))
        );
        assert_eq!(
            lookup_answer(&a, "$link.self"),
            Some(json!("http://h/api/v1/users?limit=2"))
        );
        assert_eq!(lookup_answer(&a, "$link.prev"), None);
        assert_eq!(lookup_answer(&a, "$header.date"), None);
        assert_eq!(lookup_answer(&answer(&[]), "$link.next"), None);
    }

    #[test]
    fn redirect_parameters_are_fully_decoded() {
        let mut a = answer(&[]);
        a.location = Some(
            "http://localhost:3128/oauth/callback?error=access_denied&error_description=User+is+not%20assigned%3A+x&state=a%2Fb".into(),
        );
        assert_eq!(
            lookup_answer(&a, "$location.error_description"),
            Some(json!("User is not assigned: x"))
        );
        assert_eq!(lookup_answer(&a, "$location.state"), Some(json!("a/b")));
        assert_eq!(lookup_answer(&a, "$location.code"), None);
    }

    #[test]
    fn answers_without_a_status_succeed_unless_they_carry_an_error() {
        let mut a = answer(&[]);
        a.status = None;
        a.body = json!({ "rcode": "NXDOMAIN", "answers": [] });
        assert!(a.ok());
        assert_eq!(a.summary(), "NXDOMAIN, 0 answers");
        a.error = Some("no answer".into());
        assert!(!a.ok());
        assert!(check(&Expect::default(), &a).is_err());
    }
}
