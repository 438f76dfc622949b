//! Reading the three systems into a [`Snapshot`], through their public APIs only and only
//! with `GET`s (and DNS queries): Okta's management API (SSWS or an OAuth 2.0 bearer token;
//! every list followed through its `Link: rel="next"` headers with `limit=200`), the Kiro
//! console API (admin bearer token) and the issuer's discovery document, and TXT lookups over
//! real DNS (hickory-resolver, uncached).

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use reqwest::header::{AUTHORIZATION, DATE, LINK};
use serde_json::Value;
use tokio::task::JoinSet;

use crate::DoctorError;
use crate::snapshot::{
    App, AppUser, AuthServer, Domain, Group, KiroFacts, LogFailure, OktaFacts, Policy,
    Provisioning, Push, Rule, ScimToken, Scope, Seat, Snapshot, TxtAnswer, User,
};

/// Page size of every Okta list.
pub const PAGE: usize = 200;

/// How long "recent" is for System Log failures.
pub const RECENT: Duration = Duration::from_secs(24 * 3600);

/// A read-only HTTP reader of one API.
#[derive(Clone)]
pub(crate) struct Reader {
    http: reqwest::Client,
    base: String,
    authorization: String,
}

fn text(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn opt_text(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn time(v: &Value, k: &str) -> Option<SystemTime> {
    v.get(k)
        .and_then(Value::as_str)
        .and_then(|s| humantime::parse_rfc3339_weak(s.trim_end_matches('Z')).ok())
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(','))
        .find(|part| part.contains("rel=\"next\""))
        .and_then(|part| {
            let start = part.find('<')? + 1;
            let end = part.find('>')?;
            part.get(start..end).map(str::to_string)
        })
}

impl Reader {
    pub(crate) fn new(http: reqwest::Client, base: &str, authorization: String) -> Reader {
        Reader {
            http,
            base: base.trim_end_matches('/').to_string(),
            authorization,
        }
    }

    async fn get_full(
        &self,
        url: &str,
    ) -> Result<(Value, reqwest::header::HeaderMap), DoctorError> {
        let url = if url.starts_with("http") {
            url.to_string()
        } else {
            format!("{}{url}", self.base)
        };
        let response = self
            .http
            .get(&url)
            .header(AUTHORIZATION, &self.authorization)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| DoctorError::Http {
                url: url.clone(),
                message: e.to_string(),
            })?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.map_err(|e| DoctorError::Http {
            url: url.clone(),
            message: e.to_string(),
        })?;
        if !status.is_success() {
            return Err(DoctorError::Status {
                url,
                status: status.as_u16(),
                body: body.chars().take(300).collect(),
            });
        }
        let value = serde_json::from_str(&body).map_err(|e| DoctorError::Http {
            url,
            message: format!("not JSON: {e}"),
        })?;
        Ok((value, headers))
    }

    pub(crate) async fn get(&self, path: impl AsRef<str>) -> Result<Value, DoctorError> {
        Ok(self.get_full(path.as_ref()).await?.0)
    }

    /// Every item of an Okta list, following `Link: rel="next"`.
    async fn list(&self, path: impl AsRef<str>) -> Result<Vec<Value>, DoctorError> {
        let path = path.as_ref();
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut url = format!("{path}{sep}limit={PAGE}");
        let mut items = Vec::new();
        // Bounded: a server that keeps answering "next" cannot keep us forever.
        for _ in 0..100_000 {
            let (page, headers) = self.get_full(&url).await?;
            let Value::Array(page) = page else {
                return Err(DoctorError::Shape(format!("{path}: not a list")));
            };
            let empty = page.is_empty();
            items.extend(page);
            match next_link(&headers) {
                Some(next) if !empty => url = next,
                _ => return Ok(items),
            }
        }
        Ok(items)
    }
}

/// Reads Okta.
pub(crate) async fn okta(okta: Reader) -> Result<OktaFacts, DoctorError> {
    // The org's own time first: "recent" log events are counted from it.
    let (_, headers) = okta.get_full("/api/v1/users?limit=1").await?;
    let now = headers
        .get(DATE)
        .and_then(|d| d.to_str().ok())
        .and_then(|d| httpdate::parse_http_date(d).ok());
    let since = now
        .unwrap_or_else(SystemTime::now)
        .checked_sub(RECENT)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let (inactive_users, groups, apps, servers, failures) = tokio::try_join!(
        inactive_users(&okta),
        groups(&okta),
        apps(&okta),
        servers(&okta),
        failures(&okta, since),
    )?;
    Ok(OktaFacts {
        now,
        apps,
        auth_servers: servers,
        inactive_users,
        groups,
        failures,
    })
}

/// The users who should not be assigned to anything: SUSPENDED or DEPROVISIONED.
async fn inactive_users(okta: &Reader) -> Result<Vec<User>, DoctorError> {
    let filter = encode("status eq \"SUSPENDED\" or status eq \"DEPROVISIONED\"");
    Ok(okta
        .list(format!("/api/v1/users?filter={filter}"))
        .await?
        .iter()
        .map(|u| User {
            id: text(u, "id"),
            login: u["profile"]["login"].as_str().unwrap_or_default().into(),
            status: text(u, "status"),
        })
        .collect())
}

async fn groups(okta: &Reader) -> Result<Vec<Group>, DoctorError> {
    Ok(okta
        .list("/api/v1/groups")
        .await?
        .iter()
        .map(|g| Group {
            id: text(g, "id"),
            name: g["profile"]["name"].as_str().unwrap_or_default().into(),
        })
        .collect())
}

async fn apps(okta: &Reader) -> Result<Vec<App>, DoctorError> {
    let list = okta.list("/api/v1/apps").await?;
    let mut tasks = JoinSet::new();
    for (i, a) in list.into_iter().enumerate() {
        let okta = okta.clone();
        tasks.spawn(async move { app(&okta, a).await.map(|app| (i, app)) });
    }
    let mut apps = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let done = done.map_err(|e| DoctorError::Shape(format!("task: {e}")))?;
        apps.push(done?);
    }
    apps.sort_by_key(|(i, _)| *i);
    Ok(apps.into_iter().map(|(_, a)| a).collect())
}

async fn app(okta: &Reader, a: Value) -> Result<App, DoctorError> {
    let id = text(&a, "id");
    let oauth = &a["settings"]["oauthClient"];
    let name = text(&a, "name");
    let (users, groups, provisioning) = tokio::try_join!(
        okta.list(format!("/api/v1/apps/{id}/users")),
        okta.list(format!("/api/v1/apps/{id}/groups")),
        async {
            if name == "amazon_aws_sso" {
                provisioning(okta, &id).await.map(Some)
            } else {
                Ok(None)
            }
        },
    )?;
    Ok(App {
        name,
        label: text(&a, "label"),
        status: text(&a, "status"),
        sign_on_mode: text(&a, "signOnMode"),
        application_type: opt_text(oauth, "application_type"),
        grant_types: strings(oauth.get("grant_types")),
        redirect_uris: strings(oauth.get("redirect_uris")),
        users: users
            .iter()
            .map(|u| AppUser {
                id: text(u, "id"),
                scope: text(u, "scope"),
                user_name: u["credentials"]["userName"]
                    .as_str()
                    .unwrap_or_default()
                    .into(),
                sync_state: opt_text(u, "syncState"),
                last_sync: time(u, "lastSync"),
            })
            .collect(),
        groups: groups.iter().map(|g| text(g, "id")).collect(),
        provisioning,
        id,
    })
}

async fn provisioning(okta: &Reader, id: &str) -> Result<Provisioning, DoctorError> {
    let connection = async {
        match okta
            .get(format!("/api/v1/apps/{id}/connections/default"))
            .await
        {
            Ok(c) => Ok(Some(c)),
            Err(DoctorError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let mapped = async {
        let list = okta
            .get(&format!("/api/v1/mappings?targetId={id}&sourceType=user"))
            .await?;
        let mut mapped = Vec::new();
        for m in list.as_array().into_iter().flatten() {
            // Okta → app mappings only (source a user type, target this app).
            if m["target"]["id"].as_str() != Some(id) {
                continue;
            }
            let mid = text(m, "id");
            let full = okta.get(format!("/api/v1/mappings/{mid}")).await?;
            if let Some(props) = full["properties"].as_object() {
                mapped.extend(props.keys().cloned());
            }
        }
        Ok::<_, DoctorError>(mapped)
    };
    let (connection, features, mapped, pushes) = tokio::try_join!(
        connection,
        okta.list(format!("/api/v1/apps/{id}/features")),
        mapped,
        okta.list(format!("/api/v1/apps/{id}/group-push/mappings")),
    )?;
    let provisioning = features
        .iter()
        .find(|f| f["name"].as_str() == Some("USER_PROVISIONING"));
    let enabled = |v: &Value| v.as_str() == Some("ENABLED");
    Ok(Provisioning {
        connection_status: connection.as_ref().and_then(|c| opt_text(c, "status")),
        base_url: connection.as_ref().and_then(|c| opt_text(c, "baseUrl")),
        create_users: provisioning
            .is_some_and(|f| enabled(&f["capabilities"]["create"]["lifecycleCreate"]["status"])),
        update_attributes: provisioning
            .is_some_and(|f| enabled(&f["capabilities"]["update"]["profile"]["status"])),
        mapped,
        pushes: pushes
            .iter()
            .map(|p| Push {
                id: text(p, "id"),
                source_group_id: text(p, "sourceGroupId"),
                target_group_id: opt_text(p, "targetGroupId"),
                status: text(p, "status"),
                error_summary: opt_text(p, "errorSummary"),
                last_push: time(p, "lastPush"),
            })
            .collect(),
    })
}

async fn servers(okta: &Reader) -> Result<Vec<AuthServer>, DoctorError> {
    let list = okta.list("/api/v1/authorizationServers").await?;
    let mut out = Vec::new();
    for s in list {
        let id = text(&s, "id");
        let base = format!("/api/v1/authorizationServers/{id}");
        let (scopes, policies) = tokio::try_join!(
            okta.list(format!("{base}/scopes")),
            okta.list(format!("{base}/policies")),
        )?;
        let mut typed = Vec::new();
        for p in policies {
            let pid = text(&p, "id");
            let rules = okta.list(format!("{base}/policies/{pid}/rules")).await?;
            typed.push(Policy {
                name: text(&p, "name"),
                status: text(&p, "status"),
                priority: p["priority"].as_i64().unwrap_or(0),
                clients: strings(p["conditions"]["clients"].get("include")),
                rules: rules
                    .iter()
                    .map(|r| Rule {
                        id: text(r, "id"),
                        name: text(r, "name"),
                        status: text(r, "status"),
                        priority: r["priority"].as_i64().unwrap_or(0),
                        grant_types: strings(r["conditions"]["grantTypes"].get("include")),
                        scopes: strings(r["conditions"]["scopes"].get("include")),
                        access_token_minutes: r["actions"]["token"]["accessTokenLifetimeMinutes"]
                            .as_i64(),
                    })
                    .collect(),
                id: pid,
            });
        }
        out.push(AuthServer {
            name: text(&s, "name"),
            issuer: text(&s, "issuer"),
            status: text(&s, "status"),
            scopes: scopes
                .iter()
                .map(|sc| Scope {
                    name: text(sc, "name"),
                    consent: text(sc, "consent"),
                })
                .collect(),
            policies: typed,
            id,
        });
    }
    Ok(out)
}

async fn failures(okta: &Reader, since: SystemTime) -> Result<Vec<LogFailure>, DoctorError> {
    let filter = "outcome.result eq \"FAILURE\"";
    let query = format!(
        "/api/v1/logs?since={}&filter={}",
        humantime::format_rfc3339_seconds(since),
        encode(filter)
    );
    let events = okta.list(&query).await?;
    Ok(events
        .iter()
        .filter(|e| {
            let t = e["eventType"].as_str().unwrap_or_default();
            t.starts_with("application.provision") || t.starts_with("app.user_management")
        })
        .filter_map(|e| {
            let targets = e["target"].as_array()?;
            let app_id = targets
                .iter()
                .find(|t| t["type"].as_str() == Some("AppInstance"))
                .map(|t| text(t, "id"));
            let target = targets
                .iter()
                .find(|t| matches!(t["type"].as_str(), Some("User" | "UserGroup")))
                .map(|t| (text(t, "type"), text(t, "id"), text(t, "alternateId")));
            Some(LogFailure {
                published: time(e, "published")?,
                event_type: text(e, "eventType"),
                reason: e["outcome"]["reason"].as_str().unwrap_or_default().into(),
                app_id,
                target,
            })
        })
        .collect())
}

/// Percent-encodes a query value.
fn encode(v: &str) -> String {
    sim_core::url::encode(v)
}

/// Reads the Kiro console: the profile (`arn`, or the only one, or the one whose Client ID is
/// an app of `client_ids`), its domains, tokens, subscriptions, and the issuer's discovery.
pub(crate) async fn kiro(
    kiro: Reader,
    http: reqwest::Client,
    arn: Option<&str>,
    client_ids: &[String],
) -> Result<Option<KiroFacts>, DoctorError> {
    let profiles = kiro.get("/console/profiles").await?;
    let profiles = profiles["profiles"].as_array().cloned().unwrap_or_default();
    let profile = profiles
        .iter()
        .find(|p| arn.is_some_and(|a| p["profileArn"].as_str() == Some(a)))
        .or_else(|| {
            profiles.iter().find(|p| {
                p["identitySource"]["clientId"]
                    .as_str()
                    .is_some_and(|c| client_ids.iter().any(|x| x == c))
            })
        })
        .or_else(|| profiles.first());
    let Some(profile) = profile else {
        return Ok(None);
    };
    let pid = text(profile, "profileId");
    let issuer = profile["identitySource"]["issuerUrl"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let base = format!("/console/profiles/{pid}");
    let discovery = async {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let response = http.get(&url).send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let doc: Value = response.json().await.map_err(|e| e.to_string())?;
        doc["issuer"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{url} has no issuer"))
    };
    let (domains, tokens, subs, discovery) = tokio::join!(
        kiro.get(format!("{base}/domains")),
        kiro.get(format!("{base}/scim-tokens")),
        kiro.get(format!("{base}/subscriptions")),
        discovery,
    );
    let (domains, tokens, subs) = (domains?, tokens?, subs?);
    Ok(Some(KiroFacts {
        profile_arn: text(profile, "profileArn"),
        profile_id: pid,
        client_id: profile["identitySource"]["clientId"]
            .as_str()
            .unwrap_or_default()
            .into(),
        scim_endpoint: text(profile, "scimEndpoint"),
        issuer,
        discovery_issuer: discovery,
        domains: domains["domains"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| Domain {
                name: text(d, "domainName"),
                status: text(d, "status"),
                record_name: text(&d["verificationRecord"], "name"),
                record_value: text(&d["verificationRecord"], "value"),
            })
            .collect(),
        tokens: tokens["tokens"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| ScimToken {
                id: text(t, "tokenId"),
                status: text(t, "status"),
                expires_at: time(t, "expiresAt"),
            })
            .collect(),
        seats: subs["seats"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| Seat {
                user_id: text(s, "userId"),
                user_name: text(s, "userName"),
                status: text(s, "status"),
                sources: s["sources"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|src| (text(src, "type"), text(src, "groupId")))
                    .collect(),
            })
            .collect(),
        group_subscriptions: subs["groupSubscriptions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| (text(g, "groupId"), text(g, "groupName")))
            .collect(),
    }))
}

/// Looks up each name's TXT records at `server` over real DNS (UDP, TCP fallback), uncached.
pub(crate) async fn dns(
    server: SocketAddr,
    names: &[String],
) -> Result<Vec<TxtAnswer>, DoctorError> {
    let mut ns = NameServerConfig::udp_and_tcp(server.ip());
    for connection in &mut ns.connections {
        connection.port = server.port();
    }
    let mut builder = TokioResolver::builder_with_config(
        ResolverConfig::from_name_servers(vec![ns]),
        TokioRuntimeProvider::default(),
    );
    let mut opts = ResolverOpts::default();
    opts.cache_size = 0;
    opts.attempts = 1;
    opts.timeout = Duration::from_secs(3);
    *builder.options_mut() = opts;
    let resolver = builder
        .build()
        .map_err(|e| DoctorError::Dns(e.to_string()))?;
    let mut out = Vec::new();
    for name in names {
        let values = match resolver.txt_lookup(format!("{name}.")).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    hickory_resolver::proto::rr::RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|s| String::from_utf8_lossy(s).into_owned())
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect()),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(Vec::new()),
            Err(NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused))) => {
                Err("REFUSED: the DNS server holds no zone for this name".to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        out.push(TxtAnswer {
            name: name.clone(),
            values,
        });
    }
    Ok(out)
}

/// Assembles a snapshot (used by [`crate::run`]).
pub(crate) fn snapshot(
    okta: OktaFacts,
    kiro: Option<KiroFacts>,
    dns: Option<Vec<TxtAnswer>>,
    notes: Vec<String>,
) -> Snapshot {
    Snapshot {
        okta,
        kiro,
        dns,
        notes,
    }
}
