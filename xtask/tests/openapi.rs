//! `docs/openapi.yaml` against the code: the document is a sane OpenAPI 3.1 document, and it
//! lists exactly the routes of the scopes it covers, so adding, removing or renaming a route
//! without the document (or the reverse) fails `cargo test` and names the route.
//!
//! Scopes, found in the source rather than by file name (files move; the scopes do not):
//!
//! - mock-kiro's JSON APIs: every `.route(…)` under `mock-kiro/src/` except the HTML pages
//!   (`src/pages/`) and the domain core;
//! - Okta's provisioning API: every `.route(…)` / `.both(…)` under `mock-okta/src/` whose path
//!   is one of the provisioning prefixes ([`OKTA_PROVISIONING`]);
//! - the simulator controls: every `.route(…)` whose path starts with `/_sim` in any service
//!   crate ([`SIM_DIRS`]).
//!
//! Paths are compared in OpenAPI's syntax: axum's `{id}`, `{*rest}` and `:id` all read as
//! `{id}` / `{rest}`, and a trailing `/` is dropped (mock-okta's `.both` registers each path
//! with and without one; the document lists it once). Methods are compared too; a route taking
//! any method (`any(…)`) needs at least one operation in the document.
//!
//! Hand-written matching: besides the routers, code names `/_sim/…` paths as strings (clients,
//! HTML forms and links, the sandbox's journal). Every such path in code must be a documented
//! path ([`every_sim_path_named_in_code_is_documented`]); the few matched by shape rather
//! than spelled out are listed in [`HAND_MATCHED`]. Inside mock-kiro's SCIM wildcard route,
//! `unknown_endpoint` tells `/Bulk`, `/Me` and `….search` apart by hand; the document covers
//! them under `/{tenant}/scim/v2/{rest}`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The crates whose sources may serve `/_sim/…` routes.
const SIM_DIRS: &[&str] = &[
    "mock-dns/src",
    "mock-kiro/src",
    "mock-okta/src",
    "sim-core/src",
    "sim-world/src",
    "kiro-sim/src",
];

/// The path prefixes of Okta's provisioning API (in OpenAPI syntax, axum's `{id}` names).
const OKTA_PROVISIONING: &[&str] = &[
    "/api/v1/catalog/apps",
    "/api/v1/apps/{id}/connections/",
    "/api/v1/apps/{id}/features",
    "/api/v1/mappings",
    "/api/v1/apps/{id}/group-push/",
];

/// `/_sim` paths code matches by their shape, not by a route or a spelled-out path: (file, the
/// code that does it, the documented paths it stands for). The test checks the code is still
/// there and the paths are documented with the method.
const HAND_MATCHED: &[(&str, &str, &[&str])] = &[(
    // The persistent sandbox's journal recognises a state import (`PUT /_sim/<svc>/state`)
    // by prefix and suffix, to give it the state documents' body limit.
    "sim-world/src/sandbox.rs",
    r#"path.starts_with("/_sim/") && path.ends_with("/state")"#,
    &[
        "PUT /_sim/okta/state",
        "PUT /_sim/kiro/state",
        "PUT /_sim/dns/state",
    ],
)];

/// Route registrations whose path is a variable: the helpers that register a path given to
/// them (mock-okta's `RouteBoth::both`, whose callers are scanned as `.both("…")`).
const PATH_VARIABLES: &[&str] = &["path", "&format!(\"{path}/\")"];

/// The operations' HTTP methods OpenAPI knows.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace root")
        .to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rel(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Rust files under `dir`, recursively, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The document, parsed.
fn document() -> Value {
    let path = root().join("docs/openapi.yaml");
    serde_saphyr::from_str::<Value>(&read(&path))
        .unwrap_or_else(|e| panic!("{}: not YAML of an object: {e}", rel(&path)))
}

// ---- the document's own sanity -------------------------------------------------------------

/// Every `$ref` string in `value`, with where it is.
fn refs<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(target)) => out.push((at.clone(), target)),
                    _ => refs(v, format!("{at}/{key}"), out),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                refs(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// `value`, or what it refers to when it is a `{"$ref": "#/…"}`.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(target) => target
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
            .unwrap_or(value),
        None => value,
    }
}

/// The `{name}`s of a path template.
fn template_params(path: &str) -> BTreeSet<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_document_is_structurally_sound() {
    let doc = document();
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(
        version.starts_with("3.1."),
        "`openapi` must be 3.1.x, is {version:?}"
    );
    for field in ["title", "version", "description"] {
        assert!(
            doc["info"][field].as_str().is_some_and(|s| !s.is_empty()),
            "info.{field} is missing"
        );
    }
    let description = doc["info"]["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("Covered") && description.contains("Not covered"),
        "info.description must say what the document covers and what it does not"
    );
    let servers = doc["servers"].as_array().expect("top-level `servers`");
    assert!(!servers.is_empty(), "no servers");

    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .expect("top-level `tags`")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    let paths = doc["paths"].as_object().expect("`paths` is an object");
    assert!(paths.len() > 50, "only {} paths", paths.len());
    let mut problems = Vec::new();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in paths {
        if !path.starts_with('/') {
            problems.push(format!("{path}: a path starts with `/`"));
        }
        let in_template = template_params(path);
        let path_level: Vec<&Value> = item["parameters"]
            .as_array()
            .map(|a| a.iter().map(|p| resolve(&doc, p)).collect())
            .unwrap_or_default();
        let operations: Vec<(&str, &Value)> = METHODS
            .iter()
            .filter_map(|m| item.get(*m).map(|op| (*m, op)))
            .collect();
        if operations.is_empty() {
            problems.push(format!("{path}: no operation"));
        }
        for (method, op) in operations {
            let name = format!("{} {path}", method.to_uppercase());
            match op["responses"].as_object() {
                Some(responses) if !responses.is_empty() => {
                    for code in responses.keys() {
                        let valid = code == "default"
                            || (code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()));
                        if !valid {
                            problems.push(format!("{name}: response key `{code}`"));
                        }
                    }
                }
                _ => problems.push(format!("{name}: no responses")),
            }
            match op["operationId"].as_str() {
                Some(id) if operation_ids.insert(id.to_string()) => {}
                Some(id) => problems.push(format!("{name}: operationId `{id}` used twice")),
                None => problems.push(format!("{name}: no operationId")),
            }
            match op["tags"].as_array() {
                Some(t) if !t.is_empty() => {
                    for tag in t.iter().filter_map(Value::as_str) {
                        if !tags.contains(tag) {
                            problems.push(format!("{name}: tag `{tag}` is not declared"));
                        }
                    }
                }
                _ => problems.push(format!("{name}: no tags")),
            }
            // Path parameters: declared once for each `{name}` of the template, and only those.
            let op_level: Vec<&Value> = op["parameters"]
                .as_array()
                .map(|a| a.iter().map(|p| resolve(&doc, p)).collect())
                .unwrap_or_default();
            let declared: BTreeSet<String> = path_level
                .iter()
                .chain(op_level.iter())
                .filter(|p| p["in"] == "path")
                .filter_map(|p| {
                    if p["required"] != true {
                        problems.push(format!("{name}: path parameter {} not required", p["name"]));
                    }
                    p["name"].as_str().map(str::to_string)
                })
                .collect();
            if declared != in_template {
                problems.push(format!(
                    "{name}: path parameters declared {declared:?}, the template has {in_template:?}"
                ));
            }
        }
    }
    let mut all_refs = Vec::new();
    refs(&doc, String::from("#"), &mut all_refs);
    assert!(all_refs.len() > 100, "only {} $refs found", all_refs.len());
    for (at, target) in all_refs {
        let resolves = target
            .strip_prefix('#')
            .is_some_and(|pointer| doc.pointer(pointer).is_some());
        if !resolves {
            problems.push(format!("{at}: `$ref: {target}` does not resolve"));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/openapi.yaml:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_servers_are_the_default_ports_of_kiro_sim_up() {
    let doc = document();
    let readme = read(&root().join("README.md"));
    for server in doc["servers"].as_array().expect("servers") {
        let url = server["url"].as_str().expect("a server url");
        let port = url.rsplit(':').next().unwrap_or_default();
        assert!(
            readme.contains(&format!("| `{port}` |")),
            "server {url}: port {port} is not a default port in README.md's table"
        );
    }
}

// ---- the routes in the source --------------------------------------------------------------

/// `text` with comments blanked out (newlines kept, so positions are lines), string and char
/// literals kept as they are.
fn strip_comments(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(if chars[i] == '\n' { '\n' } else { ' ' });
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !chars
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < chars.len() {
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.extend(&chars[i..j.min(chars.len())]);
            i = j;
        } else if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            out.extend(&chars[i..(j + 1).min(chars.len())]);
            i = j + 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{…}') or a lifetime ('a).
            let end = if next == Some('\\') {
                (i + 3..chars.len()).find(|&k| chars[k] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            let end = end.unwrap_or(i);
            out.extend(&chars[i..=end]);
            i = end + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The text of a call's arguments starting at `open` (just after its `(`), up to the matching
/// `)`, skipping string literals.
fn call_arguments(code: &str, open: usize) -> &str {
    let bytes = code.as_bytes();
    let mut depth = 1;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return &code[open..i];
                }
            }
            _ => {}
        }
        i += 1;
    }
    &code[open..]
}

/// `args` split at its first top-level comma.
fn first_argument(args: &str) -> (&str, &str) {
    let bytes = args.as_bytes();
    let mut depth = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => return (args[..i].trim(), args[i + 1..].trim()),
            _ => {}
        }
        i += 1;
    }
    (args.trim(), "")
}

/// The value of `const NAME: &str = "…";` in `code`.
fn const_str(code: &str, name: &str) -> Option<String> {
    let rest = code.split(&format!("const {name}: &str = \"")).nth(1)?;
    rest.split('"').next().map(str::to_string)
}

/// The path a route's first argument spells: a literal, a `const` of the file, or a
/// `format!` of a literal with the file's consts in it. `None` if it is none of those.
fn route_path(code: &str, expr: &str) -> Option<String> {
    let expr = expr.trim();
    if let Some(literal) = expr.strip_prefix('"') {
        return literal.strip_suffix('"').map(str::to_string);
    }
    if let Some(inner) = expr
        .strip_prefix("&format!(\"")
        .or_else(|| expr.strip_prefix("format!(\""))
    {
        let template = inner.strip_suffix("\")")?;
        // `{P}` → the const; `{{`/`}}` → braces.
        let mut out = String::new();
        let mut rest = template;
        while let Some(at) = rest.find('{') {
            out.push_str(&rest[..at]);
            if rest[at..].starts_with("{{") {
                let close = rest[at..].find("}}")? + at;
                out.push('{');
                out.push_str(&rest[at + 2..close]);
                out.push('}');
                rest = &rest[close + 2..];
            } else {
                let close = rest[at..].find('}')? + at;
                out.push_str(&const_str(code, &rest[at + 1..close])?);
                rest = &rest[close + 1..];
            }
        }
        out.push_str(rest);
        return Some(out);
    }
    if !expr.is_empty() && expr.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
        return const_str(code, expr);
    }
    None
}

/// The methods of a method router expression (`get(a).post(b).fallback(c)`): upper case,
/// `ANY` for `any(…)`.
fn router_methods(expr: &str) -> BTreeSet<String> {
    let mut methods = BTreeSet::new();
    let bytes = expr.as_bytes();
    for (word, method) in [
        ("get(", "GET"),
        ("post(", "POST"),
        ("put(", "PUT"),
        ("patch(", "PATCH"),
        ("delete(", "DELETE"),
        ("head(", "HEAD"),
        ("options(", "OPTIONS"),
        ("trace(", "TRACE"),
        ("any(", "ANY"),
    ] {
        for (at, _) in expr.match_indices(word) {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let starts_word = !before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
            if starts_word {
                methods.insert(method.to_string());
            }
        }
    }
    methods
}

/// axum's path syntax → OpenAPI's, without a trailing slash.
fn openapi_path(path: &str) -> String {
    let segments: Vec<String> = path
        .split('/')
        .map(|s| {
            if let Some(name) = s.strip_prefix(':') {
                format!("{{{name}}}")
            } else if let Some(name) = s.strip_prefix("{*") {
                format!("{{{name}")
            } else {
                s.to_string()
            }
        })
        .collect();
    let joined = segments.join("/");
    match joined.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed.to_string(),
        _ => joined,
    }
}

/// One route registration in the source.
#[derive(Debug)]
struct Route {
    /// OpenAPI syntax.
    path: String,
    methods: BTreeSet<String>,
    at: String,
}

/// Every `.route(…)` / `.both(…)` in `file`, with the path resolved when it can be; `Err` with
/// the place for one whose path or methods cannot be read.
fn routes_in(file: &Path) -> Vec<Result<Route, String>> {
    let code = strip_comments(&read(file));
    let mut out = Vec::new();
    for call in [".route(", ".both("] {
        for (at, _) in code.match_indices(call) {
            let line = code[..at].matches('\n').count() + 1;
            let place = format!("{}:{line}", rel(file));
            let args = call_arguments(&code, at + call.len());
            let (path_expr, router) = first_argument(args);
            if router.is_empty() {
                // A one-argument `.route(x)` is another type's method (the IDE's sign-in route).
                continue;
            }
            let Some(path) = route_path(&code, path_expr) else {
                if !PATH_VARIABLES.contains(&path_expr) {
                    out.push(Err(format!(
                        "{place}: cannot read the path of `{call}{path_expr}, …)`"
                    )));
                }
                continue;
            };
            let methods = router_methods(router);
            if methods.is_empty() && !PATH_VARIABLES.contains(&router) {
                out.push(Err(format!(
                    "{place}: cannot read the methods of `{path}`: `{router}`"
                )));
                continue;
            }
            out.push(Ok(Route {
                path: openapi_path(&path),
                methods,
                at: place,
            }));
        }
    }
    out
}

/// The routes of the covered scopes, by path: methods and where each is registered.
fn source_routes() -> BTreeMap<String, (BTreeSet<String>, Vec<String>)> {
    let root = root();
    let mut unreadable = Vec::new();
    let mut found: Vec<Route> = Vec::new();
    for dir in SIM_DIRS {
        for file in rust_files(&root.join(dir)) {
            let name = rel(&file);
            let kiro_api = name.starts_with("mock-kiro/src/")
                && !name.starts_with("mock-kiro/src/pages/")
                && !name.starts_with("mock-kiro/src/core/");
            let okta = name.starts_with("mock-okta/src/");
            for route in routes_in(&file) {
                let route = match route {
                    Ok(route) => route,
                    // Only the scanned scopes must be readable; elsewhere a route with a
                    // computed path is not a `/_sim` one we can see anyway.
                    Err(e) if kiro_api || okta => {
                        unreadable.push(e);
                        continue;
                    }
                    Err(_) => continue,
                };
                let covered = route.path.starts_with("/_sim")
                    || kiro_api
                    || (okta && OKTA_PROVISIONING.iter().any(|p| route.path.starts_with(p)));
                if covered {
                    found.push(route);
                }
            }
        }
    }
    assert!(
        unreadable.is_empty(),
        "route registrations this test cannot read (spell the path as a literal or a const, or \
         teach the test):\n{}",
        unreadable.join("\n")
    );
    let mut by_path: BTreeMap<String, (BTreeSet<String>, Vec<String>)> = BTreeMap::new();
    for route in found {
        let entry = by_path.entry(route.path).or_default();
        entry.0.extend(route.methods);
        entry.1.push(route.at);
    }
    by_path
}

/// The document's operations, by path: upper-case methods.
fn document_routes(doc: &Value) -> BTreeMap<String, BTreeSet<String>> {
    doc["paths"]
        .as_object()
        .expect("`paths` is an object")
        .iter()
        .map(|(path, item)| {
            let methods = METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| m.to_uppercase())
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

#[test]
fn every_route_of_the_covered_scopes_is_documented_and_nothing_else() {
    let source = source_routes();
    // The scan sees all three scopes (a broken scan must not pass by finding nothing).
    for expected in [
        "/console/profiles",
        "/{tenant}/scim/v2/Users",
        "/generateAssistantResponse",
        "/api/v1/apps/{id}/connections/default",
        "/api/v1/apps/{id}/group-push/mappings/{mid}",
        "/_sim/clock/advance",
        "/_sim/faults/{id}",
        "/_sim/okta/provisioning/settle",
        "/_sim/snapshots/{name}/restore",
    ] {
        assert!(
            source.contains_key(expected),
            "the source scan did not find {expected}; found {:?}",
            source.keys().collect::<Vec<_>>()
        );
    }
    let doc = document_routes(&document());
    let mut missing = Vec::new();
    for (path, (methods, places)) in &source {
        let documented = doc.get(path);
        for method in methods {
            let ok = match (documented, method.as_str()) {
                (None, _) => false,
                (Some(d), "ANY") => !d.is_empty(),
                // axum's `get` answers HEAD too; HEAD is only required if registered as such.
                (Some(d), m) => d.contains(m),
            };
            if !ok {
                missing.push(format!("{method} {path} ({})", places.join(", ")));
            }
        }
    }
    let mut extra = Vec::new();
    for (path, methods) in &doc {
        match source.get(path) {
            None => extra.push(format!("{path}: no route in the source has this path")),
            Some((registered, _)) => {
                for method in methods {
                    if !registered.contains(method) && !registered.contains("ANY") {
                        extra.push(format!("{method} {path}: the route does not take {method}"));
                    }
                }
            }
        }
    }
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/openapi.yaml is out of step with the routes.\nmissing from the document:\n{}\n\
         in the document but not in the source:\n{}",
        missing.join("\n"),
        extra.join("\n")
    );
}

/// Whether `path` (from code: a literal, or a `format!` with `{name}`s) is an instance of
/// `template` (from the document).
fn matches_template(path: &str, template: &str) -> bool {
    let a: Vec<&str> = path.split('/').collect();
    let b: Vec<&str> = template.split('/').collect();
    a.len() == b.len()
        && a.iter().zip(&b).all(|(seg, tpl)| {
            seg == tpl || (tpl.starts_with('{') && tpl.ends_with('}') && !seg.is_empty())
        })
}

#[test]
fn every_sim_path_named_in_code_is_documented() {
    let root = root();
    let doc = document_routes(&document());
    let mut unknown = Vec::new();
    let mut seen = 0;
    for dir in SIM_DIRS {
        for file in rust_files(&root.join(dir)) {
            let code = strip_comments(&read(&file));
            for (at, _) in code.match_indices("/_sim") {
                let path: String = code[at..]
                    .chars()
                    .take_while(|c| !matches!(c, '"' | '?' | '`' | '\'' | ')' | '<' | '#' | ' '))
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                let path = openapi_path(&path);
                if path == "/_sim" {
                    // A prefix test (`starts_with("/_sim/")`): see HAND_MATCHED.
                    continue;
                }
                seen += 1;
                if !doc.keys().any(|t| matches_template(&path, t)) {
                    let line = code[..at].matches('\n').count() + 1;
                    unknown.push(format!("{}:{line}: {path}", rel(&file)));
                }
            }
        }
    }
    assert!(seen > 40, "only {seen} `/_sim` paths found in code");
    assert!(
        unknown.is_empty(),
        "`/_sim` paths named in code but not in docs/openapi.yaml:\n{}",
        unknown.join("\n")
    );
    for (file, snippet, operations) in HAND_MATCHED {
        assert!(
            read(&root.join(file)).contains(snippet),
            "{file} no longer has `{snippet}`: update HAND_MATCHED in {}",
            file!()
        );
        for operation in *operations {
            let (method, path) = operation.split_once(' ').expect("METHOD /path");
            assert!(
                doc.get(path).is_some_and(|m| m.contains(method)),
                "{operation} (matched by hand in {file}) is not in docs/openapi.yaml"
            );
        }
    }
}

#[test]
fn the_scanner_reads_the_forms_routes_take() {
    let code = "const P: &str = \"/console/profiles/{profile_id}\";\n\
                Router::new().route(&format!(\"{P}/scim-tokens/{{token_id}}\"), delete(x))";
    assert_eq!(
        route_path(code, "&format!(\"{P}/scim-tokens/{{token_id}}\")").as_deref(),
        Some("/console/profiles/{profile_id}/scim-tokens/{token_id}")
    );
    assert_eq!(
        route_path(code, "P").as_deref(),
        Some("/console/profiles/{profile_id}")
    );
    assert_eq!(route_path(code, "path"), None);
    assert_eq!(
        router_methods("get(profiles::get).delete(profiles::delete)"),
        BTreeSet::from(["GET".to_string(), "DELETE".to_string()])
    );
    assert_eq!(
        router_methods("axum::routing::get(events::feed)"),
        BTreeSet::from(["GET".to_string()])
    );
    assert_eq!(
        router_methods("get_state.fallback(unsupported_method)"),
        BTreeSet::new()
    );
    assert_eq!(
        openapi_path("/{tenant}/scim/v2/{*rest}"),
        "/{tenant}/scim/v2/{rest}"
    );
    assert_eq!(openapi_path("/users/:id/"), "/users/{id}");
    assert_eq!(openapi_path("/"), "/");
    let stripped = strip_comments("a // \"/_sim/x\"\nb \"http://x\" /* c */ 'd' r#\"e\"#");
    assert!(!stripped.contains("/_sim/x"), "{stripped}");
    assert!(stripped.contains("\"http://x\""), "{stripped}");
    assert!(!stripped.contains(" c "), "{stripped}");
    assert!(matches_template(
        "/_sim/snapshots/{name}/restore",
        "/_sim/snapshots/{name}/restore"
    ));
    assert!(matches_template("/_sim/faults/f1", "/_sim/faults/{id}"));
    assert!(!matches_template("/_sim/faults", "/_sim/faults/{id}"));
}
