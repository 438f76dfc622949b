//! Tidy: the invariants ARCHITECTURE.md states, checked over the source tree (in the manner of
//! rust-analyzer's tidy tests), so a change that breaks one fails `cargo test` and says where.
//!
//! - Domain cores (`mock-okta/src/core/`, `mock-kiro/src/core/`, `mock-dns/src/core.rs`) do no
//!   I/O, no async and read no clock: no sockets, files, `tokio`, `axum`, `reqwest`, `hyper`,
//!   `SystemTime::now` or `Instant::now`.
//! - Okta's provisioning core carries no HTTP or SCIM shapes (methods, SCIM schemas,
//!   percent-encoding): the engine's `scim.rs` owns them.
//! - The layers named in ARCHITECTURE.md depend one way (no import cycles between them).
//! - Every Rust module opens with a doc comment saying what it is for.
//! - Nothing reads outside the repository (`../shared`, absolute paths of a home or work folder).
//! - No `.unwrap()` in any crate's `src/` (errors are typed or `expect`ed with a reason).
//! - ARCHITECTURE.md's code map has a section for every workspace member.
//!
//! (That every scenario names catalogue ids that exist, and that every id is covered, is
//! checked by `scenarios/tests/library.rs`.)

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace root")
        .to_path_buf()
}

/// Files under `dir` (recursively) whose name ends with one of `suffixes`; build outputs,
/// dependencies and VCS folders are skipped.
fn files(dir: &Path, suffixes: &[&str]) -> Vec<PathBuf> {
    const SKIP: &[&str] = &["target", ".git", "node_modules", "corpus", "artifacts"];
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !SKIP.contains(&name.as_str()) {
                    stack.push(path);
                }
            } else if suffixes.iter().any(|s| name.ends_with(s)) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
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

/// The code of a line: what precedes a `//` comment that is not inside a string literal
/// (`"https://…"` is code). Raw strings and strings spanning lines are rare enough here that
/// a false hit would be noticed and reworded.
fn code(line: &str) -> &str {
    let bytes = line.as_bytes();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
        i += 1;
    }
    line
}

#[test]
fn code_cuts_comments_but_not_urls_in_strings() {
    assert_eq!(code("let a = 1; // tokio"), "let a = 1; ");
    assert_eq!(
        code(r#"let u = "https://x/\"y"; use tokio; // c"#),
        r#"let u = "https://x/\"y"; use tokio; "#
    );
    assert_eq!(code("//! docs"), "");
}

#[test]
fn domain_cores_do_no_io_no_async_and_read_no_clock() {
    const FORBIDDEN: &[&str] = &[
        "async ",
        ".await",
        "tokio",
        "axum",
        "reqwest",
        "hyper",
        // Address types (`std::net::Ipv4Addr`) are data; sockets are I/O.
        "TcpListener",
        "TcpStream",
        "UdpSocket",
        "ToSocketAddrs",
        "std::fs",
        "SystemTime::now",
        "Instant::now",
        "thread::sleep",
    ];
    let root = root();
    let mut cores = files(&root.join("mock-okta/src/core"), &[".rs"]);
    cores.extend(files(&root.join("mock-kiro/src/core"), &[".rs"]));
    cores.push(root.join("mock-dns/src/core.rs"));
    assert!(cores.len() > 10, "the cores were found: {cores:?}");
    let mut found = Vec::new();
    for path in &cores {
        for (n, line) in read(path).lines().enumerate() {
            for word in FORBIDDEN {
                if code(line).contains(word) {
                    found.push(format!(
                        "{}:{}: `{word}`: {}",
                        rel(path),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "domain cores must stay pure (time passed in, no I/O, no async, no wire crates):\n{}",
        found.join("\n")
    );
}

/// Lines under `paths` (files or folders) whose code contains one of `words`, as
/// "file:line: `word`: line".
fn hits(paths: &[&str], words: &[&str]) -> Vec<String> {
    let root = root();
    let mut found = Vec::new();
    for path in paths {
        let path = root.join(path);
        let list = if path.is_dir() {
            files(&path, &[".rs"])
        } else {
            vec![path.clone()]
        };
        assert!(!list.is_empty(), "nothing found under {path:?}");
        for file in list {
            for (n, line) in read(&file).lines().enumerate() {
                for word in words {
                    if code(line).contains(word) {
                        found.push(format!(
                            "{}:{}: `{word}`: {}",
                            rel(&file),
                            n + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn the_provisioning_core_carries_no_http_or_scim_shapes() {
    let found = hits(
        &["mock-okta/src/core"],
        &[
            "\"GET\"",
            "\"POST\"",
            "\"PUT\"",
            "\"PATCH\"",
            "\"DELETE\"",
            "urn:ietf:params:scim",
            "url::encode",
            "StatusCode",
        ],
    );
    assert!(
        found.is_empty(),
        "Okta's core plans typed push operations; methods, paths, SCIM JSON and status codes \
         belong to the engine (mock-okta/src/provisioning/scim.rs):\n{}",
        found.join("\n")
    );
}

#[test]
fn layers_depend_one_way() {
    // (who, what it must not name, why)
    const RULES: &[(&str, &str, &str)] = &[
        (
            "mock-okta/src/provisioning",
            "crate::api::",
            "the management API calls the push engine, not the reverse",
        ),
        (
            "mock-okta/src/provisioning",
            "crate::wire::",
            "the middleware kicks the push engine, not the reverse",
        ),
        (
            "mock-okta/src/core",
            "crate::provisioning",
            "the core knows no engine",
        ),
        (
            "mock-kiro/src/core/seats.rs",
            "usage::",
            "usage depends on seats, not the reverse (shared dates live in period.rs)",
        ),
        (
            "scenarios/src/expect.rs",
            "crate::run",
            "the runner uses expectations, not the reverse",
        ),
        (
            "scenarios/src/format.rs",
            "crate::parser",
            "the parser builds the format's types, not the reverse",
        ),
        (
            "scenarios/src/vars.rs",
            "crate::run",
            "the runner uses variables, not the reverse",
        ),
        (
            "sim-props/src",
            "scenarios::run::",
            "the property tests use the scenario crate's public parts, not the runner's internals",
        ),
    ];
    let mut found = Vec::new();
    for (who, word, why) in RULES {
        for hit in hits(&[who], &[word]) {
            found.push(format!("{hit}\n    ({why})"));
        }
    }
    assert!(
        found.is_empty(),
        "a layer points the wrong way:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_module_opens_with_a_doc_comment() {
    let root = root();
    let mut missing = Vec::new();
    for path in files(&root, &[".rs"]) {
        let text = read(&path);
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if !first.starts_with("//!") {
            missing.push(rel(&path));
        }
    }
    assert!(
        missing.is_empty(),
        "modules without a `//!` doc comment saying what they are for:\n{}",
        missing.join("\n")
    );
}

#[test]
fn nothing_reads_outside_the_repository() {
    // Paths as strings start them (URL paths like `/home/…` in the middle of a format do not).
    const OUTSIDE: &[&str] = &["../shared", "\"/work/", "\"/home/", "\"/root/", "\"/tmp/"];
    let root = root();
    let mut found = Vec::new();
    let mut sources = files(
        &root,
        &[".rs", ".toml", ".yaml", ".yml", ".py", ".js", ".sh"],
    );
    sources.push(root.join(".ci/run"));
    let me = Path::new(file!())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for path in sources {
        if path.file_name().is_some_and(|n| n.to_string_lossy() == me) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            for word in OUTSIDE {
                if line.contains(word) {
                    found.push(format!("{}:{}: {}", rel(&path), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the repository must stand alone; these name paths outside it:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_unwrap_in_any_crate_source() {
    let root = root();
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&root).expect("workspace root").flatten() {
        let src = entry.path().join("src");
        if !src.is_dir() {
            continue;
        }
        for path in files(&src, &[".rs"]) {
            for (n, line) in read(&path).lines().enumerate() {
                if code(line).contains(".unwrap()") {
                    found.push(format!("{}:{}: {}", rel(&path), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "`.unwrap()` in crate sources (return a typed error, or `expect` with the reason it \
         cannot fail):\n{}",
        found.join("\n")
    );
}

#[test]
fn architecture_md_maps_every_workspace_member() {
    let root = root();
    let manifest = read(&root.join("Cargo.toml"));
    let members: Vec<&str> = manifest
        .split("members = [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("a [workspace] members list")
        .split(',')
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| !m.is_empty())
        .collect();
    assert!(members.len() >= 8, "members parsed: {members:?}");
    let architecture = read(&root.join("ARCHITECTURE.md"));
    let missing: Vec<&&str> = members
        .iter()
        .filter(|m| !architecture.contains(&format!("### `{m}/`")))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md has no `### `NAME/`` section for: {missing:?}"
    );
}
