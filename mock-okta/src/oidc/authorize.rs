//! `/v1/authorize`, the login form's POST and `/v1/logout` (BEHAVIOURS.md OKTA-TOK-1, OKTA-TOK-2,
//! OKTA-APP-2, OKTA-APP-3, OKTA-AS-3).
//!
//! The session comes from the `sid` cookie or from a `sessionToken` parameter (exchanged for a
//! session, which then sets the cookie). A request the core would refuse anyway is refused
//! *before* the session token is spent, so a refusal changes nothing.
//!
//! Outcomes: a code → 302 to the redirect URI with `code` and `state`; no session → the login
//! page (200); an error that must not redirect → the 400 error page (never a `Location`);
//! any other error → 302 to the redirect URI with `error`, `error_description`, `state`.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::login_page::{self, LOGIN_FIELDS, LoginPage};
use super::{
    Params, ServerId, clear_session_cookie, live_server, session_cookie, set_session_cookie,
    with_query,
};
use crate::core::OAuthError;
use crate::core::tokens::{AuthorizeError, AuthorizeOutcome, AuthorizeRequest};
use crate::wire::AppState;

/// Okta's text on the login page after a failed attempt.
const UNABLE_TO_SIGN_IN: &str = "Unable to sign in";

/// `GET /oauth2/{as_id}/v1/authorize`.
pub(crate) async fn authorize_get(
    State(shared): State<AppState>,
    ServerId(as_id): ServerId,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    authorize(&shared, &as_id, &params, &headers)
}

/// `POST /oauth2/{as_id}/v1/authorize` with the parameters as a form.
pub(crate) async fn authorize_post(
    State(shared): State<AppState>,
    ServerId(as_id): ServerId,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    authorize(&shared, &as_id, &Params::parse(&body), &headers)
}

fn authorize_request(as_id: &str, params: &Params) -> AuthorizeRequest {
    let text = |name: &str| params.get(name).unwrap_or_default().to_string();
    let option = |name: &str| params.get(name).map(str::to_string);
    AuthorizeRequest {
        as_id: as_id.to_string(),
        client_id: text("client_id"),
        redirect_uri: text("redirect_uri"),
        response_type: text("response_type"),
        scopes: params
            .get("scope")
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        state: option("state"),
        nonce: option("nonce"),
        code_challenge: option("code_challenge"),
        code_challenge_method: option("code_challenge_method"),
        prompt: option("prompt"),
        max_age: option("max_age"),
    }
}

/// How the answer reaches the redirect URI (OKTA-TOK-12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ResponseMode {
    /// `?code=…&state=…` (the default for `response_type=code`).
    Query,
    /// `#code=…&state=…`.
    Fragment,
    /// An HTML page whose form posts the parameters to the redirect URI on load.
    FormPost,
}

impl ResponseMode {
    fn parse(params: &Params) -> Result<ResponseMode, OAuthError> {
        match params.get("response_mode") {
            None | Some("") | Some("query") => Ok(ResponseMode::Query),
            Some("fragment") => Ok(ResponseMode::Fragment),
            Some("form_post") => Ok(ResponseMode::FormPost),
            Some(other) => Err(OAuthError::new(
                "unsupported_response_mode",
                format!("The response mode '{other}' is not supported."),
            )),
        }
    }

    /// The answer carrying `pairs` to `redirect_uri`.
    fn deliver(self, redirect_uri: &str, pairs: &[(&str, &str)]) -> Response {
        match self {
            ResponseMode::Query => redirect(&with_query(redirect_uri, pairs)),
            ResponseMode::Fragment => {
                let mut fragment = form_urlencoded::Serializer::new(String::new());
                for (k, v) in pairs {
                    fragment.append_pair(k, v);
                }
                let base = redirect_uri.split('#').next().unwrap_or(redirect_uri);
                redirect(&format!("{base}#{}", fragment.finish()))
            }
            ResponseMode::FormPost => {
                let mut response =
                    login_page::html(StatusCode::OK, login_page::form_post(redirect_uri, pairs));
                super::no_store(response.headers_mut());
                response
            }
        }
    }
}

fn authorize(shared: &AppState, as_id: &str, params: &Params, headers: &HeaderMap) -> Response {
    let req = authorize_request(as_id, params);
    // An unknown response mode: nothing can be delivered, so the error page (nothing spent).
    let mode = match ResponseMode::parse(params) {
        Ok(mode) => mode,
        Err(e) => return error_page(&e),
    };
    let now = shared.clock.now();
    let mut new_session = None;
    let (result, mfa) = {
        let mut org = shared.org.lock();
        let mut session = session_cookie(headers).filter(|id| org.session(now, id).is_some());
        if let Some(token) = params.non_empty("sessionToken") {
            // Without a session, `authorize` changes nothing: a refusal here is final, and
            // the session token stays unspent.
            match org.authorize(now, &req, None) {
                Ok(_) => {}
                Err(AuthorizeError::Redirect(e)) if e.error == "login_required" => {}
                Err(refusal) => return refusal_response(&req, mode, refusal),
            }
            if let Ok(s) = org.exchange_session_token(now, token) {
                new_session = Some(s.id.clone());
                session = Some(s.id);
            }
        }
        (
            org.authorize(now, &req, session.as_deref()),
            org.mfa_required(),
        )
    };
    let mut response = match result {
        Ok(AuthorizeOutcome::Code(code)) => {
            let mut pairs = vec![("code", code.as_str())];
            if let Some(state) = req.state.as_deref().filter(|s| !s.is_empty()) {
                pairs.push(("state", state));
            }
            mode.deliver(&req.redirect_uri, &pairs)
        }
        Ok(AuthorizeOutcome::LoginRequired) => login_page::html(
            StatusCode::OK,
            login_page::login_page(&LoginPage {
                as_id,
                authorize: params.pairs(),
                mfa,
                error: None,
                username: "",
            }),
        ),
        Err(refusal) => refusal_response(&req, mode, refusal),
    };
    if let Some(cookie) = new_session.as_deref().and_then(set_session_cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The error page, or a redirect carrying the error to the (registered) redirect URI.
fn refusal_response(
    req: &AuthorizeRequest,
    mode: ResponseMode,
    refusal: AuthorizeError,
) -> Response {
    match refusal {
        AuthorizeError::Page(error) => error_page(&error),
        AuthorizeError::Redirect(error) => {
            let mut pairs = vec![
                ("error", error.error),
                ("error_description", error.description.as_str()),
            ];
            if let Some(state) = req.state.as_deref().filter(|s| !s.is_empty()) {
                pairs.push(("state", state));
            }
            mode.deliver(&req.redirect_uri, &pairs)
        }
    }
}

fn error_page(error: &OAuthError) -> Response {
    login_page::html(StatusCode::BAD_REQUEST, login_page::error_page(error))
}

/// 302 to `location`; a location that is not a valid header value gets the error page instead.
fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut response = StatusCode::FOUND.into_response();
            response.headers_mut().insert(header::LOCATION, value);
            super::no_store(response.headers_mut());
            response
        }
        Err(_) => error_page(&OAuthError::new(
            "invalid_request",
            "The 'redirect_uri' parameter is malformed.",
        )),
    }
}

/// `POST /oauth2/{as_id}/v1/authorize/login`: the login form. Success sets the `sid` cookie and
/// redirects back to `/authorize` with the original parameters; failure shows the form again
/// with "Unable to sign in" (401).
pub(crate) async fn login_post(
    State(shared): State<AppState>,
    ServerId(as_id): ServerId,
    body: Bytes,
) -> Response {
    let params = Params::parse(&body);
    let username = params.get("username").unwrap_or_default();
    let password = params.get("password").unwrap_or_default();
    let pass_code = params.non_empty("passCode");
    let authorize: Vec<(String, String)> = params
        .pairs()
        .iter()
        .filter(|(name, _)| !LOGIN_FIELDS.contains(&name.as_str()) && name != "sessionToken")
        .cloned()
        .collect();
    let now = shared.clock.now();
    let (result, mfa, issuer) = {
        let mut org = shared.org.lock();
        if let Err(e) = live_server(&org, &as_id) {
            return e.into_response();
        }
        (
            org.login(now, username, password, pass_code),
            org.mfa_required(),
            org.endpoint_base(&as_id),
        )
    };
    match result {
        Ok(session) => {
            // Back to /authorize with the original request; `prompt` and `max_age` have been
            // honoured (with `prompt=login` or `max_age=0` it would ask again, forever, on a
            // clock that moves).
            let pairs: Vec<(&str, &str)> = authorize
                .iter()
                .filter(|(k, _)| k != "prompt" && k != "max_age")
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let mut response = redirect(&with_query(&format!("{issuer}/v1/authorize"), &pairs));
            if let Some(cookie) = set_session_cookie(&session.id) {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(_) => login_page::html(
            StatusCode::UNAUTHORIZED,
            login_page::login_page(&LoginPage {
                as_id: &as_id,
                authorize: &authorize,
                mfa,
                error: Some(UNABLE_TO_SIGN_IN),
                username,
            }),
        ),
    }
}

/// `GET /oauth2/{as_id}/v1/logout`: ends the browser's session and clears its cookie, then
/// redirects to `post_logout_redirect_uri` (which must be registered on the client the
/// `id_token_hint` was issued to) with `state`, or shows a signed-out page.
pub(crate) async fn logout(
    State(shared): State<AppState>,
    ServerId(as_id): ServerId,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let hint = params.non_empty("id_token_hint");
    let target = params.non_empty("post_logout_redirect_uri");
    let now = shared.clock.now();
    {
        let mut org = shared.org.lock();
        if let Err(e) = live_server(&org, &as_id) {
            return e.into_response();
        }
        let client = match hint {
            Some(token) => match org.id_token_client(&as_id, token) {
                Some(client) => Some(client),
                None => {
                    return error_page(&OAuthError::new(
                        "invalid_request",
                        "The 'id_token_hint' parameter is invalid.",
                    ));
                }
            },
            None => None,
        };
        if let Some(uri) = target {
            let Some(client) = client else {
                return error_page(&OAuthError::new(
                    "invalid_request",
                    "The 'id_token_hint' parameter is required when 'post_logout_redirect_uri' is given.",
                ));
            };
            let registered = org
                .app(&client)
                .is_ok_and(|app| app.post_logout_redirect_uris.iter().any(|u| u == uri));
            if !registered {
                return error_page(&OAuthError::new(
                    "invalid_request",
                    "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings: https://developer.okta.com/docs/guides/sign-users-out/-/main/#define-the-sign-out-callback",
                ));
            }
        }
        if let Some(sid) = session_cookie(&headers) {
            org.end_session(now, &sid);
        }
    }
    let mut response = match target {
        Some(uri) => {
            let state: Vec<(&str, &str)> = params
                .get("state")
                .map(|s| ("state", s))
                .into_iter()
                .collect();
            redirect(&with_query(uri, &state))
        }
        None => login_page::html(StatusCode::OK, login_page::signed_out_page()),
    };
    response
        .headers_mut()
        .append(header::SET_COOKIE, clear_session_cookie());
    response
}
