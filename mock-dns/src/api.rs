//! The provider wire layer: an HTTP API shaped like Cloudflare's v4 API (BEHAVIOURS.md DNS-1).
//!
//! Routes (all under `/client/v4`, bearer-token auth):
//! - `GET /user/tokens/verify`
//! - `GET|POST /zones`, `GET|DELETE /zones/{zone_id}`
//! - `GET|POST /zones/{zone_id}/dns_records`
//! - `GET|PUT|PATCH|DELETE /zones/{zone_id}/dns_records/{record_id}`
//!
//! Every answer is Cloudflare's envelope `{success, errors, messages, result}` (plus
//! `result_info` on lists); errors carry Cloudflare's numeric codes. Where Cloudflare's code
//! for a case is not publicly documented the code is a sim choice, noted beside it.
//!
//! Simulator controls (no auth, like `/_sim/clock`): `GET|PUT /_sim/dns/propagation` reads or
//! sets the propagation delay (`{"delay":"5m"}`); `GET|PUT /_sim/dns/state` exports or imports
//! the whole state ([`sim_core::state`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sim_api::dns::{PropagationBody, RecordBody, ZoneCreate};

use crate::Shared;
use crate::core::{
    DnsError, InvalidRecord, Record, RecordFilter, RecordInput, RecordPatch, RecordType, Zone,
};

type AppState = Arc<Shared>;

/// The whole HTTP API of mock-dns.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let v4 = Router::new()
        .route("/user/tokens/verify", get(verify_token))
        .route("/zones", get(list_zones).post(create_zone))
        .route("/zones/{zone_id}", get(get_zone).delete(delete_zone))
        .route(
            "/zones/{zone_id}/dns_records",
            get(list_records).post(create_record),
        )
        .route(
            "/zones/{zone_id}/dns_records/{record_id}",
            get(get_record)
                .put(replace_record)
                .patch(patch_record)
                .delete(delete_record),
        )
        .route_layer(middleware::from_fn_with_state(
            shared.clone(),
            require_token,
        ))
        .method_not_allowed_fallback(method_not_allowed);
    let sim = Router::new()
        .route(
            "/_sim/dns/propagation",
            get(get_propagation).put(put_propagation),
        )
        .route("/_sim/dns/events", get(events));
    let router = Router::new()
        .nest("/client/v4", v4)
        .merge(sim)
        .layer(axum::extract::DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
        .layer(middleware::map_response(body_too_large))
        .with_state(shared.clone())
        .merge(state_routes(shared.clone()))
        .merge(sim_core::http::clock_routes(shared.clock.clone()))
        .merge(crate::dashboard::router(shared.clone()))
        .fallback(no_route);
    shared.faults.layer(router)
}

/// `GET|PUT /_sim/dns/state`: the whole state as a document (SIM-STATE-1, SIM-STATE-2). Its
/// own body limit: a big world's state is larger than any API request.
fn state_routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_sim/dns/state", get(get_state).put(put_state))
        .layer(axum::extract::DefaultBodyLimit::max(
            sim_core::state::MAX_STATE_BYTES,
        ))
        .with_state(shared)
}

async fn get_state(State(shared): State<AppState>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        shared.export_state(),
    )
        .into_response()
}

async fn put_state(State(shared): State<AppState>, body: Bytes) -> Response {
    match shared.import_state(&body) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error.into_response(),
    }
}

// ---- envelope and errors ------------------------------------------------------------------

/// axum refuses a body over the limit in plain text; this answers it in the envelope (DNS-5).
async fn body_too_large(response: Response) -> Response {
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        9207,
        "Request body is invalid.",
    )
    .chained(
        9207,
        format!(
            "The request body is larger than {} bytes.",
            crate::MAX_BODY_BYTES
        ),
    )
    .into_response()
}

/// A Cloudflare error: HTTP status, code, message, and an optional `error_chain`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: u32,
    message: String,
    chain: Vec<(u32, String)>,
}

impl ApiError {
    fn new(status: StatusCode, code: u32, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            chain: Vec::new(),
        }
    }

    fn chained(mut self, code: u32, message: impl Into<String>) -> ApiError {
        self.chain.push((code, message.into()));
        self
    }

    fn zone_route(zone_id: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            7003,
            format!(
                "Could not route to /zones/{zone_id}, perhaps your object identifier is invalid?"
            ),
        )
        .chained(7000, "No route for that URI")
    }

    /// A bad request body or parameter. Code 9207 is Cloudflare's "Request body is invalid."
    fn invalid_body(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, 9207, "Request body is invalid.")
            .chained(9207, detail)
    }

    fn from_dns(error: DnsError, zone_id: &str) -> ApiError {
        let bad = StatusCode::BAD_REQUEST;
        match error {
            DnsError::ZoneNotFound => ApiError::zone_route(zone_id),
            DnsError::RecordNotFound => {
                ApiError::new(StatusCode::NOT_FOUND, 81044, "Record does not exist.")
            }
            DnsError::ZoneExists(name) => {
                ApiError::new(bad, 1061, format!("{name} already exists"))
            }
            // Sim choice: the code for an unusable zone name is not publicly documented.
            DnsError::InvalidZoneName(name) => {
                ApiError::new(bad, 1002, format!("Invalid domain name `{name}`"))
            }
            DnsError::IdenticalRecord => {
                ApiError::new(bad, 81058, "An identical record already exists.")
            }
            DnsError::CnameConflict => ApiError::new(
                bad,
                81053,
                "An A, AAAA, or CNAME record with that host already exists.",
            ),
            DnsError::HostHasCname => {
                ApiError::new(bad, 81054, "A CNAME record with that host already exists.")
            }
            DnsError::InvalidRecord(why) => {
                let (code, message) = invalid_record(&why);
                ApiError::new(bad, 1004, "DNS Validation Error").chained(code, message)
            }
        }
    }
}

/// A refusal as the dashboard shows it: Cloudflare's message and code, then the error chain's.
pub(crate) fn error_text(error: DnsError, zone_id: &str) -> String {
    let e = ApiError::from_dns(error, zone_id);
    let mut text = format!("{} (Code: {})", e.message, e.code);
    for (code, message) in &e.chain {
        text.push_str(&format!(": {message} (Code: {code})"));
    }
    text
}

/// Cloudflare's error-chain code and message for a refused record. 9001, 9000 and 9009 are sim
/// choices; the others are Cloudflare's.
fn invalid_record(why: &InvalidRecord) -> (u32, String) {
    match why {
        InvalidRecord::UnsupportedType(t) => (
            9001,
            format!(
                "Invalid or unsupported DNS record type `{t}` (mock-dns serves A, AAAA, CNAME and TXT)."
            ),
        ),
        InvalidRecord::Name(n) => (9000, format!("DNS name `{n}` is invalid.")),
        InvalidRecord::Ipv4 => (
            9005,
            "Content for A record must be a valid IPv4 address.".into(),
        ),
        InvalidRecord::Ipv6 => (
            9006,
            "Content for AAAA record must be a valid IPv6 address.".into(),
        ),
        InvalidRecord::CnameTarget => (9007, "Content for CNAME record is invalid.".into()),
        InvalidRecord::Txt(why) => (9009, format!("{why}.")),
        InvalidRecord::Ttl(_) => (
            9021,
            "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.".into(),
        ),
        InvalidRecord::NotProxiable(_) => (9004, "This record type cannot be proxied.".into()),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if !self.chain.is_empty() {
            error["error_chain"] = self
                .chain
                .iter()
                .map(|(code, message)| json!({ "code": code, "message": message }))
                .collect();
        }
        let body = json!({
            "success": false,
            "errors": [error],
            "messages": [],
            "result": null,
        });
        (self.status, axum::Json(body)).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

fn ok(result: Value) -> ApiResult {
    Ok(axum::Json(json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": result,
    }))
    .into_response())
}

fn ok_page(items: Vec<Value>, page: &Paging) -> ApiResult {
    let total = items.len();
    let per_page = page.per_page;
    let start = (page.page - 1).saturating_mul(per_page).min(total);
    let end = start.saturating_add(per_page).min(total);
    let result: Vec<Value> = items[start..end].to_vec();
    Ok(axum::Json(json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": result,
        "result_info": {
            "page": page.page,
            "per_page": per_page,
            "count": end - start,
            "total_count": total,
            "total_pages": total.div_ceil(per_page),
        },
    }))
    .into_response())
}

async fn no_route() -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, 7000, "No route for that URI")
}

async fn method_not_allowed() -> ApiError {
    // Sim choice of code.
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        7001,
        "Method not allowed for this endpoint",
    )
}

/// Bearer-token check, with Cloudflare's answers for a missing, malformed or wrong token.
async fn require_token(
    State(shared): State<AppState>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            9106,
            "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
        )
        .into_response();
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token)
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match token {
        None => ApiError::new(StatusCode::BAD_REQUEST, 6003, "Invalid request headers")
            .chained(6111, "Invalid format for Authorization header")
            .into_response(),
        Some(token)
            if sim_core::ids::constant_time_eq(token.as_bytes(), shared.api_token.as_bytes()) =>
        {
            next.run(request).await
        }
        Some(_) => {
            ApiError::new(StatusCode::FORBIDDEN, 10000, "Authentication error").into_response()
        }
    }
}

/// Parses a JSON body into `T`, answering Cloudflare's error for anything unparsable.
fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::invalid_body(e.to_string()))
}

/// Query-string parameters, read leniently like Cloudflare does (unknown keys ignored).
type Params = Query<HashMap<String, String>>;

struct Paging {
    page: usize,
    per_page: usize,
}

impl Paging {
    fn from(
        params: &HashMap<String, String>,
        default: usize,
        max: usize,
    ) -> Result<Paging, ApiError> {
        let number = |key: &str, fallback: usize| -> Result<usize, ApiError> {
            match params.get(key) {
                None => Ok(fallback),
                Some(v) => v.parse::<usize>().map_err(|_| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        1004,
                        format!("Invalid value for `{key}`: `{v}` is not a positive number"),
                    )
                }),
            }
        };
        Ok(Paging {
            page: number("page", 1)?.max(1),
            per_page: number("per_page", default)?.clamp(5, max),
        })
    }
}

fn timestamp(t: SystemTime) -> String {
    humantime::format_rfc3339_micros(t).to_string()
}

fn zone_json(zone: &Zone) -> Value {
    json!({
        "id": zone.id,
        "name": zone.name,
        "status": "active",
        "paused": false,
        "type": "full",
        "development_mode": 0,
        "name_servers": crate::core::NAME_SERVERS,
        "original_name_servers": null,
        "original_registrar": null,
        "original_dnshost": null,
        "created_on": timestamp(zone.created_on),
        "modified_on": timestamp(zone.modified_on),
        "activated_on": timestamp(zone.created_on),
        "meta": { "step": 2, "phishing_detected": false },
        "owner": { "id": null, "type": "user", "email": null },
        "account": { "id": zone.account_id, "name": "kiro-sim" },
        "permissions": ["#dns_records:edit", "#dns_records:read", "#zone:read"],
        "plan": { "id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "name": "Free Website", "is_subscribed": false, "can_subscribe": false },
    })
}

fn record_json(record: &Record) -> Value {
    json!({
        "id": record.id,
        "zone_id": record.zone_id,
        "zone_name": record.zone_name,
        "name": record.name,
        "type": record.record_type.as_str(),
        "content": record.content,
        "proxiable": record.record_type != RecordType::Txt,
        "proxied": record.proxied,
        "ttl": record.ttl,
        "settings": {},
        "meta": {},
        "comment": record.comment,
        "tags": record.tags,
        "created_on": timestamp(record.created_on),
        "modified_on": timestamp(record.modified_on),
    })
}

// ---- handlers -----------------------------------------------------------------------------

async fn verify_token(State(shared): State<AppState>) -> ApiResult {
    Ok(axum::Json(json!({
        "success": true,
        "errors": [],
        "messages": [{ "code": 10000, "message": "This API Token is valid and active", "type": null }],
        "result": { "id": shared.api_token_id, "status": "active" },
    }))
    .into_response())
}

async fn create_zone(State(shared): State<AppState>, body: Bytes) -> ApiResult {
    let input: ZoneCreate = parse_body(&body)?;
    let name = input
        .name
        .ok_or_else(|| ApiError::invalid_body("`name` is required"))?;
    let account = input.account.and_then(|a| a.id);
    if account.is_some_and(|a| a != shared.core.read().account_id()) {
        // Sim choice of code: the token cannot act for another account.
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            1068,
            "Permission denied: the token has no access to that account",
        ));
    }
    let zone = shared
        .change(|core, now| core.create_zone(now, &name))
        .map_err(|e| ApiError::from_dns(e, ""))?;
    shared.note_change(format!("zone {} created", zone.name));
    ok(zone_json(&zone))
}

async fn list_zones(State(shared): State<AppState>, Query(params): Params) -> ApiResult {
    let paging = Paging::from(&params, 20, 50)?;
    let name = params
        .get("name")
        .map(|n| n.trim_end_matches('.').to_ascii_lowercase());
    let status = params.get("status");
    let account = params.get("account.id");
    let core = shared.core.read();
    let zones: Vec<Value> = core
        .zones()
        .filter(|z| name.as_deref().is_none_or(|n| z.name == n))
        .filter(|_| status.is_none_or(|s| s == "active"))
        .filter(|z| account.is_none_or(|a| *a == z.account_id))
        .map(zone_json)
        .collect();
    ok_page(zones, &paging)
}

async fn get_zone(State(shared): State<AppState>, Path(zone_id): Path<String>) -> ApiResult {
    let core = shared.core.read();
    let zone = core
        .zone(&zone_id)
        .map_err(|e| ApiError::from_dns(e, &zone_id))?;
    ok(zone_json(zone))
}

async fn delete_zone(State(shared): State<AppState>, Path(zone_id): Path<String>) -> ApiResult {
    let zone = shared
        .change(|core, now| core.delete_zone(now, &zone_id))
        .map_err(|e| ApiError::from_dns(e, &zone_id))?;
    shared.note_change(format!("zone {} deleted", zone.name));
    ok(json!({ "id": zone.id }))
}

/// A create or replace: `type`, `name` and `content` are required.
fn record_input(body: RecordBody) -> Result<RecordInput, ApiError> {
    let required = |v: Option<String>, field: &str| {
        v.ok_or_else(|| {
            ApiError::new(StatusCode::BAD_REQUEST, 1004, "DNS Validation Error")
                .chained(9000, format!("`{field}` is required"))
        })
    };
    Ok(RecordInput {
        record_type: required(body.record_type, "type")?,
        name: required(body.name, "name")?,
        content: required(body.content, "content")?,
        ttl: body.ttl,
        proxied: body.proxied,
        comment: body.comment.flatten(),
        tags: body.tags.unwrap_or_default(),
    })
}

/// A patch: what is given changes.
fn record_patch(body: RecordBody) -> RecordPatch {
    RecordPatch {
        record_type: body.record_type,
        name: body.name,
        content: body.content,
        ttl: body.ttl,
        proxied: body.proxied,
        comment: body.comment,
        tags: body.tags,
    }
}

async fn create_record(
    State(shared): State<AppState>,
    Path(zone_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let input = record_input(parse_body::<RecordBody>(&body)?)?;
    let record = shared
        .change(|core, now| core.create_record(now, &zone_id, input))
        .map_err(|e| ApiError::from_dns(e, &zone_id))?;
    shared.note_change(describe(&record, "created"));
    ok(record_json(&record))
}

async fn list_records(
    State(shared): State<AppState>,
    Path(zone_id): Path<String>,
    Query(params): Params,
) -> ApiResult {
    let paging = Paging::from(&params, 100, 5_000_000)?;
    let record_type = match params.get("type") {
        None => None,
        Some(t) => Some(RecordType::parse(t).ok_or_else(|| {
            let (code, message) = invalid_record(&InvalidRecord::UnsupportedType(t.clone()));
            ApiError::new(StatusCode::BAD_REQUEST, 1004, "DNS Validation Error")
                .chained(code, message)
        })?),
    };
    let filter = RecordFilter {
        record_type,
        name: params.get("name.exact").or(params.get("name")).cloned(),
        content: params
            .get("content.exact")
            .or(params.get("content"))
            .cloned(),
    };
    let core = shared.core.read();
    let mut records = core
        .records(&zone_id, &filter)
        .map_err(|e| ApiError::from_dns(e, &zone_id))?;
    sort_records(&mut records, &params)?;
    ok_page(records.into_iter().map(record_json).collect(), &paging)
}

/// `order` (type, name, content, ttl, proxied) and `direction` (asc, desc); default is
/// creation order.
fn sort_records(records: &mut [&Record], params: &HashMap<String, String>) -> Result<(), ApiError> {
    let bad = |key: &str, v: &str| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            1004,
            format!("Invalid value for `{key}`: `{v}`"),
        )
    };
    if let Some(order) = params.get("order") {
        match order.as_str() {
            "type" => records.sort_by_key(|r| r.record_type),
            "name" => records.sort_by(|a, b| a.name.cmp(&b.name)),
            "content" => records.sort_by(|a, b| a.content.cmp(&b.content)),
            "ttl" => records.sort_by_key(|r| r.ttl),
            "proxied" => records.sort_by_key(|r| r.proxied),
            other => return Err(bad("order", other)),
        }
    }
    match params.get("direction").map(String::as_str) {
        None | Some("asc") => {}
        Some("desc") => records.reverse(),
        Some(other) => return Err(bad("direction", other)),
    }
    Ok(())
}

async fn get_record(
    State(shared): State<AppState>,
    Path((zone_id, record_id)): Path<(String, String)>,
) -> ApiResult {
    let core = shared.core.read();
    let record = core
        .record(&zone_id, &record_id)
        .map_err(|e| ApiError::from_dns(e, &zone_id))?;
    ok(record_json(record))
}

async fn replace_record(
    State(shared): State<AppState>,
    Path((zone_id, record_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let input = record_input(parse_body::<RecordBody>(&body)?)?;
    let record = shared
        .change(|core, now| core.replace_record(now, &zone_id, &record_id, input))
        .map_err(|e| ApiError::from_dns(e, &zone_id))?;
    shared.note_change(describe(&record, "replaced"));
    ok(record_json(&record))
}

async fn patch_record(
    State(shared): State<AppState>,
    Path((zone_id, record_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let patch = record_patch(parse_body::<RecordBody>(&body)?);
    let record = shared
        .change(|core, now| core.patch_record(now, &zone_id, &record_id, patch))
        .map_err(|e| ApiError::from_dns(e, &zone_id))?;
    shared.note_change(describe(&record, "changed"));
    ok(record_json(&record))
}

async fn delete_record(
    State(shared): State<AppState>,
    Path((zone_id, record_id)): Path<(String, String)>,
) -> ApiResult {
    let record = shared
        .change(|core, now| core.delete_record(now, &zone_id, &record_id))
        .map_err(|e| ApiError::from_dns(e, &zone_id))?;
    shared.note_change(describe(&record, "deleted"));
    ok(json!({ "id": record.id }))
}

// ---- simulator controls -------------------------------------------------------------------

/// `what changed` for the event feed: `TXT _kiro.example.com "token" created`.
fn describe(record: &crate::core::Record, verb: &str) -> String {
    format!(
        "{} {} \"{}\" {verb}",
        record.record_type.as_str(),
        record.name,
        record.content
    )
}

/// `GET /_sim/dns/events?after=SEQ`: the changes made through the API and their publication,
/// oldest first (the last 10,000).
async fn events(State(shared): State<AppState>, Query(params): Params) -> axum::Json<Value> {
    let after = params
        .get("after")
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    axum::Json(shared.events.json(after))
}

fn propagation_json(shared: &Shared) -> Value {
    let core = shared.core.read();
    json!({
        "delay": humantime::format_duration(core.propagation_delay()).to_string(),
        "unpublished_changes": core.unpublished_changes(),
        "next_publication": core.next_publication().map(timestamp),
    })
}

async fn get_propagation(State(shared): State<AppState>) -> Response {
    axum::Json(propagation_json(&shared)).into_response()
}

async fn put_propagation(State(shared): State<AppState>, body: Bytes) -> Response {
    let delay: Result<Duration, String> = serde_json::from_slice::<PropagationBody>(&body)
        .map_err(|e| format!("expected {{\"delay\": \"5m\"}}: {e}"))
        .and_then(|b| sim_core::clock::parse_duration(&b.delay));
    match delay {
        Ok(delay) => {
            shared.core.write().set_propagation_delay(delay);
            axum::Json(propagation_json(&shared)).into_response()
        }
        Err(message) => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_request", "message": message })),
        )
            .into_response(),
    }
}
