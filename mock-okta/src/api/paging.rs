//! Paging of every list endpoint (BEHAVIOURS.md OKTA-API-2): `limit` (clamped to the endpoint's
//! maximum) and an `after` cursor, the id of the last item of the previous page. Every list
//! answers `Link: <…>; rel="self"` and, when more items remain, `Link: <…>; rel="next"`.
//! Links are absolute, built from the request's own `Host` header and the org URL's scheme,
//! and keep every other query parameter (`q`, `filter`, `limit`, …) as the client sent it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde_json::Value;

use super::{Params, ok};
use crate::wire::{ApiError, AppState};

/// What a list request asked for and where it was sent (to build its links).
pub(crate) struct Listing {
    /// The query parameters.
    pub(crate) params: Params,
    /// `http` or `https` (the org URL's scheme).
    scheme: &'static str,
    /// The request's `Host` header (the org URL's authority when absent).
    host: String,
    /// The request path.
    path: String,
    /// The raw query string.
    raw_query: Option<String>,
}

impl FromRequestParts<AppState> for Listing {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Listing, ApiError> {
        let params = Params::from_request_parts(parts, state).await?;
        let org_url = state.org.lock().org_url().to_string();
        let (scheme, authority) = match org_url.split_once("://") {
            Some(("https", rest)) => ("https", rest.to_string()),
            Some((_, rest)) => ("http", rest.to_string()),
            None => ("http", org_url.clone()),
        };
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty() && !h.contains(['<', '>', ',', ' ']))
            .map(str::to_string)
            .unwrap_or(authority);
        Ok(Listing {
            params,
            scheme,
            host,
            path: parts.uri.path().to_string(),
            raw_query: parts.uri.query().map(str::to_string),
        })
    }
}

/// One page's worth of a request: how many, after which id.
#[derive(Clone, Debug)]
pub(crate) struct Page {
    limit: usize,
    after: Option<String>,
}

impl Listing {
    /// Reads `limit` (default `default`, clamped to `1..=max`) and `after`. A `limit` that is
    /// not a number is E0000001.
    pub(crate) fn page(&self, default: usize, max: usize) -> Result<Page, ApiError> {
        let limit = match self.params.get("limit") {
            None | Some("") => i64::try_from(default).unwrap_or(i64::MAX),
            Some(v) => v.trim().parse::<i64>().map_err(|_| {
                ApiError::validation("limit", format!("limit: '{v}' is not a valid number"))
            })?,
        };
        // Okta treats a limit below 1 as the smallest page and one above the maximum as the maximum.
        let limit = usize::try_from(limit.max(1)).unwrap_or(max).clamp(1, max);
        Ok(Page {
            limit,
            after: self
                .params
                .get("after")
                .filter(|a| !a.is_empty())
                .map(str::to_string),
        })
    }

    /// The page of `items` (in list order) this request asked for, rendered, with its links.
    pub(crate) fn respond<T>(
        &self,
        page: &Page,
        items: impl IntoIterator<Item = T>,
        id: impl Fn(&T) -> String,
        render: impl Fn(&T) -> Value,
    ) -> Response {
        let (items, next) = page.take(items, id);
        let body = Value::Array(items.iter().map(render).collect());
        self.with_links(ok(body), next.as_deref())
    }

    /// Adds the `self` link and, with a cursor, the `next` link.
    pub(crate) fn with_links(&self, mut response: Response, next: Option<&str>) -> Response {
        let base = format!("{}://{}{}", self.scheme, self.host, self.path);
        let self_link = match &self.raw_query {
            Some(q) if !q.is_empty() => format!("<{base}?{q}>; rel=\"self\""),
            _ => format!("<{base}>; rel=\"self\""),
        };
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&self_link) {
            headers.append(header::LINK, v);
        }
        if let Some(cursor) = next {
            let mut pairs: Vec<&str> = self
                .raw_query
                .as_deref()
                .unwrap_or("")
                .split('&')
                .filter(|p| !p.is_empty() && *p != "after" && !p.starts_with("after="))
                .collect();
            let after = format!("after={}", encode(cursor));
            pairs.push(&after);
            let next_link = format!("<{base}?{}>; rel=\"next\"", pairs.join("&"));
            if let Ok(v) = HeaderValue::from_str(&next_link) {
                headers.append(header::LINK, v);
            }
        }
        response
    }
}

impl Page {
    /// The items after the cursor, at most `limit` of them, and the cursor of the next page
    /// when more remain. A cursor that names no item (e.g. deleted since) gives an empty page.
    pub(crate) fn take<T>(
        &self,
        items: impl IntoIterator<Item = T>,
        id: impl Fn(&T) -> String,
    ) -> (Vec<T>, Option<String>) {
        let mut items = items.into_iter();
        if let Some(after) = &self.after
            && !items.by_ref().any(|item| id(&item) == *after)
        {
            return (Vec::new(), None);
        }
        let mut page: Vec<T> = items.by_ref().take(self.limit + 1).collect();
        let next = if page.len() > self.limit {
            page.truncate(self.limit);
            page.last().map(&id)
        } else {
            None
        };
        (page, next)
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay as they are).
pub(crate) fn encode(value: &str) -> String {
    sim_core::url::encode(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(limit: usize, after: Option<&str>) -> Page {
        Page {
            limit,
            after: after.map(str::to_string),
        }
    }

    #[test]
    fn pages_follow_the_cursor_to_the_end() {
        let items: Vec<String> = (0..5).map(|i| format!("id{i}")).collect();
        let id = |s: &&String| (*s).clone();
        let (first, next) = page(2, None).take(items.iter(), id);
        assert_eq!(first, [&items[0], &items[1]]);
        assert_eq!(next.as_deref(), Some("id1"));
        let (second, next) = page(2, next.as_deref()).take(items.iter(), id);
        assert_eq!(second, [&items[2], &items[3]]);
        let (third, next) = page(2, next.as_deref()).take(items.iter(), id);
        assert_eq!(third, [&items[4]]);
        assert_eq!(next, None);
        let (exact, next) = page(5, None).take(items.iter(), id);
        assert_eq!(exact.len(), 5);
        assert_eq!(next, None);
        let (unknown, next) = page(2, Some("gone")).take(items.iter(), id);
        assert!(unknown.is_empty());
        assert_eq!(next, None);
    }

    #[test]
    fn cursors_are_percent_encoded() {
        assert_eq!(encode("00u1AbC"), "00u1AbC");
        assert_eq!(encode("a b&c=d"), "a%20b%26c%3Dd");
    }
}
