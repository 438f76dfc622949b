//! A client that does what the Kiro IDE does (BEHAVIOURS.md KIRO-USE-3, KIRO-DOM-4, OKTA-TOK-1..5):
//!
//! 1. sign-in by email: `GET {kiro}/signin/metadata?email=` gives the issuer, client id,
//!    scopes and profile of the verified domain;
//! 2. OIDC discovery at the issuer;
//! 3. authorization code + PKCE (S256) with a **real loopback redirect**: the client listens on
//!    `127.0.0.1:{port}` (one of the ten documented ports), sends the browser (here: itself,
//!    following redirects by hand) to `/authorize`, and the redirect lands on that listener,
//!    which captures the code; the user authenticates with `POST /api/v1/authn`
//!    (`sessionToken`);
//! 4. the token exchange, kept in the documented cache shape ([`TokenCache`]: accessToken,
//!    refreshToken, expiresAt, issuerUrl, clientId, scopes);
//! 5. before each call, a refresh when the access token has expired (world time); a failed
//!    refresh signs the user out; completions and chat against the runtime API.
//!
//! World time is read from `{kiro}/_sim/clock`, so the client works the same against an
//! in-process world and a `kiro-sim up` process.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sim_core::seed::SimRng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The loopback ports Kiro registers (OKTA-APP-2).
pub use sim_api::kiro::LOOPBACK_PORTS;

/// The IDE's token cache, in the documented shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenCache {
    /// The access token (JWT).
    pub access_token: String,
    /// The refresh token, when `offline_access` was granted.
    pub refresh_token: Option<String>,
    /// When the access token expires (RFC 3339, world time).
    pub expires_at: String,
    /// The issuer it came from.
    pub issuer_url: String,
    /// The OIDC client id.
    pub client_id: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The Kiro profile signed in to.
    pub profile_arn: String,
    /// The token endpoint (from discovery), for refreshes.
    pub token_endpoint: String,
}

impl TokenCache {
    fn expires(&self) -> SystemTime {
        humantime::parse_rfc3339(&self.expires_at).unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

/// A browser sign-in under way ([`Ide::begin_browser_sign_in`]).
#[derive(Clone, Debug)]
pub struct BrowserSignIn {
    /// Where to send the browser: the IdP's `/authorize` with PKCE.
    pub authorize_url: String,
    /// The loopback redirect URI registered at the IdP.
    pub redirect_uri: String,
    state: String,
    verifier: String,
    issuer: String,
    client_id: String,
    profile_arn: String,
    token_endpoint: String,
}

/// What went wrong for the IDE.
#[derive(Debug, thiserror::Error)]
pub enum IdeError {
    /// The email's domain does not route to any Kiro profile (KIRO-DOM-4).
    #[error("no organization is set up for {0}")]
    NoRoute(String),
    /// Authentication or authorization at the IdP failed (the IdP's error).
    #[error("sign-in failed: {0}")]
    SignIn(String),
    /// Not signed in (never, or signed out after a failed refresh).
    #[error("not signed in")]
    SignedOut,
    /// The service refused the call (`__type` and message).
    #[error("{kind}: {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// AWS error type, e.g. `AccessDeniedException`.
        kind: String,
        /// Message.
        message: String,
    },
    /// A request did not complete.
    #[error("{0}")]
    Transport(String),
}

fn transport(e: impl std::fmt::Display) -> IdeError {
    IdeError::Transport(e.to_string())
}

/// The IDE.
pub struct Ide {
    http: reqwest::Client,
    kiro: String,
    port: u16,
    rng: SimRng,
    cache: Option<TokenCache>,
}

impl Ide {
    /// An IDE talking to the Kiro service at `kiro`, listening for the sign-in redirect on
    /// `port` (one of [`LOOPBACK_PORTS`]; any port works but only those are registered; when
    /// it is taken the next registered one is used), with
    /// PKCE verifiers and states drawn from `rng`.
    ///
    /// For https services, `trust` names the CA to trust (a `--tls` world's CA, as
    /// [`World::trust`](crate::World::trust) gives it); the IDE reaches Kiro and Okta with it.
    pub fn new(
        kiro: &str,
        port: u16,
        rng: SimRng,
        trust: &sim_core::outbound::Trust,
    ) -> Result<Ide, IdeError> {
        Ok(Ide {
            http: sim_core::outbound::client(trust).map_err(|e| transport(e.to_string()))?,
            kiro: kiro.trim_end_matches('/').to_string(),
            port,
            rng,
            cache: None,
        })
    }

    /// An IDE with a token cache already in hand (e.g. read from disk).
    pub fn with_cache(mut self, cache: Option<TokenCache>) -> Ide {
        self.cache = cache;
        self
    }

    /// Forgets the tokens (signs out locally).
    pub fn sign_out(&mut self) {
        self.cache = None;
    }

    /// The token cache, if signed in.
    pub fn cache(&self) -> Option<&TokenCache> {
        self.cache.as_ref()
    }

    /// World time, from the service's clock.
    pub async fn now(&self) -> Result<SystemTime, IdeError> {
        let clock: Value = self.get_json(&format!("{}/_sim/clock", self.kiro)).await?;
        let ms = clock["unix_ms"]
            .as_u64()
            .ok_or_else(|| transport("no unix_ms in /_sim/clock"))?;
        Ok(SystemTime::UNIX_EPOCH + Duration::from_millis(ms))
    }

    async fn get_json(&self, url: &str) -> Result<Value, IdeError> {
        let response = self.http.get(url).send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.map_err(transport)?;
        if status >= 400 {
            return Err(refused(status, &body));
        }
        Ok(body)
    }

    /// The first two steps of every sign-in: Kiro's route for the email's domain (its profile's
    /// issuer, client id and scopes), then the issuer's discovery document.
    async fn route(&self, email: &str) -> Result<Route, IdeError> {
        let route = match self
            .get_json(&format!("{}/signin/metadata?email={}", self.kiro, email))
            .await
        {
            Ok(route) => route,
            Err(IdeError::Refused { status: 404, .. }) => {
                return Err(IdeError::NoRoute(email.to_string()));
            }
            Err(e) => return Err(e),
        };
        let issuer = text(&route, "issuerUrl")?;
        let discovery = self
            .get_json(&format!("{issuer}/.well-known/openid-configuration"))
            .await?;
        Ok(Route {
            client_id: text(&route, "clientId")?,
            profile_arn: text(&route, "profileArn")?,
            scopes: route["scopes"]
                .as_array()
                .map(|s| {
                    s.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            authorize: text(&discovery, "authorization_endpoint")?,
            token_endpoint: text(&discovery, "token_endpoint")?,
            issuer,
        })
    }

    /// Signs in as the IDE does: email → profile route → discovery → authn → authorize with
    /// PKCE and the loopback redirect → token exchange.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Result<&TokenCache, IdeError> {
        let Route {
            issuer,
            client_id,
            profile_arn,
            scopes,
            authorize,
            token_endpoint,
        } = self.route(email).await?;

        // The user authenticates at the IdP's sign-in API.
        let org = issuer
            .split("/oauth2/")
            .next()
            .unwrap_or(&issuer)
            .to_string();
        let authn = self
            .http
            .post(format!("{org}/api/v1/authn"))
            .json(&json!({ "username": email, "password": password }))
            .send()
            .await
            .map_err(transport)?;
        let authn: Value = authn.json().await.map_err(transport)?;
        let session_token = match authn["status"].as_str() {
            Some("SUCCESS") => text(&authn, "sessionToken")?,
            Some(other) => return Err(IdeError::SignIn(format!("authentication needs {other}"))),
            None => {
                return Err(IdeError::SignIn(
                    authn["errorSummary"]
                        .as_str()
                        .unwrap_or("authentication failed")
                        .to_string(),
                ));
            }
        };

        // PKCE and the loopback listener.
        let verifier = sim_core::ids::secret(&mut self.rng, 64);
        let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            verifier.as_bytes(),
        ));
        let state = sim_core::ids::secret(&mut self.rng, 24);
        let (listener, port) = self.listen().await?;
        let redirect_uri = format!("http://localhost:{port}/oauth/callback");
        let callback = tokio::spawn(capture_callback(listener));
        let response = self
            .http
            .get(&authorize)
            .query(&[
                ("client_id", client_id.as_str()),
                ("response_type", "code"),
                ("scope", &scopes.join(" ")),
                ("redirect_uri", &redirect_uri),
                ("state", &state),
                ("nonce", &sim_core::ids::secret(&mut self.rng, 24)),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("sessionToken", &session_token),
            ])
            .send()
            .await
            .map_err(transport)?;
        let Some(location) = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_string)
        else {
            callback.abort();
            let page = response.text().await.unwrap_or_default();
            return Err(IdeError::SignIn(format!(
                "the IdP did not redirect back: {}",
                first_line_of_error(&page)
            )));
        };
        // The browser follows the redirect to the loopback listener.
        let browser_url = location.replacen("http://localhost:", "http://127.0.0.1:", 1);
        let _ = self
            .http
            .get(&browser_url)
            .send()
            .await
            .map_err(transport)?;
        let query = callback.await.map_err(transport)??;
        let params: Vec<(String, String)> = url_params(&query);
        let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if param("state").as_deref() != Some(state.as_str()) {
            return Err(IdeError::SignIn(
                "the state in the redirect does not match".into(),
            ));
        }
        if let Some(error) = param("error") {
            return Err(IdeError::SignIn(format!(
                "{error}: {}",
                param("error_description").unwrap_or_default()
            )));
        }
        let code =
            param("code").ok_or_else(|| IdeError::SignIn("no code in the redirect".into()))?;
        let tokens = self
            .token_request(
                &token_endpoint,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", &redirect_uri),
                    ("code_verifier", &verifier),
                    ("client_id", &client_id),
                ],
            )
            .await
            .map_err(IdeError::SignIn)?;
        let now = self.now().await?;
        self.cache = Some(cache_from(
            &tokens,
            now,
            &issuer,
            &client_id,
            &profile_arn,
            &token_endpoint,
            None,
        )?);
        self.cache.as_ref().ok_or(IdeError::SignedOut)
    }

    /// Starts a sign-in in a real browser (the sandbox's developer page): email → profile
    /// route → discovery, then PKCE and the loopback listener. Returns the `/authorize` URL to
    /// send the browser to (no `sessionToken`: the user signs in on the IdP's own login page),
    /// what [`Ide::finish_browser_sign_in`] needs, and the loopback listener the IdP's
    /// redirect will reach (`http://localhost:{port}/oauth/callback`).
    pub async fn begin_browser_sign_in(
        &mut self,
        email: &str,
    ) -> Result<(BrowserSignIn, tokio::net::TcpListener), IdeError> {
        let Route {
            issuer,
            client_id,
            profile_arn,
            scopes,
            authorize,
            token_endpoint,
        } = self.route(email).await?;
        let verifier = sim_core::ids::secret(&mut self.rng, 64);
        let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            verifier.as_bytes(),
        ));
        let state = sim_core::ids::secret(&mut self.rng, 24);
        let nonce = sim_core::ids::secret(&mut self.rng, 24);
        let (listener, port) = self.listen().await?;
        let redirect_uri = format!("http://localhost:{port}/oauth/callback");
        let authorize_url = reqwest::Url::parse_with_params(
            &authorize,
            &[
                ("client_id", client_id.as_str()),
                ("response_type", "code"),
                ("scope", &scopes.join(" ")),
                ("redirect_uri", &redirect_uri),
                ("state", &state),
                ("nonce", &nonce),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("login_hint", email),
            ],
        )
        .map_err(transport)?
        .to_string();
        Ok((
            BrowserSignIn {
                authorize_url,
                redirect_uri,
                state,
                verifier,
                issuer,
                client_id,
                profile_arn,
                token_endpoint,
            },
            listener,
        ))
    }

    /// Completes a browser sign-in with the query string the IdP's redirect carried: checks
    /// the state, exchanges the code (PKCE) and keeps the tokens.
    pub async fn finish_browser_sign_in(
        &mut self,
        pending: &BrowserSignIn,
        query: &str,
    ) -> Result<&TokenCache, IdeError> {
        let params: Vec<(String, String)> = url_params(query);
        let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if param("state").as_deref() != Some(pending.state.as_str()) {
            return Err(IdeError::SignIn(
                "the state in the redirect does not match".into(),
            ));
        }
        if let Some(error) = param("error") {
            return Err(IdeError::SignIn(format!(
                "{error}: {}",
                param("error_description").unwrap_or_default()
            )));
        }
        let code =
            param("code").ok_or_else(|| IdeError::SignIn("no code in the redirect".into()))?;
        let tokens = self
            .token_request(
                &pending.token_endpoint,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", &pending.redirect_uri),
                    ("code_verifier", &pending.verifier),
                    ("client_id", &pending.client_id),
                ],
            )
            .await
            .map_err(IdeError::SignIn)?;
        let now = self.now().await?;
        self.cache = Some(cache_from(
            &tokens,
            now,
            &pending.issuer,
            &pending.client_id,
            &pending.profile_arn,
            &pending.token_endpoint,
            None,
        )?);
        self.cache.as_ref().ok_or(IdeError::SignedOut)
    }

    async fn token_request(&self, endpoint: &str, form: &[(&str, &str)]) -> Result<Value, String> {
        let response = self
            .http
            .post(endpoint)
            .form(form)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!(
                "{}: {}",
                body["error"].as_str().unwrap_or("error"),
                body["error_description"].as_str().unwrap_or_default()
            ))
        }
    }

    /// Refreshes the access token if it has expired; a failed refresh signs out.
    pub async fn ensure_fresh(&mut self) -> Result<(), IdeError> {
        let now = self.now().await?;
        let Some(cache) = self.cache.clone() else {
            return Err(IdeError::SignedOut);
        };
        if cache.expires() > now {
            return Ok(());
        }
        self.refresh(now, cache).await
    }

    /// Listens for the redirect on the IDE's port or, when that one is taken (by another
    /// program, or by an outgoing connection that drew it from the ephemeral range), on the
    /// next of the registered [`LOOPBACK_PORTS`], as the IDE does.
    async fn listen(&self) -> Result<(tokio::net::TcpListener, u16), IdeError> {
        let start = LOOPBACK_PORTS
            .iter()
            .position(|p| *p == self.port)
            .unwrap_or(0);
        let mut candidates = vec![self.port];
        candidates.extend(
            LOOPBACK_PORTS
                .iter()
                .cycle()
                .skip(start + 1)
                .take(LOOPBACK_PORTS.len())
                .filter(|p| **p != self.port),
        );
        let mut last = None;
        for port in candidates {
            match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
                Ok(listener) => return Ok((listener, port)),
                Err(e) => last = Some(e),
            }
        }
        Err(transport(format!(
            "cannot listen on any registered loopback port (the first was {}): {}",
            self.port,
            last.map(|e| e.to_string()).unwrap_or_default()
        )))
    }

    /// Refreshes the tokens now, expired or not (the IDE's "refresh credentials"); a failed
    /// refresh signs out.
    pub async fn refresh_now(&mut self) -> Result<(), IdeError> {
        let now = self.now().await?;
        let cache = self.cache.clone().ok_or(IdeError::SignedOut)?;
        self.refresh(now, cache).await
    }

    async fn refresh(&mut self, now: SystemTime, cache: TokenCache) -> Result<(), IdeError> {
        let Some(refresh_token) = cache.refresh_token.clone() else {
            self.cache = None;
            return Err(IdeError::SignedOut);
        };
        match self
            .token_request(
                &cache.token_endpoint,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &refresh_token),
                    ("client_id", &cache.client_id),
                ],
            )
            .await
        {
            Ok(tokens) => {
                self.cache = Some(cache_from(
                    &tokens,
                    now,
                    &cache.issuer_url,
                    &cache.client_id,
                    &cache.profile_arn,
                    &cache.token_endpoint,
                    Some(refresh_token),
                )?);
                Ok(())
            }
            Err(reason) => {
                tracing::info!(%reason, "refresh failed: signed out");
                self.cache = None;
                Err(IdeError::SignedOut)
            }
        }
    }

    /// Inline completion for the text around the cursor.
    pub async fn complete(&mut self, left: &str, right: &str) -> Result<Value, IdeError> {
        self.call("generateCompletions", |arn| {
            json!({
                "profileArn": arn,
                "fileContext": { "filename": "main.rs", "programmingLanguage": { "languageName": "rust" },
                                 "leftFileContent": left, "rightFileContent": right },
            })
        })
        .await
    }

    /// A chat message, with an optional model.
    pub async fn chat(&mut self, message: &str, model: Option<&str>) -> Result<Value, IdeError> {
        self.call("generateAssistantResponse", |arn| {
            let mut input = json!({ "content": message });
            if let Some(model) = model {
                input["modelId"] = json!(model);
            }
            json!({ "profileArn": arn, "conversationState": { "currentMessage": { "userInputMessage": input } } })
        })
        .await
    }

    /// Plan and usage (GetUsageLimits).
    pub async fn usage(&mut self) -> Result<Value, IdeError> {
        self.ensure_fresh().await?;
        let cache = self.cache.clone().ok_or(IdeError::SignedOut)?;
        let response = self
            .http
            .get(format!("{}/getUsageLimits", self.kiro))
            .query(&[("profileArn", cache.profile_arn.as_str())])
            .bearer_auth(&cache.access_token)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.map_err(transport)?;
        if status >= 400 {
            return Err(refused(status, &body));
        }
        Ok(body)
    }

    /// A bearer call: refresh first if expired; on 401, one refresh and one retry.
    async fn call(
        &mut self,
        operation: &str,
        body: impl Fn(&str) -> Value,
    ) -> Result<Value, IdeError> {
        self.ensure_fresh().await?;
        for attempt in 0..2 {
            let cache = self.cache.clone().ok_or(IdeError::SignedOut)?;
            let response = self
                .http
                .post(format!("{}/{operation}", self.kiro))
                .bearer_auth(&cache.access_token)
                .json(&body(&cache.profile_arn))
                .send()
                .await
                .map_err(transport)?;
            let status = response.status().as_u16();
            let answer: Value = response.json().await.map_err(transport)?;
            if status == 401 && attempt == 0 {
                let now = self.now().await?;
                self.refresh(now, cache).await?;
                continue;
            }
            if status >= 400 {
                return Err(refused(status, &answer));
            }
            return Ok(answer);
        }
        Err(IdeError::SignedOut)
    }
}

fn refused(status: u16, body: &Value) -> IdeError {
    IdeError::Refused {
        status,
        kind: body["__type"].as_str().unwrap_or("Error").to_string(),
        message: body["message"].as_str().unwrap_or_default().to_string(),
    }
}

fn cache_from(
    tokens: &Value,
    now: SystemTime,
    issuer: &str,
    client_id: &str,
    profile_arn: &str,
    token_endpoint: &str,
    previous_refresh: Option<String>,
) -> Result<TokenCache, IdeError> {
    let access_token = tokens["access_token"]
        .as_str()
        .ok_or_else(|| transport("no access_token"))?
        .to_string();
    let expires_in = tokens["expires_in"].as_u64().unwrap_or(3600);
    Ok(TokenCache {
        access_token,
        refresh_token: tokens["refresh_token"]
            .as_str()
            .map(str::to_string)
            .or(previous_refresh),
        expires_at: humantime::format_rfc3339_seconds(now + Duration::from_secs(expires_in))
            .to_string(),
        issuer_url: issuer.to_string(),
        client_id: client_id.to_string(),
        scopes: tokens["scope"]
            .as_str()
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        profile_arn: profile_arn.to_string(),
        token_endpoint: token_endpoint.to_string(),
    })
}

/// Serves one request on the loopback listener and returns its query string (the IdP's
/// redirect: `code` and `state`, or `error`).
async fn capture_callback(listener: tokio::net::TcpListener) -> Result<String, IdeError> {
    let (mut stream, _) = listener.accept().await.map_err(transport)?;
    let mut buf = vec![0u8; 8192];
    let n = stream.read(&mut buf).await.map_err(transport)?;
    let request = String::from_utf8_lossy(&buf[..n]).to_string();
    let target = request
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let page =
        "<html><body><h1>Signed in to Kiro</h1><p>You can close this window.</p></body></html>";
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    if !target.starts_with("/oauth/callback") {
        return Err(IdeError::SignIn(format!("unexpected redirect to {target}")));
    }
    Ok(target
        .split_once('?')
        .map(|(_, q)| q.to_string())
        .unwrap_or_default())
}

/// Decodes `a=1&b=x%20y` into pairs.
fn url_params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn first_line_of_error(page: &str) -> String {
    page.split("<p>")
        .nth(1)
        .and_then(|p| p.split("</p>").next())
        .unwrap_or(page)
        .chars()
        .take(300)
        .collect()
}

/// Where a sign-in goes, from Kiro's route and the issuer's discovery document.
struct Route {
    issuer: String,
    client_id: String,
    profile_arn: String,
    scopes: Vec<String>,
    authorize: String,
    token_endpoint: String,
}

/// A string field of a JSON answer, or a transport error naming it.
fn text(v: &Value, k: &str) -> Result<String, IdeError> {
    v[k].as_str()
        .map(str::to_string)
        .ok_or_else(|| transport(format!("no {k}")))
}
