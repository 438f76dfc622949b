//! The scenario parser: YAML (with positions, `crate::yaml`) to a [`Scenario`], macros
//! expanded, every typed step checked against its declared parameters; each error names
//! `file:line:column` and what was expected.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::actions::{ADMIN_ACTIONS, IDE_ACTIONS, Service};
use crate::format::{
    Action, Actor, Auth, Expect, MACROS_FILE, ParseError, Scenario, Step, WorldSpec,
};
use crate::yaml::{self, Key, Node, NodeKind, Pos};

const MACROS: &str = include_str!("macros.yaml");
/// [`MACROS`] parsed, once per process (every file parsed reads them).
static PARSED_MACROS: std::sync::LazyLock<Result<Node, (Pos, String)>> =
    std::sync::LazyLock::new(|| yaml::parse(MACROS).map_err(|e| (e.pos, e.message)));

struct Ctx<'a> {
    file: &'a str,
    actors: &'a BTreeMap<String, Actor>,
    macros: &'a Node,
    depth: usize,
}

impl Ctx<'_> {
    fn err(&self, pos: Pos, message: impl Into<String>) -> ParseError {
        ParseError {
            file: self.file.to_string(),
            pos,
            message: message.into(),
        }
    }
}

fn err_at(file: &str, pos: Pos, message: impl Into<String>) -> ParseError {
    ParseError {
        file: file.to_string(),
        pos,
        message: message.into(),
    }
}

/// Parses a scenario file's text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Scenario, ParseError> {
    parse_with(file, text, true)
}

/// Parses a setup file's text (`kiro-sim up --setup-file`): a scenario file whose `covers:`
/// may be left out (a setup prepares a world; it tests no behaviour).
pub fn parse_setup(file: &str, text: &str) -> Result<Scenario, ParseError> {
    parse_with(file, text, false)
}

fn parse_with(file: &str, text: &str, covers_required: bool) -> Result<Scenario, ParseError> {
    let root = yaml::parse(text)
        .map_err(|e| err_at(file, e.pos, format!("expected valid YAML: {}", e.message)))?;
    let macros = PARSED_MACROS.as_ref().map_err(|(pos, message)| {
        err_at(MACROS_FILE, *pos, format!("expected valid YAML: {message}"))
    })?;
    let Some(entries) = root.as_map() else {
        return Err(err_at(
            file,
            root.pos,
            format!(
                "expected a mapping with name, covers, actors and steps, found {}",
                root.shape()
            ),
        ));
    };
    const TOP: &[&str] = &[
        "name",
        "covers",
        "seed",
        "pending",
        "world",
        "actors",
        "steps",
        "description",
    ];
    for (k, _) in entries {
        if !TOP.contains(&k.name.as_str()) {
            return Err(err_at(
                file,
                k.pos,
                format!(
                    "unknown key `{}`: expected one of {}",
                    k.name,
                    TOP.join(", ")
                ),
            ));
        }
    }
    let get = |name: &str| entries.iter().find(|(k, _)| k.name == name).map(|(_, v)| v);
    let need = |name: &str| {
        get(name).ok_or_else(|| {
            err_at(
                file,
                root.pos,
                format!("missing field `{name}`: expected a top-level `{name}:`"),
            )
        })
    };
    let name = string(file, need("name")?, "the scenario's name")?;
    let no_covers = yaml::Node {
        pos: root.pos,
        kind: NodeKind::Seq(Vec::new()),
    };
    let covers_node = match get("covers") {
        None if !covers_required => &no_covers,
        _ => need("covers")?,
    };
    let NodeKind::Seq(items) = &covers_node.kind else {
        return Err(err_at(
            file,
            covers_node.pos,
            format!(
                "expected a list of BEHAVIOURS.md ids, found {}",
                covers_node.shape()
            ),
        ));
    };
    let mut covers = Vec::new();
    for item in items {
        covers.push((
            string(file, item, "a BEHAVIOURS.md id like KIRO-DOM-3")?,
            item.pos,
        ));
    }
    let seed = match get("seed") {
        None => None,
        Some(n) => Some(n.to_json().as_u64().ok_or_else(|| {
            err_at(
                file,
                n.pos,
                format!("expected a seed (a whole number), found {}", n.shape()),
            )
        })?),
    };
    let pending = get("pending")
        .map(|n| string(file, n, "the reason the scenario is pending"))
        .transpose()?;
    let world = match get("world") {
        None => WorldSpec::default(),
        Some(n) => world_spec(file, n)?,
    };
    let actors = actors(file, need("actors")?)?;
    let ctx = Ctx {
        file,
        actors: &actors,
        macros,
        depth: 0,
    };
    let steps_node = need("steps")?;
    let steps = steps(&ctx, steps_node, None)?;
    Ok(Scenario {
        file: file.to_string(),
        name,
        covers,
        seed,
        pending,
        world,
        actors,
        steps,
    })
}

fn string(file: &str, node: &Node, what: &str) -> Result<String, ParseError> {
    match &node.kind {
        NodeKind::Scalar(Value::String(s)) => Ok(s.clone()),
        NodeKind::Scalar(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(err_at(
            file,
            node.pos,
            format!("expected {what} (a string), found {}", node.shape()),
        )),
    }
}

fn duration(file: &str, node: &Node) -> Result<Duration, ParseError> {
    let text = string(file, node, "a duration like 90s, 5m or 24h")?;
    sim_core::clock::parse_duration(&text).map_err(|_| {
        err_at(
            file,
            node.pos,
            format!("bad duration `{text}`: expected a duration like 90s, 5m, 1h 30m or 24h"),
        )
    })
}

fn world_spec(file: &str, node: &Node) -> Result<WorldSpec, ParseError> {
    let Some(entries) = node.as_map() else {
        return Err(err_at(
            file,
            node.pos,
            format!(
                "expected a mapping (zones, sync_delay, dns_propagation, domain_check, tls), found {}",
                node.shape()
            ),
        ));
    };
    let mut spec = WorldSpec::default();
    for (k, v) in entries {
        match k.name.as_str() {
            "zones" => {
                let NodeKind::Seq(items) = &v.kind else {
                    return Err(err_at(file, v.pos, "expected a list of zone names"));
                };
                for item in items {
                    spec.zones.push(string(file, item, "a zone name")?);
                }
            }
            "sync_delay" => spec.sync_delay = Some(sim_world::SyncDelay::Fixed(duration(file, v)?)),
            "sync_delay_max" => {
                spec.sync_delay = Some(sim_world::SyncDelay::Seeded {
                    max: duration(file, v)?,
                })
            }
            "dns_propagation" => spec.dns_propagation = Some(duration(file, v)?),
            "domain_check" => spec.domain_check = Some(duration(file, v)?),
            "tls" => {
                let NodeKind::Scalar(Value::Bool(on)) = &v.kind else {
                    return Err(err_at(file, v.pos, "expected true or false"));
                };
                spec.tls = *on;
            }
            other => {
                return Err(err_at(
                    file,
                    k.pos,
                    format!(
                        "unknown world setting `{other}`: expected zones, sync_delay, sync_delay_max, dns_propagation, domain_check or tls"
                    ),
                ));
            }
        }
    }
    Ok(spec)
}

const ACTOR_KINDS: &str = "okta-admin, kiro-admin, dns-admin or { ide: EMAIL, password: … }";

fn actors(file: &str, node: &Node) -> Result<BTreeMap<String, Actor>, ParseError> {
    let Some(entries) = node.as_map() else {
        return Err(err_at(
            file,
            node.pos,
            format!("expected a mapping of actor names to {ACTOR_KINDS}"),
        ));
    };
    let mut out = BTreeMap::new();
    for (k, v) in entries {
        let actor = match (&v.kind, v.as_str()) {
            (_, Some("okta-admin")) => Actor::Admin(Service::Okta),
            (_, Some("kiro-admin")) => Actor::Admin(Service::Kiro),
            (_, Some("dns-admin")) => Actor::Admin(Service::Dns),
            (NodeKind::Map(fields), _) => {
                let mut email = None;
                let mut password = "Correct-Horse-9".to_string();
                for (fk, fv) in fields {
                    match fk.name.as_str() {
                        "ide" => email = Some(string(file, fv, "the user's email")?),
                        "password" => password = string(file, fv, "a password")?,
                        other => {
                            return Err(err_at(
                                file,
                                fk.pos,
                                format!("unknown actor field `{other}`: expected ide or password"),
                            ));
                        }
                    }
                }
                let email = email.ok_or_else(|| {
                    err_at(
                        file,
                        v.pos,
                        "missing field `ide`: expected the IDE user's email",
                    )
                })?;
                Actor::Ide { email, password }
            }
            _ => {
                return Err(err_at(
                    file,
                    v.pos,
                    format!("unknown actor kind: expected {ACTOR_KINDS}"),
                ));
            }
        };
        if out.insert(k.name.clone(), actor).is_some() {
            return Err(err_at(
                file,
                k.pos,
                format!("actor `{}` is declared twice", k.name),
            ));
        }
    }
    Ok(out)
}

/// The step modifiers allowed next to the action key.
const MODIFIERS: &[&str] = &["expect", "save", "note", "with"];

fn steps(ctx: &Ctx<'_>, node: &Node, macro_site: Option<&str>) -> Result<Vec<Step>, ParseError> {
    let NodeKind::Seq(items) = &node.kind else {
        return Err(ctx.err(
            node.pos,
            format!("expected a list of steps, found {}", node.shape()),
        ));
    };
    let mut out = Vec::new();
    for item in items {
        step(ctx, item, macro_site, &mut out)?;
    }
    Ok(out)
}

fn step(
    ctx: &Ctx<'_>,
    node: &Node,
    macro_site: Option<&str>,
    out: &mut Vec<Step>,
) -> Result<(), ParseError> {
    let Some(entries) = node.as_map() else {
        return Err(ctx.err(
            node.pos,
            format!("expected a step (a mapping like `okta.create_user: {{…}}` or `advance: 24h`), found {}", node.shape()),
        ));
    };
    let actions: Vec<&(Key, Node)> = entries
        .iter()
        .filter(|(k, _)| !MODIFIERS.contains(&k.name.as_str()))
        .collect();
    let (key, value) = match actions.as_slice() {
        [one] => (&one.0, &one.1),
        [] => {
            return Err(ctx.err(
                node.pos,
                "missing step kind: expected one of advance, set, http, fault, dig, jwt, totp, use, ACTOR.ACTION",
            ));
        }
        [_, second, ..] => {
            return Err(ctx.err(
                second.0.pos,
                format!(
                    "unexpected `{}`: a step has one action (and expect, save, note)",
                    second.0.name
                ),
            ));
        }
    };
    let origin = match macro_site {
        Some(site) => format!("{site} → {}:{}", MACROS_FILE, key.pos),
        None => format!("{}:{}", ctx.file, key.pos),
    };
    let modifier = |name: &str| entries.iter().find(|(k, _)| k.name == name).map(|(_, v)| v);
    if key.name == "use" {
        return use_macro(ctx, key, value, modifier("with"), &origin, out);
    }
    if let Some((k, _)) = entries.iter().find(|(k, _)| k.name == "with") {
        return Err(ctx.err(k.pos, "unexpected `with`: only a `use:` step takes `with`"));
    }
    let (label, action) = match key.name.as_str() {
        "advance" => {
            let d = duration(ctx.file, value).map_err(|e| ctx.err(e.pos, e.message))?;
            (
                format!("advance {}", string(ctx.file, value, "")?),
                Action::Advance(d),
            )
        }
        "set" => {
            let Value::Object(map) = value.to_json() else {
                return Err(ctx.err(value.pos, "expected a mapping of variable names to values"));
            };
            ("set".to_string(), Action::Set(map))
        }
        "http" => http(ctx, value)?,
        "fault" => fault(ctx, value)?,
        "dig" => dig(ctx, value)?,
        "jwt" => (
            "decode JWT".to_string(),
            Action::Jwt(string(
                ctx.file,
                value,
                "a JWT or a variable like \"${access}\"",
            )?),
        ),
        "totp" => (
            "authenticator code".to_string(),
            Action::Totp(string(
                ctx.file,
                value,
                "a base32 TOTP secret or a variable like \"${secret}\"",
            )?),
        ),
        name => typed(ctx, key, name, value)?,
    };
    let expect = match modifier("expect") {
        None => Expect::default(),
        Some(n) => expect(ctx, n)?,
    };
    let mut save = Vec::new();
    if let Some(n) = modifier("save") {
        let Some(fields) = n.as_map() else {
            return Err(ctx.err(
                n.pos,
                "expected a mapping of variable names to JSON paths like $.id",
            ));
        };
        for (k, v) in fields {
            let path = string(ctx.file, v, "a JSON path like $.id")?;
            if !path.starts_with('$') {
                return Err(ctx.err(v.pos, format!("bad JSON path `{path}`: expected a path starting with $ like $.id or $.result[0].id")));
            }
            save.push((k.name.clone(), path));
        }
    }
    let note = modifier("note")
        .map(|n| string(ctx.file, n, "a note"))
        .transpose()?;
    out.push(Step {
        origin,
        label,
        action,
        expect,
        save,
        note,
    });
    Ok(())
}

fn use_macro(
    ctx: &Ctx<'_>,
    key: &Key,
    value: &Node,
    with: Option<&Node>,
    origin: &str,
    out: &mut Vec<Step>,
) -> Result<(), ParseError> {
    let name = string(ctx.file, value, "a macro name")?;
    let macros = ctx.macros.as_map().unwrap_or_default();
    let Some((_, def)) = macros.iter().find(|(k, _)| k.name == name) else {
        let known: Vec<&str> = macros.iter().map(|(k, _)| k.name.as_str()).collect();
        return Err(ctx.err(
            value.pos,
            format!(
                "unknown macro `{name}`: expected one of {}",
                known.join(", ")
            ),
        ));
    };
    if ctx.depth > 8 {
        return Err(ctx.err(key.pos, format!("macro `{name}` nests too deeply")));
    }
    let def_map = def.as_map().unwrap_or_default();
    let field = |f: &str| def_map.iter().find(|(k, _)| k.name == f).map(|(_, v)| v);
    // Parameters: defaults from the macro, overridden by `with`.
    let mut params: Map<String, Value> = match field("params").map(Node::to_json) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    if let Some(with) = with {
        let Some(entries) = with.as_map() else {
            return Err(ctx.err(with.pos, "expected a mapping of macro parameters"));
        };
        for (k, v) in entries {
            if !params.contains_key(&k.name) {
                let known: Vec<&String> = params.keys().collect();
                return Err(ctx.err(
                    k.pos,
                    format!(
                        "unknown parameter `{}` of macro `{name}`: expected one of {}",
                        k.name,
                        known
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            params.insert(k.name.clone(), v.to_json());
        }
    }
    // The macro's admin actors are named after their service; map them to the file's.
    let mut actors = BTreeMap::new();
    for service in [Service::Okta, Service::Kiro, Service::Dns] {
        if let Some((name, _)) = ctx
            .actors
            .iter()
            .find(|(_, a)| **a == Actor::Admin(service))
        {
            actors.insert(
                service.name().to_string(),
                (name.clone(), Actor::Admin(service)),
            );
        }
    }
    let renamed: BTreeMap<String, Actor> = actors
        .iter()
        .map(|(alias, (_, actor))| (alias.clone(), actor.clone()))
        .collect();
    let inner = Ctx {
        file: MACROS_FILE,
        actors: &renamed,
        macros: ctx.macros,
        depth: ctx.depth + 1,
    };
    let Some(steps_node) = field("steps") else {
        return Err(err_at(
            MACROS_FILE,
            def.pos,
            format!("macro `{name}` has no steps"),
        ));
    };
    let site = format!("{origin} (macro {name})");
    out.push(Step {
        origin: site.clone(),
        label: format!("use {name}"),
        action: Action::Set(params),
        expect: Expect::default(),
        save: Vec::new(),
        note: None,
    });
    let expanded = steps(&inner, steps_node, Some(&site)).map_err(|e| {
        if e.file == MACROS_FILE {
            // A macro step names an actor the scenario lacks, or similar: report at `use:`.
            ctx.err(
                value.pos,
                format!("in macro `{name}` ({}:{}): {}", e.file, e.pos, e.message),
            )
        } else {
            e
        }
    })?;
    for mut s in expanded {
        // Map the macro's actor aliases to the scenario's actor names.
        match &mut s.action {
            Action::Admin { actor, .. } | Action::Ide { actor, .. } => {
                if let Some((real, _)) = actors.get(actor.as_str()) {
                    *actor = real.clone();
                }
            }
            _ => {}
        }
        out.push(s);
    }
    Ok(())
}

fn typed(
    ctx: &Ctx<'_>,
    key: &Key,
    name: &str,
    value: &Node,
) -> Result<(String, Action), ParseError> {
    let Some((actor_name, action_name)) = name.split_once('.') else {
        return Err(ctx.err(
            key.pos,
            format!("unknown step kind `{name}`: expected advance, set, http, fault, dig, jwt, totp, use or ACTOR.ACTION (e.g. okta.create_user)"),
        ));
    };
    let Some(actor) = ctx.actors.get(actor_name) else {
        let known: Vec<&str> = ctx.actors.keys().map(String::as_str).collect();
        return Err(ctx.err(
            key.pos,
            format!(
                "unknown actor `{actor_name}`: expected one of the actors declared under `actors:` ({})",
                known.join(", ")
            ),
        ));
    };
    let args = match &value.kind {
        NodeKind::Scalar(Value::Null) => Map::new(),
        NodeKind::Map(_) => match value.to_json() {
            Value::Object(m) => m,
            _ => Map::new(),
        },
        _ => {
            return Err(ctx.err(
                value.pos,
                format!(
                    "expected the arguments of `{name}` as a mapping, found {}",
                    value.shape()
                ),
            ));
        }
    };
    let arg_keys: Vec<&Key> = value
        .as_map()
        .map(|m| m.iter().map(|(k, _)| k).collect())
        .unwrap_or_default();
    let (required, optional, action) = match actor {
        Actor::Admin(service) => {
            let Some(action) = ADMIN_ACTIONS
                .iter()
                .find(|a| a.service == *service && a.name == action_name)
            else {
                let known: Vec<&str> = ADMIN_ACTIONS
                    .iter()
                    .filter(|a| a.service == *service)
                    .map(|a| a.name)
                    .collect();
                return Err(ctx.err(
                    key.pos,
                    format!(
                        "unknown step kind `{action_name}` for {}-admin `{actor_name}`: expected one of {}",
                        service.name(),
                        known.join(", ")
                    ),
                ));
            };
            (
                action.required,
                action.optional,
                Action::Admin {
                    actor: actor_name.to_string(),
                    action,
                    args: args.clone(),
                },
            )
        }
        Actor::Ide { .. } => {
            let Some((_, action, required, optional)) =
                IDE_ACTIONS.iter().find(|(n, ..)| *n == action_name)
            else {
                let known: Vec<&str> = IDE_ACTIONS.iter().map(|(n, ..)| *n).collect();
                return Err(ctx.err(
                    key.pos,
                    format!(
                        "unknown step kind `{action_name}` for IDE user `{actor_name}`: expected one of {}",
                        known.join(", ")
                    ),
                ));
            };
            (
                *required,
                *optional,
                Action::Ide {
                    actor: actor_name.to_string(),
                    action: *action,
                    args: args.clone(),
                },
            )
        }
    };
    for k in &arg_keys {
        if !required.contains(&k.name.as_str()) && !optional.contains(&k.name.as_str()) {
            let mut all: Vec<&str> = required.to_vec();
            all.extend(optional.iter());
            return Err(ctx.err(
                k.pos,
                format!(
                    "unknown field `{}` of `{name}`: expected one of {}",
                    k.name,
                    all.join(", ")
                ),
            ));
        }
    }
    for r in required {
        if !args.contains_key(*r) {
            return Err(ctx.err(
                value.pos,
                format!(
                    "missing field `{r}` of `{name}`: expected {}",
                    required.join(", ")
                ),
            ));
        }
    }
    // An admin step whose arguments are all written out (no `${…}` to fill in at run time)
    // is built now, so a value of the wrong kind is an error here, with its place.
    if let Action::Admin { action: admin, .. } = &action
        && !mentions_variable(&args)
        && let Err(e) = (admin.build)(&args)
    {
        return Err(ctx.err(value.pos, format!("`{name}`: {e}")));
    }
    Ok((name.to_string(), action))
}

/// Whether any string in `args` uses a `${…}` variable.
fn mentions_variable(args: &Map<String, Value>) -> bool {
    fn any(value: &Value) -> bool {
        match value {
            Value::String(s) => s.contains("${"),
            Value::Array(items) => items.iter().any(any),
            Value::Object(map) => map.values().any(any),
            _ => false,
        }
    }
    args.values().any(any)
}

/// `fault: {service, method?, path, action, times?, probability?}` adds a fault rule to a
/// service (SIM-FAULT-11): a typed `sim_core::faults::FaultRule`, checked here as the service
/// checks it, sent as `POST /_sim/faults` (answer: the rule with its `id`, to `save`).
/// `fault: {service, clear: true}` removes every rule of the service, `fault: {service,
/// remove: ID}` one.
fn fault(ctx: &Ctx<'_>, value: &Node) -> Result<(String, Action), ParseError> {
    const SHAPE: &str = "expected a fault: { service, method?, path, action, times?, probability? }, { service, clear: true } or { service, remove: ID }";
    let Some(entries) = value.as_map() else {
        return Err(ctx.err(value.pos, SHAPE));
    };
    let get = |n: &str| entries.iter().find(|(k, _)| k.name == n).map(|(_, v)| v);
    let Some(service_node) = get("service") else {
        return Err(ctx.err(
            value.pos,
            format!("missing field `service` of `fault`: {SHAPE}"),
        ));
    };
    let service_name = string(ctx.file, service_node, "okta, kiro or dns")?;
    let service = Service::parse(&service_name).ok_or_else(|| {
        ctx.err(
            service_node.pos,
            format!("unknown service `{service_name}`: expected okta, kiro or dns"),
        )
    })?;
    let http = |method: reqwest::Method, path: String, body: Option<Value>| Action::Http {
        service,
        method,
        path,
        body,
        form: None,
        auth: Auth::None,
    };
    if let Some(clear) = get("clear") {
        if entries.len() != 2 || clear.to_json() != Value::Bool(true) {
            return Err(ctx.err(clear.pos, "expected `clear: true` next to `service` only"));
        }
        return Ok((
            format!("fault {} clear", service.name()),
            http(reqwest::Method::DELETE, "/_sim/faults".into(), None),
        ));
    }
    if let Some(remove) = get("remove") {
        if entries.len() != 2 {
            return Err(ctx.err(remove.pos, "expected `remove: ID` next to `service` only"));
        }
        let id = string(ctx.file, remove, "a rule id like f1 or \"${fault}\"")?;
        return Ok((
            format!("fault {} remove {id}", service.name()),
            http(reqwest::Method::DELETE, format!("/_sim/faults/{id}"), None),
        ));
    }
    let mut rule = value.to_json();
    if let Value::Object(map) = &mut rule {
        map.remove("service");
    }
    let parsed: sim_core::faults::FaultRule = serde_json::from_value(rule.clone())
        .map_err(|error| ctx.err(value.pos, format!("bad fault rule: {error}")))?;
    parsed
        .check()
        .map_err(|error| ctx.err(value.pos, format!("bad fault rule: {error}")))?;
    Ok((
        format!("fault {} {}", service.name(), parsed.describe()),
        http(reqwest::Method::POST, "/_sim/faults".into(), Some(rule)),
    ))
}

fn http(ctx: &Ctx<'_>, value: &Node) -> Result<(String, Action), ParseError> {
    let Some(entries) = value.as_map() else {
        return Err(ctx.err(
            value.pos,
            "expected an http request: { service, method, path, body?, form?, as? }",
        ));
    };
    const FIELDS: &[&str] = &["service", "method", "path", "body", "form", "as"];
    for (k, _) in entries {
        if !FIELDS.contains(&k.name.as_str()) {
            return Err(ctx.err(
                k.pos,
                format!(
                    "unknown field `{}` of `http`: expected one of {}",
                    k.name,
                    FIELDS.join(", ")
                ),
            ));
        }
    }
    let get = |n: &str| entries.iter().find(|(k, _)| k.name == n).map(|(_, v)| v);
    let need = |n: &str| {
        get(n).ok_or_else(|| {
            ctx.err(
                value.pos,
                format!("missing field `{n}` of `http`: expected service, method and path"),
            )
        })
    };
    let service_node = need("service")?;
    let service_name = string(ctx.file, service_node, "okta, kiro or dns")?;
    let service = Service::parse(&service_name).ok_or_else(|| {
        ctx.err(
            service_node.pos,
            format!("unknown service `{service_name}`: expected okta, kiro or dns"),
        )
    })?;
    let method_node = need("method")?;
    let method_name = string(ctx.file, method_node, "an HTTP method")?.to_uppercase();
    let method = match method_name.as_str() {
        "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => {
            reqwest::Method::from_bytes(method_name.as_bytes()).unwrap_or(reqwest::Method::GET)
        }
        _ => {
            return Err(ctx.err(
                method_node.pos,
                format!("unknown method `{method_name}`: expected GET, POST, PUT, PATCH or DELETE"),
            ));
        }
    };
    let path = string(ctx.file, need("path")?, "a path like /api/v1/users")?;
    let body = get("body").map(Node::to_json);
    let form = match get("form") {
        None => None,
        Some(n) => match n.to_json() {
            Value::Object(m) => Some(m),
            _ => return Err(ctx.err(n.pos, "expected the form fields as a mapping")),
        },
    };
    let auth = match get("as") {
        None => Auth::Admin,
        Some(n) => {
            let text = string(ctx.file, n, "admin, none, bearer VALUE or ssws VALUE")?;
            match text.split_once(' ') {
                _ if text == "admin" => Auth::Admin,
                _ if text == "none" => Auth::None,
                Some(("bearer", v)) => Auth::Bearer(v.trim().to_string()),
                Some(("ssws", v)) => Auth::Ssws(v.trim().to_string()),
                _ => {
                    return Err(ctx.err(
                        n.pos,
                        format!("unknown authorization `{text}`: expected admin, none, bearer VALUE or ssws VALUE"),
                    ));
                }
            }
        }
    };
    Ok((
        format!("http {} {method} {path}", service.name()),
        Action::Http {
            service,
            method,
            path,
            body,
            form,
            auth,
        },
    ))
}

fn dig(ctx: &Ctx<'_>, value: &Node) -> Result<(String, Action), ParseError> {
    let Some(entries) = value.as_map() else {
        return Err(ctx.err(
            value.pos,
            "expected a DNS query: { name, type, over? } (over: udp or tcp)",
        ));
    };
    let mut name = None;
    let mut record_type = "A".to_string();
    let mut over = crate::dig::Transport::Udp;
    for (k, v) in entries {
        match k.name.as_str() {
            "name" => name = Some(string(ctx.file, v, "a DNS name like _kiro.example.com")?),
            "type" => {
                let t = string(ctx.file, v, "a record type")?.to_ascii_uppercase();
                if !crate::dig::TYPES.contains(&t.as_str()) {
                    return Err(ctx.err(
                        v.pos,
                        format!(
                            "unknown record type `{t}`: expected one of {}",
                            crate::dig::TYPES.join(", ")
                        ),
                    ));
                }
                record_type = t;
            }
            "over" => {
                let text = string(ctx.file, v, "udp or tcp")?;
                over = crate::dig::Transport::parse(&text).ok_or_else(|| {
                    ctx.err(
                        v.pos,
                        format!("unknown transport `{text}`: expected udp or tcp"),
                    )
                })?;
            }
            other => {
                return Err(ctx.err(
                    k.pos,
                    format!("unknown field `{other}` of `dig`: expected name, type or over"),
                ));
            }
        }
    }
    let name = name.ok_or_else(|| {
        ctx.err(
            value.pos,
            "missing field `name` of `dig`: expected the name to look up",
        )
    })?;
    Ok((
        format!("dig {record_type} {name} over {}", over.name()),
        Action::Dig {
            name,
            record_type,
            over,
        },
    ))
}

fn expect(ctx: &Ctx<'_>, node: &Node) -> Result<Expect, ParseError> {
    let Some(entries) = node.as_map() else {
        return Err(ctx.err(
            node.pos,
            format!(
                "expected a mapping with status, error, json or location, found {}",
                node.shape()
            ),
        ));
    };
    let mut e = Expect::default();
    for (k, v) in entries {
        match k.name.as_str() {
            "status" => {
                let values = match v.to_json() {
                    Value::Array(items) => items,
                    one => vec![one],
                };
                for item in values {
                    let code = item.as_u64().filter(|c| (100..600).contains(c)).ok_or_else(|| {
                        ctx.err(v.pos, format!("bad status `{item}`: expected an HTTP status like 200 or a list of them"))
                    })?;
                    e.status.push(code as u16);
                }
            }
            "error" => e.error = Some(string(ctx.file, v, "the text the error must contain")?),
            "location" => {
                e.location = Some(string(ctx.file, v, "the text the redirect must contain")?)
            }
            "json" => {
                let Some(checks) = v.as_map() else {
                    return Err(ctx.err(
                        v.pos,
                        "expected a mapping of JSON paths ($.a.b[0]) to values or matchers",
                    ));
                };
                for (path, m) in checks {
                    if !path.name.starts_with('$') {
                        return Err(ctx.err(
                            path.pos,
                            format!(
                                "bad JSON path `{}`: expected a path starting with $ like $.status",
                                path.name
                            ),
                        ));
                    }
                    e.json.push((path.name.clone(), m.to_json()));
                }
            }
            other => {
                return Err(ctx.err(
                    k.pos,
                    format!(
                        "unknown expectation `{other}`: expected status, error, json or location"
                    ),
                ));
            }
        }
    }
    Ok(e)
}
