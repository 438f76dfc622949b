//! The runtime API the Kiro IDE calls (BEHAVIOURS.md KIRO-DOM-4, KIRO-SUB-1, KIRO-SUB-5,
//! KIRO-USE-1..2, KIRO-GOV-1).
//!
//! - `GET /signin/metadata?email=` (no auth): a verified company domain routes the sign-in to
//!   its profile's issuer and client id; anything else is 404.
//! - Bearer endpoints: `POST /ListAvailableProfiles`, `GET /getUsageLimits?profileArn=`,
//!   `POST /generateCompletions` (scope `codewhisperer:completions`),
//!   `POST /generateAssistantResponse` (scope `codewhisperer:conversations`).
//!
//! A bearer call names its profile (`profileArn`, 404 if none); the token is verified against
//! that profile's issuer ([`crate::verify::verify`]: RS256 only, key from the issuer's JWKS,
//! `iss`, `exp`, `nbf`) with no lock held; then `cid` must be the profile's client id. Any
//! token failure — including a token minted for another client — answers the same
//! `401 InvalidTokenException` with `WWW-Authenticate: Bearer error="invalid_token"`: a token
//! issued to another client is not a token for Kiro at all (RFC 6750 §3.1 `invalid_token`),
//! whereas a Kiro token lacking a feature's scope is a `403 AccessDeniedException` for that
//! feature only (`insufficient_scope`). The core then checks provisioning, the seat, the model
//! and the credits: `403 AccessDeniedException` for no access or an unapproved model,
//! `429 ThrottlingException` at the credit limit without overages.
//!
//! Model output is canned and deterministic: a fixed template and a short hash of the input.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::core::usage::{Feature, UseError};
use crate::verify::{self, Verified};
use crate::wire::{AppState, AwsError, bearer};

/// The scope inline completions need (KIRO-USE-1).
pub(crate) const COMPLETIONS_SCOPE: &str = "codewhisperer:completions";
/// The scope chat needs (KIRO-USE-1).
pub(crate) const CONVERSATIONS_SCOPE: &str = "codewhisperer:conversations";
/// What every refused token is told.
const INVALID_TOKEN: &str = "The bearer token is invalid or expired.";

/// Routes of the runtime API.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/signin/metadata", get(signin_metadata))
        .route("/ListAvailableProfiles", post(list_available_profiles))
        .route("/getUsageLimits", get(get_usage_limits))
        .route("/generateCompletions", post(generate_completions))
        .route(
            "/generateAssistantResponse",
            post(generate_assistant_response),
        )
}

/// Why a runtime call was refused.
#[derive(Debug)]
enum Refusal {
    /// An AWS error as is.
    Aws(AwsError),
    /// No bearer token at all.
    NoToken,
    /// A token that does not verify, or is not for this profile's client.
    InvalidToken,
    /// A good token without the feature's scope.
    Scope(&'static str),
}

impl From<AwsError> for Refusal {
    fn from(e: AwsError) -> Refusal {
        Refusal::Aws(e)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (error, challenge) = match self {
            Refusal::Aws(e) => return e.into_response(),
            Refusal::NoToken => (
                AwsError::new(
                    StatusCode::UNAUTHORIZED,
                    "InvalidTokenException",
                    INVALID_TOKEN,
                ),
                "Bearer".to_string(),
            ),
            Refusal::InvalidToken => (
                AwsError::new(
                    StatusCode::UNAUTHORIZED,
                    "InvalidTokenException",
                    INVALID_TOKEN,
                ),
                "Bearer error=\"invalid_token\"".to_string(),
            ),
            Refusal::Scope(scope) => (
                AwsError::access_denied(format!(
                    "The access token does not grant the {scope} scope this operation needs."
                )),
                format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\""),
            ),
        };
        let mut response = error.into_response();
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        response
    }
}

fn use_refusal(e: UseError) -> Refusal {
    let message = e.to_string();
    Refusal::Aws(match e {
        UseError::NoAccess | UseError::ModelNotAllowed(_) => AwsError::access_denied(message),
        UseError::LimitReached(..) => AwsError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "ThrottlingException",
            message,
        ),
    })
}

/// Verifies the bearer token of a call on `profile_arn` and, if `scope` is given, that the
/// token grants it. No lock is held while verifying (it may fetch the issuer's JWKS).
async fn authorize(
    shared: &AppState,
    headers: &HeaderMap,
    profile_arn: &str,
    scope: Option<&'static str>,
) -> Result<Verified, Refusal> {
    let token = bearer(headers).ok_or(Refusal::NoToken)?;
    let (issuer, jwks_uri, client_id) = {
        let kiro = shared.kiro.lock();
        let profile = kiro
            .profiles()
            .iter()
            .find(|p| p.arn == profile_arn)
            .ok_or_else(|| {
                AwsError::new(
                    StatusCode::NOT_FOUND,
                    "ResourceNotFoundException",
                    format!("Profile {profile_arn} not found."),
                )
            })?;
        (
            profile.issuer.clone(),
            profile.discovery.jwks_uri.clone(),
            profile.client_id.clone(),
        )
    };
    let verified = verify::verify(shared, &issuer, &jwks_uri, token)
        .await
        .map_err(|e| {
            tracing::debug!(error = %e, profile = profile_arn, "bearer token refused");
            Refusal::InvalidToken
        })?;
    if verified.client_id() != Some(client_id.as_str()) {
        tracing::debug!(
            cid = ?verified.client_id(),
            expected = %client_id,
            "bearer token refused: issued to another client"
        );
        return Err(Refusal::InvalidToken);
    }
    if let Some(scope) = scope
        && !verified.has_scope(scope)
    {
        tracing::debug!(scope, "bearer token lacks the feature's scope");
        return Err(Refusal::Scope(scope));
    }
    Ok(verified)
}

/// A JSON request body (any object), or ValidationException.
fn body_object(body: &Bytes) -> Result<serde_json::Map<String, Value>, Refusal> {
    match crate::wire::parse_json::<Value>(body)? {
        Value::Object(o) => Ok(o),
        _ => Err(AwsError::validation("The request body must be a JSON object.").into()),
    }
}

/// The `profileArn` of a request body.
fn profile_arn_of(body: &serde_json::Map<String, Value>) -> Result<String, Refusal> {
    body.get("profileArn")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| AwsError::validation("profileArn is required.").into())
}

/// A query parameter.
fn query_param(query: Option<&str>, name: &str) -> Result<Option<String>, Refusal> {
    let pairs = crate::scim::query_pairs(query.unwrap_or_default())
        .ok_or_else(|| AwsError::validation("The query string is not valid."))?;
    Ok(pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v))
}

/// Hundredths of a credit as a number of credits.
fn credits(centi: u64) -> f64 {
    centi as f64 / 100.0
}

/// SHA-256 over length-prefixed parts.
fn digest(parts: &[&str]) -> Vec<u8> {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for part in parts {
        context.update(&(part.len() as u64).to_be_bytes());
        context.update(part.as_bytes());
    }
    context.finish().as_ref().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- sign-in metadata ----------------------------------------------------------------------

/// `GET /signin/metadata?email=` (KIRO-DOM-4).
async fn signin_metadata(
    State(shared): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    let email = query_param(query.as_deref(), "email")?
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| AwsError::validation("email is required."))?;
    let route = shared.kiro.lock().route_email(&email).ok_or_else(|| {
        AwsError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            "No organization is set up for this email domain.",
        )
    })?;
    Ok(axum::Json(json!({
        "profileArn": route.profile_arn,
        "profileName": route.profile_name,
        "region": route.region,
        "issuerUrl": route.issuer,
        "clientId": route.client_id,
        "scopes": route.scopes,
    }))
    .into_response())
}

// ---- profiles and usage --------------------------------------------------------------------

/// `POST /ListAvailableProfiles`: the profiles that trust the token's issuer and client and
/// where its user is provisioned.
async fn list_available_profiles(
    State(shared): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let token = bearer(&headers).ok_or(Refusal::NoToken)?;
    // The unverified `iss` only picks which keys to verify with; verification checks it.
    let issuer = verify::unverified_issuer(token).ok_or_else(|| {
        tracing::debug!("bearer token refused: no readable iss");
        Refusal::InvalidToken
    })?;
    let jwks_uri = shared
        .kiro
        .lock()
        .profiles()
        .iter()
        .find(|p| p.issuer == issuer)
        .map(|p| p.discovery.jwks_uri.clone())
        .ok_or_else(|| {
            tracing::debug!(issuer, "bearer token refused: no profile trusts its issuer");
            Refusal::InvalidToken
        })?;
    let verified = verify::verify(&shared, &issuer, &jwks_uri, token)
        .await
        .map_err(|e| {
            tracing::debug!(error = %e, "bearer token refused");
            Refusal::InvalidToken
        })?;
    let client_id = verified.client_id().ok_or_else(|| {
        tracing::debug!("bearer token refused: no cid");
        Refusal::InvalidToken
    })?;
    let profiles: Vec<Value> = {
        let kiro = shared.kiro.lock();
        // A token of a client no profile knows was never issued to Kiro: refused like a token
        // of another client on the other endpoints.
        if !kiro
            .profiles()
            .iter()
            .any(|p| p.issuer == issuer && p.client_id == client_id)
        {
            tracing::debug!(client_id, "bearer token refused: issued to another client");
            return Err(Refusal::InvalidToken);
        }
        kiro.profiles_for(&issuer, client_id, &verified.identity)
            .iter()
            .map(|p| json!({ "arn": p.arn, "profileName": p.name, "region": p.region }))
            .collect()
    };
    Ok(axum::Json(json!({ "profiles": profiles })).into_response())
}

/// `GET /getUsageLimits?profileArn=` (KIRO-USE-2).
async fn get_usage_limits(
    State(shared): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    if bearer(&headers).is_none() {
        return Err(Refusal::NoToken);
    }
    let arn = query_param(query.as_deref(), "profileArn")?
        .filter(|a| !a.is_empty())
        .ok_or_else(|| AwsError::validation("profileArn is required."))?;
    let verified = authorize(&shared, &headers, &arn, None).await?;
    let now = shared.clock.now();
    let report = shared
        .kiro
        .lock()
        .usage(now, &arn, &verified.identity)
        .map_err(use_refusal)?;
    let reset = crate::wire::unix(report.next_reset);
    Ok(axum::Json(json!({
        "subscriptionInfo": { "subscriptionTitle": report.plan_title, "type": report.tier },
        "usageBreakdownList": [{
            "resourceType": "CREDIT",
            "displayName": "Credits",
            "currentUsage": credits(report.used_centi),
            "currentOverages": credits(report.overage_centi),
            "usageLimit": report.limit,
            "unit": "credit",
            "nextDateReset": reset,
        }],
        "nextDateReset": reset,
        "overageConfiguration": {
            "overageStatus": if report.overages_enabled { "ENABLED" } else { "DISABLED" },
        },
    }))
    .into_response())
}

// ---- completions and chat ------------------------------------------------------------------

/// `POST /generateCompletions` (scope `codewhisperer:completions`).
async fn generate_completions(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Language {
        language_name: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct FileContext {
        filename: String,
        programming_language: Language,
        left_file_content: String,
        right_file_content: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Request {
        file_context: FileContext,
    }
    if bearer(&headers).is_none() {
        return Err(Refusal::NoToken);
    }
    let object = body_object(&body)?;
    let arn = profile_arn_of(&object)?;
    let verified = authorize(&shared, &headers, &arn, Some(COMPLETIONS_SCOPE)).await?;
    let request: Request = serde_json::from_value(Value::Object(object))
        .map_err(|e| AwsError::validation(format!("The request body is not valid: {e}")))?;
    let ctx = request.file_context;
    let now = shared.clock.now();
    let receipt = shared
        .kiro
        .lock()
        .use_feature(now, &arn, &verified.identity, &Feature::Completion)
        .map_err(use_refusal)?;
    let language = ctx.programming_language.language_name.to_ascii_lowercase();
    let comment = match language.as_str() {
        "python" | "ruby" | "shell" | "bash" | "perl" | "r" | "yaml" | "toml" => "#",
        "sql" | "lua" | "haskell" => "--",
        _ => "//",
    };
    let hash = hex(&digest(&[
        &ctx.filename,
        &language,
        &ctx.left_file_content,
        &ctx.right_file_content,
    ]));
    let content = format!("{comment} kiro-sim completion {}", &hash[..8]);
    Ok(axum::Json(json!({
        "completions": [{ "content": content }],
        "creditsCharged": credits(receipt.cost_centi),
    }))
    .into_response())
}

/// `POST /generateAssistantResponse` (scope `codewhisperer:conversations`).
async fn generate_assistant_response(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct UserInputMessage {
        content: String,
        #[serde(default)]
        model_id: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct CurrentMessage {
        user_input_message: UserInputMessage,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ConversationState {
        #[serde(default)]
        conversation_id: Option<String>,
        current_message: CurrentMessage,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Request {
        conversation_state: ConversationState,
    }
    if bearer(&headers).is_none() {
        return Err(Refusal::NoToken);
    }
    let object = body_object(&body)?;
    let arn = profile_arn_of(&object)?;
    let verified = authorize(&shared, &headers, &arn, Some(CONVERSATIONS_SCOPE)).await?;
    let request: Request = serde_json::from_value(Value::Object(object))
        .map_err(|e| AwsError::validation(format!("The request body is not valid: {e}")))?;
    let state = request.conversation_state;
    let message = state.current_message.user_input_message;
    if message.content.trim().is_empty() {
        return Err(AwsError::validation("The message content must not be empty.").into());
    }
    let conversation_id = state.conversation_id.filter(|c| !c.is_empty());
    if let Some(id) = &conversation_id
        && (id.len() > 128
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        return Err(AwsError::validation(
            "conversationId must be 1 to 128 letters, digits, '-' or '_'.",
        )
        .into());
    }
    let model = message.model_id.filter(|m| !m.is_empty());
    let feature = Feature::Chat {
        model,
        prompt_chars: message.content.chars().count(),
    };
    let now = shared.clock.now();
    let receipt = shared
        .kiro
        .lock()
        .use_feature(now, &arn, &verified.identity, &feature)
        .map_err(use_refusal)?;
    let model = receipt.model.clone().unwrap_or_else(|| "auto".into());
    let answer_hash = hex(&digest(&[&model, &message.content]));
    let conversation_id = conversation_id.unwrap_or_else(|| {
        // A new conversation: an id that is a function of who asked what, when, and how much
        // they had used (so two identical questions at one instant still differ).
        let ms = now
            .duration_since(std::time::SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
            .to_string();
        let h = hex(&digest(&[
            &arn,
            &verified.identity.uid,
            &message.content,
            &ms,
            &receipt.used_centi.to_string(),
        ]));
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    });
    let content = format!(
        "kiro-sim ({model}) answer {}: your message had {} characters. This reply is canned and deterministic.",
        &answer_hash[..8],
        message.content.chars().count()
    );
    Ok(axum::Json(json!({
        "conversationId": conversation_id,
        "assistantResponse": { "content": content, "modelId": model },
        "creditsCharged": credits(receipt.cost_centi),
    }))
    .into_response())
}
