//! One HTTP answer type for every service's tests: [`Reply`] (status, headers, the body as
//! bytes, text and JSON) read whole by [`read`], with the checks the tests make on it, in each
//! service's own error format: Okta's error object and OAuth errors, AWS JSON errors and
//! Kiro's SCIM errors, the Cloudflare envelope of the DNS provider API.

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// What an HTTP call answered.
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body, parsed as JSON (`Value::Null` if it is empty or not JSON).
    pub body: Value,
    /// The raw body.
    pub bytes: Vec<u8>,
    /// The body as text (lossy UTF-8).
    pub text: String,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &self.text)
            .finish()
    }
}

/// Sends a request and reads the whole answer (panics if there is none: a test failure).
pub async fn read(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("the request was answered");
    Reply::from_response(response).await
}

impl Reply {
    /// Reads a response whole.
    pub async fn from_response(response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("the body was read").to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Reply {
            status,
            headers,
            body,
            bytes,
            text,
        }
    }

    /// The body after checking the status is `status`.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected status: {self:?}");
        &self.body
    }

    /// The body after checking the status is 200.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        self.expect(200)
    }

    /// A header as a string ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Every value of a header.
    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }

    /// The target of the `Link` header with `rel="{rel}"`, if any.
    pub fn link(&self, rel: &str) -> Option<String> {
        let wanted = format!("rel=\"{rel}\"");
        self.header_all("link")
            .iter()
            .flat_map(|v| v.split(',').map(str::trim).map(str::to_string))
            .find(|l| l.contains(&wanted))
            .and_then(|l| {
                let start = l.find('<')? + 1;
                let end = l.find('>')?;
                Some(l[start..end].to_string())
            })
    }

    /// The `Location` of a 302.
    #[track_caller]
    pub fn location(&self) -> String {
        assert_eq!(self.status, 302, "expected a redirect: {self:?}");
        self.header("location").to_string()
    }

    /// Checks the body is Okta's error object with this status, code and summary, and returns
    /// its `errorCauses` summaries.
    #[track_caller]
    pub fn okta_error(&self, status: u16, code: &str, summary: &str) -> Vec<String> {
        assert_eq!(self.status, status, "unexpected status: {self:?}");
        assert_eq!(self.body["errorCode"], json!(code), "{self:?}");
        assert_eq!(self.body["errorSummary"], json!(summary), "{self:?}");
        assert_eq!(self.body["errorLink"], json!(code), "{self:?}");
        assert!(
            self.body["errorId"]
                .as_str()
                .is_some_and(|id| id.starts_with("oae")),
            "{self:?}"
        );
        self.body["errorCauses"]
            .as_array()
            .expect("errorCauses is an array")
            .iter()
            .map(|c| {
                c["errorSummary"]
                    .as_str()
                    .expect("a cause has an errorSummary")
                    .to_string()
            })
            .collect()
    }

    /// Checks this is an OAuth error with exactly this body (`{"error","error_description"}`).
    #[track_caller]
    pub fn oauth_error(&self, status: u16, error: &str, description: &str) {
        assert_eq!(self.status, status, "unexpected status: {self:?}");
        assert_eq!(
            self.body,
            json!({ "error": error, "error_description": description }),
            "{self:?}"
        );
    }

    /// Checks an AWS JSON error: status, `__type`, `message` and the `x-amzn-errortype`
    /// header.
    #[track_caller]
    pub fn assert_aws_error(&self, status: u16, kind: &str, message: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(
            self.body,
            json!({ "__type": kind, "message": message }),
            "{self:?}"
        );
        assert_eq!(self.header("x-amzn-errortype"), kind, "{self:?}");
    }

    /// Checks a SCIM error as Kiro answers it: status, content type, the Error schema with
    /// `detail`, `scimType` (or none), a request id and a timestamp.
    #[track_caller]
    pub fn assert_scim_error(&self, status: u16, scim_type: Option<&str>, detail: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(
            self.header("content-type"),
            "application/scim+json",
            "{self:?}"
        );
        let request_id = self.header("x-amzn-requestid");
        assert!(!request_id.is_empty(), "a request id: {self:?}");
        let mut expected = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": status.to_string(),
            "detail": detail,
            "exceptionRequestId": request_id,
            "timeStamp": self.body["timeStamp"],
        });
        if let Some(t) = scim_type {
            expected["scimType"] = json!(t);
        }
        assert_eq!(self.body, expected, "{self:?}");
        assert!(
            self.body["timeStamp"]
                .as_str()
                .is_some_and(|t| t.starts_with("20")),
            "{self:?}"
        );
    }

    /// The `result` of a Cloudflare envelope, after checking the call succeeded.
    #[track_caller]
    pub fn result(&self) -> &Value {
        assert_eq!(self.status, 200, "expected success, got {self:?}");
        assert_eq!(self.body["success"], json!(true), "{self:?}");
        assert_eq!(self.body["errors"], json!([]), "{self:?}");
        &self.body["result"]
    }
}
