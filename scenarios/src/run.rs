//! Runs one scenario against its own in-process world, through the services' real HTTP APIs
//! (`sim_world::clients`) and the Kiro IDE client (`sim_world::ide`), and records a
//! transcript: one line per step with the world time, what was done and what came back.
//! The transcript has no wall-clock times or ports in it, so the same seed gives the same
//! transcript.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value, json};
use sim_core::Seed;
use sim_world::clients::{Api, Body, ClientError, Response};
use sim_world::ide::{Ide, IdeError, LOOPBACK_PORTS};
use sim_world::{World, WorldConfig};

use crate::actions::{IdeAction, Request, Service};
use crate::expect::{Answer, check, short};
use crate::format::{Action, Actor, Auth, Scenario, Step, WorldSpec};
use crate::vars::{subst, subst_str};

/// How a scenario ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every step met its expectation.
    Passed,
    /// A step did not.
    Failed(Failure),
    /// Not run: the file says why.
    Pending(String),
}

/// The step that failed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// 1-based number of the step (macros expanded).
    pub step: usize,
    /// Where the step is written.
    pub origin: String,
    /// What it does.
    pub label: String,
    /// What was expected.
    pub expected: String,
    /// What happened.
    pub actual: String,
    /// The events around the failure, across the three services.
    pub timeline: Vec<String>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "step {} `{}` at {}", self.step, self.label, self.origin)?;
        writeln!(f, "  expected: {}", self.expected)?;
        writeln!(f, "  actual:   {}", self.actual)?;
        if !self.timeline.is_empty() {
            writeln!(f, "  timeline:")?;
            for line in &self.timeline {
                writeln!(f, "    {line}")?;
            }
        }
        Ok(())
    }
}

/// The result of running one scenario.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The scenario file.
    pub file: String,
    /// Its name.
    pub name: String,
    /// Passed, failed or pending.
    pub status: Status,
    /// The transcript (deterministic for a seed).
    pub transcript: String,
    /// Wall time taken.
    pub elapsed: Duration,
}

impl Outcome {
    /// The status in words, with the failure's details.
    pub fn status_text(&self) -> String {
        match &self.status {
            Status::Passed => "passed".into(),
            Status::Pending(reason) => format!("pending: {reason}"),
            Status::Failed(f) => format!("failed: {f}"),
        }
    }
}

/// How many timeline entries of the services a failure shows (the newest).
const TIMELINE_ENTRIES: usize = 30;

/// What a running scenario holds.
struct Run<'a> {
    scenario: &'a Scenario,
    world: &'a World,
    okta: Api,
    kiro: Api,
    dns: Api,
    vars: BTreeMap<String, Value>,
    /// Each IDE user's IDE (its token cache and HTTP connections live across steps).
    ides: BTreeMap<String, Ide>,
    transcript: Vec<String>,
    /// `(world time, line)` of every request, for the failure timeline.
    events: Vec<(String, String)>,
    urls: Vec<(String, String)>,
    /// The id of the last `dig:` query.
    dig_id: u16,
}

fn time(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Runs a scenario with `seed` (the file's own seed, else 0, when `None`).
pub async fn run(scenario: &Scenario, seed: Option<u64>) -> Outcome {
    let started = Instant::now();
    let seed = Seed(seed.or(scenario.seed).unwrap_or(0));
    let mut head = format!(
        "scenario: {} ({})\nseed: {}\n",
        scenario.name, scenario.file, seed.0
    );
    if let Some(reason) = &scenario.pending {
        head.push_str(&format!("pending: {reason}\n"));
        return Outcome {
            file: scenario.file.clone(),
            name: scenario.name.clone(),
            status: Status::Pending(reason.clone()),
            transcript: head,
            elapsed: started.elapsed(),
        };
    }
    let world = match World::start(world_config(
        &scenario.world,
        WorldConfig {
            seed,
            // Pinned, so the same seed gives the same transcript byte for byte.
            epoch: sim_core::clock::fixed_epoch(),
            ..WorldConfig::default()
        },
    ))
    .await
    {
        Ok(w) => w,
        Err(e) => return not_started(scenario, head, started, e.to_string()),
    };
    let ides = scenario
        .actors
        .iter()
        .filter(|(_, a)| matches!(a, Actor::Ide { .. }))
        .map(|(n, _)| {
            // The IDE listens on the first registered port, or the next free one.
            let rng = seed.stream(&format!("scenario-ide/{n}"));
            let ide = Ide::new(&world.kiro().url(), LOOPBACK_PORTS[0], rng, world.trust())?;
            Ok((n.clone(), ide))
        })
        .collect::<Result<_, sim_world::ide::IdeError>>();
    let ides = match ides {
        Ok(ides) => ides,
        Err(e) => {
            world.shutdown().await;
            return not_started(scenario, head, started, e.to_string());
        }
    };
    let mut run = Run::new(scenario, &world, seed, ides, head.trim_end(), false);
    let status = run.steps().await;
    let transcript = run.transcript.join("\n") + "\n";
    drop(run);
    world.shutdown().await;
    Outcome {
        file: scenario.file.clone(),
        name: scenario.name.clone(),
        status,
        transcript,
        elapsed: started.elapsed(),
    }
}

/// `base` with a scenario file's `world:` settings applied over it: its zones added, its
/// delays and check interval (where given) in place of `base`'s, https if either asks.
pub fn world_config(spec: &WorldSpec, base: WorldConfig) -> WorldConfig {
    let mut zones = base.zones.clone();
    for zone in &spec.zones {
        if !zones.contains(zone) {
            zones.push(zone.clone());
        }
    }
    WorldConfig {
        zones,
        tls: base.tls || spec.tls,
        sync_delay: spec.sync_delay.unwrap_or(base.sync_delay),
        dns_propagation: spec.dns_propagation.unwrap_or(base.dns_propagation),
        domain_check_interval: spec.domain_check.unwrap_or(base.domain_check_interval),
        ..base
    }
}

/// Why a scenario file cannot be a sandbox's setup, if it cannot: it is pending, or a step
/// acts as an IDE user (a setup prepares the world through the admin APIs; sign-ins are the
/// tests' business).
pub fn check_setup(scenario: &Scenario) -> Result<(), String> {
    if let Some(reason) = &scenario.pending {
        return Err(format!(
            "{}: the scenario is pending ({reason}); a setup file must run",
            scenario.file
        ));
    }
    for step in &scenario.steps {
        if let Action::Ide { actor, .. } = &step.action {
            return Err(format!(
                "{}: `{}` acts as the IDE user `{actor}`; a setup file may use admin, http, dig, \
                 advance, set, jwt and totp steps only",
                step.origin, step.label
            ));
        }
    }
    Ok(())
}

/// Runs a scenario's steps (a setup file: see [`check_setup`]) against a world that is
/// already running, with clients marked internal (they pass a sandbox's closed gate), and
/// returns the variables its steps saved or set; the error is the failed step with its
/// timeline.
pub async fn apply(scenario: &Scenario, world: &World) -> Result<Map<String, Value>, String> {
    check_setup(scenario)?;
    let seed = world.seed();
    let head = format!("setup: {} ({})", scenario.name, scenario.file);
    let mut run = Run::new(scenario, world, seed, BTreeMap::new(), &head, true);
    let builtins: Vec<String> = run.vars.keys().cloned().collect();
    match run.steps().await {
        Status::Passed => {}
        Status::Failed(failure) => return Err(format!("{}: {failure}", scenario.file)),
        Status::Pending(reason) => return Err(format!("pending: {reason}")),
    }
    Ok(run
        .vars
        .into_iter()
        .filter(|(name, _)| !builtins.contains(name))
        .collect())
}

/// A scenario file as a sandbox's setup (`kiro-sim up --setup-file`): [`apply`] on every
/// fresh world.
#[derive(Debug)]
pub struct FileSetup(pub Scenario);

impl sim_world::sandbox::CustomSetup for FileSetup {
    fn apply<'a>(&'a self, world: &'a World) -> sim_world::sandbox::SetupFuture<'a> {
        Box::pin(apply(&self.0, world))
    }
}

/// The outcome of a scenario whose world (or one of its IDEs) could not start.
fn not_started(
    scenario: &Scenario,
    transcript: String,
    started: std::time::Instant,
    actual: String,
) -> Outcome {
    Outcome {
        file: scenario.file.clone(),
        name: scenario.name.clone(),
        status: Status::Failed(Failure {
            step: 0,
            origin: scenario.file.clone(),
            label: "start the world".into(),
            expected: "the world starts".into(),
            actual,
            timeline: Vec::new(),
        }),
        transcript,
        elapsed: started.elapsed(),
    }
}

impl<'a> Run<'a> {
    /// A run of `scenario`'s steps on `world`; `internal`: its admin clients carry the
    /// sandbox's internal marker.
    fn new(
        scenario: &'a Scenario,
        world: &'a World,
        seed: Seed,
        ides: BTreeMap<String, Ide>,
        head: &str,
        internal: bool,
    ) -> Run<'a> {
        let clients = world.clients();
        let clients = if internal {
            clients.as_ref().clone().internal()
        } else {
            clients.as_ref().clone()
        };
        let urls = vec![
            (
                world.okta().url().trim_end_matches('/').to_string(),
                "${okta_url}".to_string(),
            ),
            (
                world.kiro().url().trim_end_matches('/').to_string(),
                "${kiro_url}".to_string(),
            ),
            (
                world.dns().api_url().trim_end_matches('/').to_string(),
                "${dns_url}".to_string(),
            ),
        ];
        let mut vars = BTreeMap::new();
        vars.insert("okta_url".into(), json!(urls[0].0));
        vars.insert("kiro_url".into(), json!(urls[1].0));
        vars.insert("dns_url".into(), json!(urls[2].0));
        vars.insert("seed".into(), json!(seed.0));
        Run {
            scenario,
            world,
            okta: clients.okta.api,
            kiro: clients.kiro.api,
            dns: clients.dns.api,
            vars,
            ides,
            transcript: vec![head.to_string()],
            events: Vec::new(),
            urls,
            dig_id: 0,
        }
    }

    fn normalize(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (url, name) in &self.urls {
            out = out.replace(url.as_str(), name);
        }
        out
    }

    fn now(&self) -> String {
        time(self.world.clock().now())
    }

    async fn steps(&mut self) -> Status {
        let scenario = self.scenario;
        for (i, step) in scenario.steps.iter().enumerate() {
            let n = i + 1;
            let at = self.now();
            let answer = match self.step(step).await {
                Ok(answer) => answer,
                Err(message) => {
                    self.transcript
                        .push(format!("[{at}] #{n} {} — error: {message}", step.label));
                    return self.fail(n, step, "the step can run".into(), message).await;
                }
            };
            let Some(answer) = answer else {
                self.transcript.push(format!("[{at}] #{n} {}", step.label));
                continue;
            };
            let line = format!(
                "[{at}] #{n} {} → {}",
                step.label,
                self.normalize(&answer.summary())
            );
            self.events.push((at.clone(), line.clone()));
            self.transcript.push(line);
            if let Some(note) = &step.note {
                self.transcript.push(format!("      note: {note}"));
            }
            let expect = match self.subst_expect(step) {
                Ok(e) => e,
                Err(message) => return self.fail(n, step, "known variables".into(), message).await,
            };
            if let Err((expected, actual)) = check(&expect, &answer) {
                let actual = self.normalize(&actual);
                let expected = self.normalize(&expected);
                return self.fail(n, step, expected, actual).await;
            }
            for (name, path) in &step.save {
                match crate::expect::lookup_answer(&answer, path) {
                    Some(value) => {
                        let shown = short(&self.normalize(&value.to_string()));
                        self.transcript.push(format!("      {name} = {shown}"));
                        self.vars.insert(name.clone(), value);
                    }
                    None => {
                        return self
                            .fail(
                                n,
                                step,
                                format!("a value at {path} to save as `{name}`"),
                                format!(
                                    "nothing there in {}",
                                    short(&self.normalize(&answer.body.to_string()))
                                ),
                            )
                            .await;
                    }
                }
            }
        }
        Status::Passed
    }

    async fn fail(&mut self, n: usize, step: &Step, expected: String, actual: String) -> Status {
        self.transcript.push(format!("FAILED at step #{n}"));
        // The timeline: the last requests of this scenario and Okta's System Log around them.
        let mut timeline: Vec<(String, String)> =
            self.events.iter().rev().take(8).rev().cloned().collect();
        let since = timeline
            .first()
            .map(|(t, _)| t.clone())
            .unwrap_or_else(|| self.now());
        // The sandbox's timeline (sim_world::timeline): Okta's System Log and Kiro's event
        // feed (SCIM calls and answers, seat grants, refusals with their reason) since then.
        if let Ok(http) = sim_core::outbound::client(self.world.trust())
            && let Ok(entries) =
                sim_world::timeline::gather(&http, &self.world.ready_fields()).await
        {
            for e in entries
                .iter()
                .filter(|e| e.at.get(..19) >= since.get(..19))
                .take(TIMELINE_ENTRIES)
            {
                timeline.push((e.at.clone(), e.line()));
            }
        }
        timeline.sort_by(|a, b| a.0.get(..19).cmp(&b.0.get(..19)));
        Status::Failed(Failure {
            step: n,
            origin: step.origin.clone(),
            label: step.label.clone(),
            expected,
            actual,
            timeline: timeline
                .into_iter()
                .map(|(_, l)| self.normalize(&l))
                .collect(),
        })
    }

    fn subst_expect(&self, step: &Step) -> Result<crate::format::Expect, String> {
        let mut e = step.expect.clone();
        if let Some(text) = &e.error {
            e.error = Some(subst_str(text, &self.vars)?);
        }
        if let Some(text) = &e.location {
            e.location = Some(subst_str(text, &self.vars)?);
        }
        for (_, m) in e.json.iter_mut() {
            *m = subst(m, &self.vars)?;
        }
        Ok(e)
    }

    /// Runs one step; `None` for steps without an answer (advance, set).
    async fn step(&mut self, step: &Step) -> Result<Option<Answer>, String> {
        match &step.action {
            Action::Advance(by) => {
                self.world.advance(*by).await;
                Ok(None)
            }
            Action::Set(values) => {
                for (k, v) in values {
                    let v = subst(v, &self.vars)?;
                    self.vars.insert(k.clone(), v);
                }
                Ok(None)
            }
            Action::Http {
                service,
                method,
                path,
                body,
                form,
                auth,
            } => {
                let path = subst_str(path, &self.vars)?;
                let body = match (body, form) {
                    (_, Some(form)) => {
                        let mut pairs = Vec::new();
                        for (k, v) in form {
                            let v = subst(v, &self.vars)?;
                            let v = match v {
                                Value::String(s) => s,
                                other => other.to_string(),
                            };
                            pairs.push((k.clone(), v));
                        }
                        Body::Form(pairs)
                    }
                    (Some(b), None) => Body::Json(subst(b, &self.vars)?),
                    (None, None) => Body::None,
                };
                let api = self.api(*service);
                let api = match auth {
                    Auth::Admin => api,
                    Auth::None => api.with_authorization(None),
                    Auth::Bearer(v) => api
                        .with_authorization(Some(format!("Bearer {}", subst_str(v, &self.vars)?))),
                    Auth::Ssws(v) => {
                        api.with_authorization(Some(format!("SSWS {}", subst_str(v, &self.vars)?)))
                    }
                };
                let request = Request {
                    method: method.clone(),
                    path,
                    body,
                };
                self.send(*service, &api, request).await.map(Some)
            }
            Action::Dig {
                name,
                record_type,
                over,
            } => {
                let name = subst_str(name, &self.vars)?;
                self.dig_id = self.dig_id.wrapping_add(1);
                let body = crate::dig::query(
                    self.world.dns().dns_addr(),
                    &name,
                    record_type,
                    *over,
                    self.dig_id,
                )
                .await?;
                Ok(Some(Answer {
                    request: format!("dig {record_type} {name} over {}", over.name()),
                    status: None,
                    body,
                    error: None,
                    location: None,
                    headers: Default::default(),
                }))
            }
            Action::Jwt(token) => {
                let token = subst_str(token, &self.vars)?;
                Ok(Some(decoded_jwt(&token)))
            }
            Action::Totp(secret) => {
                let secret = subst_str(secret, &self.vars)?;
                let code = sim_core::totp::code_at(&secret, self.world.clock().now())
                    .ok_or_else(|| format!("`{secret}` is not a base32 TOTP secret"))?;
                Ok(Some(Answer {
                    request: "totp".into(),
                    status: None,
                    body: json!({ "code": code }),
                    error: None,
                    location: None,
                    headers: Default::default(),
                }))
            }
            Action::Admin { action, args, .. } => {
                let args = match subst(&Value::Object(args.clone()), &self.vars)? {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                let request = (action.build)(&args)
                    .map_err(|e| format!("{}.{}: {e}", action.service.name(), action.name))?;
                let api = self.api(action.service);
                self.send(action.service, &api, request).await.map(Some)
            }
            Action::Ide {
                actor,
                action,
                args,
            } => {
                let args = match subst(&Value::Object(args.clone()), &self.vars)? {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                self.ide(actor, *action, &args).await.map(Some)
            }
        }
    }

    fn api(&self, service: Service) -> Api {
        match service {
            Service::Okta => self.okta.clone(),
            Service::Kiro => self.kiro.clone(),
            Service::Dns => self.dns.clone(),
        }
    }

    async fn send(&mut self, service: Service, api: &Api, r: Request) -> Result<Answer, String> {
        let changes = r.method != reqwest::Method::GET;
        let response: Response = match api.send(r.method.clone(), &r.path, r.body).await {
            Ok(response) => response,
            // No answer at all (a dropped connection): an answer with the transport error, so
            // `expect: { error: … }` can check it (SIM-FAULT-6).
            Err(ClientError::Transport { source, .. }) => {
                let mut text = source.to_string();
                let mut cause = std::error::Error::source(&source);
                while let Some(inner) = cause {
                    text.push_str(": ");
                    text.push_str(&inner.to_string());
                    cause = inner.source();
                }
                return Ok(Answer {
                    request: format!(
                        "{} {} {}",
                        service.name(),
                        r.method,
                        self.normalize(&r.path)
                    ),
                    status: None,
                    body: Value::Null,
                    error: Some(self.normalize(&text)),
                    location: None,
                    headers: Default::default(),
                });
            }
            Err(e) => return Err(self.normalize(&e.to_string())),
        };
        if service == Service::Okta && changes {
            // Wait for Okta's SCIM pushes caused by this change.
            self.okta
                .send(
                    reqwest::Method::POST,
                    "/_sim/okta/provisioning/settle",
                    Body::Json(json!({})),
                )
                .await
                .map_err(|e| format!("Okta's push did not settle: {e}"))?;
        }
        Ok(Answer {
            request: format!(
                "{} {} {}",
                service.name(),
                r.method,
                self.normalize(&r.path)
            ),
            status: Some(response.status),
            body: response.body,
            error: None,
            location: response.location,
            headers: response.headers,
        })
    }

    async fn ide(
        &mut self,
        actor: &str,
        action: IdeAction,
        args: &Map<String, Value>,
    ) -> Result<Answer, String> {
        let Some(Actor::Ide { email, password }) = self.scenario.actors.get(actor).cloned() else {
            return Err(format!("`{actor}` is not an IDE user"));
        };
        let ide = self
            .ides
            .get_mut(actor)
            .ok_or_else(|| format!("`{actor}` is not an IDE user"))?;
        let text = |k: &str, d: &str| args.get(k).and_then(Value::as_str).unwrap_or(d).to_string();
        let request = format!("ide {actor} {:?}", action);
        let expires = |ide: &Ide| json!({ "expiresAt": ide.cache().map(|c| c.expires_at.clone()) });
        let result: Result<Value, IdeError> = match action {
            IdeAction::SignIn => {
                let password = text("password", &password);
                ide.sign_in(&email, &password).await.map(|c| {
                    json!({
                        "issuerUrl": c.issuer_url, "clientId": c.client_id, "profileArn": c.profile_arn,
                        "expiresAt": c.expires_at, "scopes": c.scopes,
                        "refreshToken": c.refresh_token.is_some(),
                    })
                })
            }
            IdeAction::SignOut => {
                ide.sign_out();
                Ok(Value::Null)
            }
            IdeAction::Complete => {
                ide.complete(&text("left", "fn main() {"), &text("right", "}"))
                    .await
            }
            IdeAction::Chat => {
                let model = args.get("model").and_then(Value::as_str);
                ide.chat(&text("message", "Hello"), model).await
            }
            IdeAction::Usage => ide.usage().await,
            IdeAction::Refresh => ide.ensure_fresh().await.map(|()| expires(ide)),
            IdeAction::RefreshNow => ide.refresh_now().await.map(|()| expires(ide)),
        };
        Ok(match result {
            Ok(body) => Answer {
                request,
                status: Some(200),
                body,
                error: None,
                location: None,
                headers: Default::default(),
            },
            Err(e) => {
                let status = match &e {
                    IdeError::Refused { status, .. } => Some(*status),
                    _ => None,
                };
                Answer {
                    request,
                    status,
                    body: Value::Null,
                    error: Some(e.to_string()),
                    location: None,
                    headers: Default::default(),
                }
            }
        })
    }
}

/// A JWT's header and claims as JSON (`{ "header": …, "claims": … }`), unverified; an answer
/// with an error when it is not three base64url parts of JSON.
fn decoded_jwt(token: &str) -> Answer {
    use base64::Engine;
    let part = |p: &str| -> Option<Value> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    let parts: Vec<&str> = token.split('.').collect();
    let decoded = match parts.as_slice() {
        [h, c, s] if !s.is_empty() => part(h).zip(part(c)),
        _ => None,
    };
    let (status, body, error) = match decoded {
        Some((header, claims)) => (None, json!({ "header": header, "claims": claims }), None),
        None => (
            None,
            Value::Null,
            Some(format!(
                "not a signed JWT (three base64url parts of JSON): {}",
                short(token)
            )),
        ),
    };
    Answer {
        request: "decode JWT".into(),
        status,
        body,
        error,
        location: None,
        headers: Default::default(),
    }
}
