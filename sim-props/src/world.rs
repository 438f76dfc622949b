//! The system under test: one in-process world (three services over real HTTP and DNS, one
//! virtual clock, one seed) driven by the requests of [`crate::plan`] and the Kiro IDE
//! client, and observed through the same public APIs an admin uses ([`Harness::view`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};
use sim_core::Seed;
use sim_world::clients::{Api, Body};
use sim_world::ide::{Ide, IdeError};
use sim_world::{World, WorldConfig};

use crate::model::{Action, DOMAINS, Model, Outcome, PROFILES, SeatView, Sorted, USERS, View};
use crate::plan::{self, PASSWORD, Req, Service};

/// A running world with what the harness knows about it.
pub struct Harness {
    world: World,
    okta: Api,
    kiro: Api,
    dns: Api,
    vars: BTreeMap<String, Value>,
    /// Each user's IDE, made at its first use (it keeps its HTTP connections and tokens).
    ides: [Option<Ide>; 4],
    seed: Seed,
    port: u16,
    /// Requests the harness sent itself: admin actions, settles and observations (the IDE's
    /// own requests are not counted).
    pub requests: u64,
}

/// Which parts of the observable state to look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts {
    /// Kiro's users and groups with their members.
    pub provisioning: bool,
    /// Seats, group subscriptions and pending grants.
    pub seats: bool,
    /// Both profiles' domains.
    pub domains: bool,
}

impl Parts {
    /// Everything.
    pub const ALL: Parts = Parts {
        provisioning: true,
        seats: true,
        domains: true,
    };

    /// What `action` can change: Okta's changes reach Kiro's users, groups and (through
    /// membership) pending seats; subscriptions and users' first use change seats; time grants
    /// seats and verifies domains.
    pub fn touched_by(action: &Action) -> Parts {
        let (provisioning, seats, domains) = match action {
            Action::CreateUser(_)
            | Action::DeactivateUser(_)
            | Action::ReactivateUser(_)
            | Action::AddMember(..)
            | Action::RemoveMember(..)
            | Action::AssignUser(..)
            | Action::UnassignUser(..)
            | Action::AssignGroup(..)
            | Action::UnassignGroup(..)
            | Action::SetFeature(..)
            | Action::PushGroup(_)
            | Action::UnlinkGroup(_)
            | Action::OktaUsesToken(_) => (true, true, false),
            Action::SubscribeUser(..)
            | Action::ChangeTier(..)
            | Action::UnsubscribeUser(_)
            | Action::SubscribeGroup(..)
            | Action::UnsubscribeGroup(_)
            | Action::SignIn(_)
            | Action::Complete(_)
            | Action::Chat(_)
            | Action::Refresh(_) => (false, true, false),
            Action::AddDomain(..)
            | Action::PublishTxt(..)
            | Action::VerifyDomain(..)
            | Action::RemoveDomain(..) => (false, false, true),
            Action::GenerateScimToken | Action::RevokeScimToken(_) => (false, false, false),
            Action::Advance(_) => (false, true, true),
            Action::DuringScimFault(..) => (true, true, true),
        };
        Parts {
            provisioning,
            seats,
            domains,
        }
    }

    /// Keeps only these parts of `view`.
    pub fn of(self, view: &View) -> View {
        View {
            kiro_users: if self.provisioning {
                view.kiro_users.clone()
            } else {
                Default::default()
            },
            kiro_groups: if self.provisioning {
                view.kiro_groups.clone()
            } else {
                Default::default()
            },
            seats: if self.seats {
                view.seats.clone()
            } else {
                Default::default()
            },
            group_subscriptions: if self.seats {
                view.group_subscriptions.clone()
            } else {
                Default::default()
            },
            pending_grants: if self.seats {
                view.pending_grants.clone()
            } else {
                Default::default()
            },
            domains: if self.domains {
                view.domains.clone()
            } else {
                Default::default()
            },
        }
    }
}

/// A harness failure that is not a disagreement (a transport error, an unexpected shape).
pub type HarnessError = String;

impl Harness {
    /// Starts a world for `model`'s initial state and applies the set-up.
    pub async fn start(model: &Model, seed: u64, port: u16) -> Result<Harness, HarnessError> {
        let world = World::start(WorldConfig {
            seed: Seed(seed),
            epoch: sim_core::clock::fixed_epoch(),
            zones: DOMAINS.iter().map(|d| d.to_string()).collect(),
            sync_delay: sim_world::SyncDelay::Fixed(Duration::from_secs(model.sync_delay)),
            domain_check_interval: Duration::from_secs(crate::model::DOMAIN_CHECK_SECS),
            okta_rate_limit: 1_000_000,
            // A SCIM call hung by a fault (SIM-FAULT-13) fails after this much wall time.
            outbound_timeout: Duration::from_secs(1),
            ..WorldConfig::default()
        })
        .await
        .map_err(|e| format!("the world does not start: {e}"))?;
        let c = world.clients();
        let okta = c.okta.api.clone();
        let kiro = c.kiro.api.clone();
        let dns = c.dns.api.clone();
        let vars = BTreeMap::new();
        let mut h = Harness {
            world,
            okta,
            kiro,
            dns,
            vars,
            ides: Default::default(),
            seed: Seed(seed),
            port,
            requests: 0,
        };
        for r in plan::setup(model) {
            let (status, body) = h.send(&r).await?;
            if !(200..300).contains(&status) {
                return Err(format!(
                    "set-up {} {} answered {status}: {body}",
                    r.method, r.path
                ));
            }
        }
        h.settle().await?;
        Ok(h)
    }

    /// Stops the world.
    pub async fn shutdown(self) {
        self.world.shutdown().await;
    }

    async fn send(&mut self, r: &Req) -> Result<(u16, Value), HarnessError> {
        let path = scenarios::vars::subst_str(&r.path, &self.vars)?;
        let body = match &r.body {
            Some(b) => Body::Json(scenarios::vars::subst(b, &self.vars)?),
            None => Body::None,
        };
        let mut api = match r.service {
            Service::Okta => self.okta.clone(),
            Service::Kiro => self.kiro.clone(),
            Service::Dns => self.dns.clone(),
        };
        if let Some(token) = &r.bearer {
            let token = scenarios::vars::subst_str(token, &self.vars)?;
            api = api.with_authorization(Some(format!("Bearer {token}")));
        }
        let method = reqwest::Method::from_bytes(r.method.as_bytes()).map_err(|e| e.to_string())?;
        let response = api
            .send(method, &path, body)
            .await
            .map_err(|e| e.to_string())?;
        self.requests += 1;
        if (200..300).contains(&response.status) {
            for (name, json_path) in &r.save {
                let value = scenarios::expect::lookup(&response.body, json_path)
                    .filter(|v| !v.is_null())
                    .ok_or_else(|| {
                        format!(
                            "{} {path}: nothing at {json_path} to save as {name} in {}",
                            r.method, response.body
                        )
                    })?;
                self.vars.insert(name.clone(), value);
            }
        }
        Ok((response.status, response.body))
    }

    /// Waits for Okta's pushes caused by the last change.
    async fn settle(&mut self) -> Result<(), HarnessError> {
        self.requests += 1;
        self.okta
            .post("/_sim/okta/provisioning/settle", json!({}))
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Does `action` and says what came of it.
    pub async fn apply(
        &mut self,
        action: &Action,
        before: &Model,
    ) -> Result<Outcome, HarnessError> {
        if let Some(reqs) = plan::requests(action, before) {
            let mut last = (0, Value::Null);
            for r in &reqs {
                last = self.send(r).await?;
                if !(200..300).contains(&last.0) {
                    break;
                }
            }
            if reqs.iter().any(|r| r.service == Service::Okta) {
                self.settle().await?;
            }
            let (status, body) = last;
            return Ok(match (action, status) {
                (Action::VerifyDomain(..), 200) => match body["status"].as_str() {
                    Some("VERIFIED") => Outcome::Domain("VERIFIED"),
                    Some("PENDING") => Outcome::Domain("PENDING"),
                    _ => return Err(format!("verify answered {body}")),
                },
                (_, s) if (200..300).contains(&s) => Outcome::Ok,
                (Action::AddDomain(..), 409) => Outcome::Refused("domain already in use"),
                (Action::GenerateScimToken, 400) => Outcome::Refused("token limit"),
                (Action::SubscribeGroup(..), 404) => Outcome::Refused("no such group"),
                (_, 404) => Outcome::Refused("no such subscription"),
                (_, s) => return Err(format!("{action:?} answered {s}: {body}")),
            });
        }
        match *action {
            Action::Advance(secs) => {
                self.world.advance(Duration::from_secs(secs)).await;
                Ok(Outcome::Ok)
            }
            Action::DuringScimFault(fault, ref inner) => {
                // SIM-FAULT-13: the change is made (and its push fails and is parked) while
                // the fault holds; then the fault is removed and the clock passes the retry.
                let faults = self.kiro.faults();
                self.requests += 1;
                faults
                    .add(&plan::scim_fault_rule(fault))
                    .await
                    .map_err(|e| format!("adding the SCIM fault: {e}"))?;
                let outcome = Box::pin(self.apply(inner, before)).await;
                self.requests += 1;
                faults
                    .clear()
                    .await
                    .map_err(|e| format!("removing the SCIM fault: {e}"))?;
                let outcome = outcome?;
                self.world
                    .advance(Duration::from_secs(crate::model::FAULT_WINDOW_SECS))
                    .await;
                self.settle().await?;
                Ok(outcome)
            }
            Action::SignIn(u) | Action::Complete(u) | Action::Chat(u) | Action::Refresh(u) => {
                let (kiro, port) = (self.world.kiro().url(), self.port);
                let seed = self.seed;
                let ide = match self.ides[u].take() {
                    Some(ide) => ide,
                    None => Ide::new(
                        &kiro,
                        port,
                        seed.stream(&format!("props-ide/{u}")),
                        self.world.trust(),
                    )
                    .map_err(|e| format!("no IDE: {e}"))?,
                };
                let ide = self.ides[u].insert(ide);
                let result = match action {
                    Action::SignIn(_) => ide.sign_in(USERS[u].0, PASSWORD).await.map(drop),
                    Action::Complete(_) => ide.complete("fn main() {", "}").await.map(drop),
                    Action::Chat(_) => ide.chat("Hello", None).await.map(drop),
                    _ => ide.refresh_now().await,
                };
                self.requests += if matches!(action, Action::SignIn(_)) {
                    7
                } else {
                    3
                };
                ide_outcome(result)
            }
            _ => Err(format!("{action:?} has no requests")),
        }
    }

    /// What the world shows now, in the model's terms: the `parts` asked for (the others are
    /// left empty).
    pub async fn view(&mut self, parts: Parts) -> Result<View, HarnessError> {
        let mut view = View::default();
        let observer = "${observer}";
        let mut login_of: BTreeMap<String, String> = BTreeMap::new();
        let mut name_of: BTreeMap<String, String> = BTreeMap::new();
        let subs = if parts.seats {
            self.get(
                Service::Kiro,
                "/console/profiles/${profile0}/subscriptions",
                None,
            )
            .await?
        } else {
            Value::Null
        };
        let grants = subs["pendingGrants"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if parts.provisioning || !grants.is_empty() {
            let users = self
                .get(Service::Kiro, "${scim0}Users", Some(observer))
                .await?;
            for u in users["Resources"].as_array().into_iter().flatten() {
                let (Some(id), Some(name)) = (u["id"].as_str(), u["userName"].as_str()) else {
                    return Err(format!("a SCIM user without id or userName: {u}"));
                };
                login_of.insert(id.to_string(), name.to_string());
                if parts.provisioning {
                    view.kiro_users
                        .insert(name.to_string(), u["active"].as_bool().unwrap_or(false));
                }
            }
            let groups = self
                .get(Service::Kiro, "${scim0}Groups", Some(observer))
                .await?;
            for g in groups["Resources"].as_array().into_iter().flatten() {
                let (Some(id), Some(name)) = (g["id"].as_str(), g["displayName"].as_str()) else {
                    return Err(format!("a SCIM group without id or displayName: {g}"));
                };
                name_of.insert(id.to_string(), name.to_string());
                if parts.provisioning {
                    view.kiro_groups.insert(name.to_string(), BTreeSet::new());
                }
            }
        }
        if parts.provisioning && !name_of.is_empty() {
            for (id, login) in &login_of {
                let path = format!("${{scim0}}Groups?filter=members eq \"{id}\"");
                let of_user = self.get(Service::Kiro, &path, Some(observer)).await?;
                for g in of_user["Resources"].as_array().into_iter().flatten() {
                    if let Some(name) = g["displayName"].as_str()
                        && let Some(members) = view.kiro_groups.get_mut(name)
                    {
                        members.insert(login.clone());
                    }
                }
            }
        }
        let name = |v: &Value| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| "(deleted group)".to_string())
        };
        for s in subs["seats"].as_array().into_iter().flatten() {
            let login = s["userName"].as_str().unwrap_or("(no user)").to_string();
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            view.seats.insert(
                login,
                SeatView {
                    tier: text(&s["tier"]),
                    pending_tier: s["pendingTier"]["tier"].as_str().map(str::to_string),
                    status: text(&s["status"]),
                    sources: s["sources"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|src| match src["type"].as_str() {
                            Some("DIRECT") => "DIRECT".to_string(),
                            _ => name(&src["groupName"]),
                        })
                        .collect::<Vec<String>>()
                        .sorted(),
                },
            );
        }
        for g in subs["groupSubscriptions"].as_array().into_iter().flatten() {
            view.group_subscriptions.push((
                name(&g["groupName"]),
                g["tier"].as_str().unwrap_or_default().to_string(),
            ));
        }
        view.group_subscriptions.sort();
        for g in &grants {
            let login = g["userId"]
                .as_str()
                .and_then(|id| login_of.get(id).cloned())
                .unwrap_or_else(|| "(no user)".into());
            let group = g["groupId"]
                .as_str()
                .and_then(|id| name_of.get(id).cloned())
                .unwrap_or_else(|| "(deleted group)".into());
            let due = g["dueAt"]
                .as_str()
                .and_then(|t| humantime::parse_rfc3339(t).ok())
                .map(sim_core::clock::unix_secs)
                .unwrap_or(0);
            view.pending_grants.insert((login, group, due));
        }
        if parts.domains {
            for p in 0..PROFILES.len() {
                let path = format!("/console/profiles/${{profile{p}}}/domains");
                let domains = self.get(Service::Kiro, &path, None).await?;
                for d in domains["domains"].as_array().into_iter().flatten() {
                    view.domains.insert(
                        (p, d["domainName"].as_str().unwrap_or_default().to_string()),
                        d["status"].as_str().unwrap_or_default().to_string(),
                    );
                }
            }
        }
        Ok(view)
    }

    /// Every revoked SCIM token of the model is refused (401) right now.
    pub async fn revoked_tokens_refused(&mut self, model: &Model) -> Result<(), String> {
        for (k, revoked) in model.scim_tokens.iter().enumerate() {
            if !revoked {
                continue;
            }
            let token = format!("${{token{k}}}");
            let r = Req {
                service: Service::Kiro,
                method: "GET",
                path: "${scim0}Users".into(),
                body: None,
                bearer: Some(token),
                save: Vec::new(),
            };
            let (status, body) = self.send(&r).await?;
            if status != 401 {
                return Err(format!(
                    "revoked SCIM token {k} was answered {status}: {body}"
                ));
            }
        }
        Ok(())
    }

    async fn get(
        &mut self,
        service: Service,
        path: &str,
        bearer: Option<&str>,
    ) -> Result<Value, HarnessError> {
        let r = Req {
            service,
            method: "GET",
            path: path.to_string(),
            body: None,
            bearer: bearer.map(str::to_string),
            save: Vec::new(),
        };
        let (status, body) = self.send(&r).await?;
        if status != 200 {
            return Err(format!("GET {path} answered {status}: {body}"));
        }
        Ok(body)
    }
}

fn ide_outcome(result: Result<(), IdeError>) -> Result<Outcome, HarnessError> {
    Ok(match result {
        Ok(()) => Outcome::Ok,
        Err(IdeError::SignedOut) => Outcome::Refused("signed out"),
        Err(IdeError::NoRoute(_)) => Outcome::Refused("no route"),
        Err(IdeError::SignIn(_)) => Outcome::Refused("sign-in refused"),
        Err(IdeError::Refused { status: 403, .. }) => Outcome::Refused("access denied"),
        Err(IdeError::Refused { status: 429, .. }) => Outcome::Refused("credit limit"),
        Err(e) => return Err(format!("the IDE failed: {e}")),
    })
}
