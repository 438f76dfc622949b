//! Writes the fuzz targets' seed corpora (`fuzz/corpus/{target}/`) from the requests the tests
//! make: every file of the scenario library is parsed and its steps turned into inputs —
//! the files themselves (`scenario_yaml`), each raw HTTP request in the input format of its
//! service's API target (`okta_api`, `kiro_api`, `dns_api`: route number in
//! `fuzz/routes/{service}.txt`, flags, query, body), the Okta and SCIM filters in their query
//! strings (`okta_filter`, `scim_filter`), the SCIM PATCH bodies (`scim_patch`), the `dig:`
//! queries as DNS messages (`dns_message`). `jwt_verify` gets tokens signed by dev key 0 (valid,
//! expired, another issuer, no `uid`, `alg: none`), as the runtime tests send them.
//!
//! Run by `cargo xtask fuzz-seeds` (`cargo run -p scenarios --example fuzz_seeds -- ROOT`);
//! file names are a hash of the content, so running it again adds only new seeds.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use scenarios::actions::Service;
use scenarios::format::Action;
use scenarios::parser::parse;
use serde_json::{Value, json};

/// One seed: the target and the input.
type Seed = (&'static str, Vec<u8>);

fn main() -> Result<(), String> {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: fuzz_seeds WORKSPACE_ROOT")?;
    let routes = |name: &str| -> Result<Vec<(String, String)>, String> {
        let path = root.join("fuzz/routes").join(format!("{name}.txt"));
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let mut w = l.split_whitespace();
                (
                    w.next().unwrap_or_default().to_string(),
                    w.next().unwrap_or_default().to_string(),
                )
            })
            .collect())
    };
    let tables = [
        (Service::Okta, "okta_api", routes("okta")?),
        (Service::Kiro, "kiro_api", routes("kiro")?),
        (Service::Dns, "dns_api", routes("dns")?),
    ];

    let mut seeds: Vec<Seed> = Vec::new();
    let library = root.join("scenarios/library");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&library)
        .map_err(|e| format!("reading {}: {e}", library.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
        seeds.push(("scenario_yaml", text.clone().into_bytes()));
        let name = file.display().to_string();
        let scenario = parse(&name, &text).map_err(|e| e.to_string())?;
        for step in &scenario.steps {
            match &step.action {
                Action::Http {
                    service,
                    method,
                    path,
                    body,
                    form,
                    ..
                } => {
                    let (path, query) = split_path(*service, path);
                    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
                        match (service, key.as_ref()) {
                            (Service::Okta, "filter" | "search") => {
                                seeds.push(("okta_filter", value.into_owned().into_bytes()));
                            }
                            (Service::Kiro, "filter") => {
                                seeds.push(("scim_filter", value.into_owned().into_bytes()));
                            }
                            _ => {}
                        }
                    }
                    let (bytes, is_form) = match (body, form) {
                        (Some(body), _) => (body.to_string().into_bytes(), false),
                        (None, Some(form)) => {
                            let mut out = form_urlencoded::Serializer::new(String::new());
                            for (k, v) in form {
                                out.append_pair(k, v.as_str().unwrap_or(&v.to_string()));
                            }
                            (out.finish().into_bytes(), true)
                        }
                        (None, None) => (Vec::new(), false),
                    };
                    if *service == Service::Kiro
                        && method == reqwest::Method::PATCH
                        && path.contains("/scim/v2/")
                    {
                        let which = u8::from(path.contains("/Groups/"));
                        let mut seed = vec![which];
                        seed.extend_from_slice(&bytes);
                        seeds.push(("scim_patch", seed));
                    }
                    for (table_service, target, table) in &tables {
                        if table_service != service {
                            continue;
                        }
                        if let Some(route) = table
                            .iter()
                            .position(|(m, t)| m == method.as_str() && matches(t, &path))
                        {
                            let mut seed =
                                vec![u8::try_from(route).unwrap_or(u8::MAX), u8::from(is_form)];
                            seed.extend_from_slice(query.as_bytes());
                            seed.push(b'\n');
                            seed.extend_from_slice(&bytes);
                            seeds.push((target, seed));
                        }
                    }
                }
                Action::Dig {
                    name,
                    record_type,
                    over,
                } => {
                    let name = name.replace("${", "x").replace('}', "");
                    if let Ok(message) = scenarios::dig::query_message(&name, record_type, 4242) {
                        let mut seed = vec![u8::from(over.name() == "tcp")];
                        seed.extend_from_slice(&message);
                        seeds.push(("dns_message", seed));
                    }
                }
                _ => {}
            }
        }
    }
    seeds.extend(jwt_seeds()?);
    // The requests the world's DNS admin client makes in every documented setup (the scenario
    // library reaches the DNS API only through it): find or create the zone, add the TXT
    // record.
    let dns_routes = &tables[2].2;
    for (method, path, query, body) in [
        ("GET", "/client/v4/zones", "name=example.com", String::new()),
        (
            "POST",
            "/client/v4/zones",
            "",
            json!({ "name": "example.org" }).to_string(),
        ),
        (
            "POST",
            "/client/v4/zones/x/dns_records",
            "",
            json!({ "type": "TXT", "name": "_kiro-verification.example.com", "content": "kiro-domain-verification=abc", "ttl": 1 }).to_string(),
        ),
        ("GET", "/client/v4/zones/x/dns_records", "type=TXT&page=1&per_page=50", String::new()),
    ] {
        if let Some(route) = dns_routes
            .iter()
            .position(|(m, t)| m == method && matches(t, path))
        {
            let mut seed = vec![u8::try_from(route).unwrap_or(u8::MAX), 0];
            seed.extend_from_slice(query.as_bytes());
            seed.push(b'\n');
            seed.extend_from_slice(body.as_bytes());
            seeds.push(("dns_api", seed));
        }
    }
    // The filter expressions the Rust tests write as string literals.
    for (dirs, target) in [
        (
            &["mock-okta/tests", "mock-okta/src/core"][..],
            "okta_filter",
        ),
        (
            &["mock-kiro/tests", "mock-kiro/src/core"][..],
            "scim_filter",
        ),
    ] {
        for dir in dirs {
            for literal in literals_in(&root.join(dir))? {
                if looks_like_filter(&literal) {
                    seeds.push((target, literal.into_bytes()));
                }
            }
        }
    }

    let mut written = BTreeSet::new();
    for (target, input) in &seeds {
        let dir = root.join("fuzz/corpus").join(target);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let path = dir.join(format!("{:016x}", fnv(input)));
        if written.insert(path.clone()) {
            write(&path, input)?;
        }
    }
    let mut per_target = std::collections::BTreeMap::<&str, usize>::new();
    for (target, _) in &seeds {
        *per_target.entry(target).or_default() += 1;
    }
    for (target, n) in per_target {
        println!("{target}: {n} seeds");
    }
    Ok(())
}

/// The path of a request relative to its service's router, and its query: a Kiro SCIM
/// endpoint variable (`${scim_endpoint}Users`) becomes `/{t}/scim/v2/Users`; the scenario's
/// variables become `x`.
fn split_path(service: Service, path: &str) -> (String, String) {
    let mut path = path.to_string();
    if service == Service::Kiro
        && path.starts_with("${scim_endpoint")
        && let Some(end) = path.find('}')
    {
        path = format!("/{{t}}/scim/v2/{}", &path[end + 1..]);
    }
    let path = if let Some(rest) = path.strip_prefix("http://") {
        rest.find('/')
            .map_or("/".to_string(), |i| rest[i..].to_string())
    } else {
        path
    };
    let (path, query) = path.split_once('?').unwrap_or((&path, ""));
    (unvariable(path), unvariable(query))
}

/// `${name}` → `x`.
fn unvariable(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push('x');
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether `path` fits `template` (`{…}` segments match any one segment).
fn matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}')) || t == p)
}

/// Tokens as the runtime tests present them, signed by dev key 0 (the fuzz target's JWKS
/// holds the four dev keys).
fn jwt_seeds() -> Result<Vec<Seed>, String> {
    let keys = sim_core::keys::dev_keys(sim_core::Seed(0)).map_err(|e| e.to_string())?;
    let key = keys.first().ok_or("no dev key")?;
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let sign = |header: Value, claims: Value| -> Result<Vec<u8>, String> {
        let signed = format!("{}.{}", part(&header), part(&claims));
        let signature = key
            .sign_rs256(signed.as_bytes())
            .map_err(|e| e.to_string())?;
        Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)).into_bytes())
    };
    let header = json!({ "alg": "RS256", "kid": key.kid() });
    // The fuzz target verifies at 2026-01-01; these expire in 2100 or 2025.
    let claims = |iss: &str, exp: u64| {
        json!({
            "iss": iss, "aud": "api://kiro", "exp": exp, "iat": 1_767_225_600u64,
            "cid": "0oafuzz", "uid": "00u1", "sub": "ada@example.com",
            "scp": ["codewhisperer:completions", "codewhisperer:conversations"],
        })
    };
    let mut no_uid = claims("https://idp.test", 4_102_444_800);
    if let Some(map) = no_uid.as_object_mut() {
        map.remove("uid");
    }
    Ok(vec![
        (
            "jwt_verify",
            sign(header.clone(), claims("https://idp.test", 4_102_444_800))?,
        ),
        (
            "jwt_verify",
            sign(header.clone(), claims("https://idp.test", 1_735_689_600))?,
        ),
        (
            "jwt_verify",
            sign(header.clone(), claims("https://other.test", 4_102_444_800))?,
        ),
        ("jwt_verify", sign(header, no_uid)?),
        (
            "jwt_verify",
            format!(
                "{}.{}.",
                part(&json!({ "alg": "none" })),
                part(&claims("https://idp.test", 4_102_444_800))
            )
            .into_bytes(),
        ),
    ])
}

/// The string literals of the `.rs` files in `dir` (escapes `\"` and `\\` undone).
fn literals_in(dir: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '"' {
                continue;
            }
            let mut literal = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('n') => literal.push('\n'),
                        Some(other) => literal.push(other),
                        None => break,
                    },
                    c => literal.push(c),
                }
            }
            out.push(literal);
        }
    }
    Ok(out)
}

/// Whether a literal reads like a filter expression: `attr op …`.
fn looks_like_filter(text: &str) -> bool {
    let mut words = text.split_whitespace();
    let (Some(attr), Some(op)) = (words.next(), words.next()) else {
        return false;
    };
    attr.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        && ["eq", "sw", "co", "gt", "ge", "lt", "le", "pr", "ne", "ew"]
            .contains(&op.to_ascii_lowercase().as_str())
}

/// FNV-1a, 64 bits: a stable name for a seed.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
}
