//! Service apps and the client-credentials grant (BEHAVIOURS.md OKTA-TOK-10, OKTA-TOK-11):
//! `client_secret_basic`, `client_secret_post` and `private_key_jwt` (ES256 with a P-256 key,
//! RS256 with a fixed dev key) against a custom authorization server whose rule allows the
//! grant and a custom scope, with Okta's refusals.

use crate::oidc_support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oidc_support::{Org, Reply, jwt_parts, unix, verify_with_jwks};
use reqwest::Method;
use serde_json::{Value, json};
use sim_testkit::jwt::{self, EcKey};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// An org with a custom server (`reports:read`, `reports:write`), a service app using
/// `method` (with `jwks` for `private_key_jwt`), a policy for it and a rule allowing
/// client credentials with `reports:read` only.
struct Service {
    org: Org,
    as_id: String,
    client_id: String,
    secret: Option<String>,
}

impl Service {
    async fn start(seed: u64, method: &str, jwks: Option<Value>) -> Service {
        let org = Org::start(seed).await;
        let as_id = org
            .admin_post(
                "/api/v1/authorizationServers",
                json!({ "name": "reports", "audiences": ["api://reports"] }),
            )
            .await["id"]
            .as_str()
            .expect("an id")
            .to_string();
        for scope in ["reports:read", "reports:write"] {
            org.admin_post(
                &format!("/api/v1/authorizationServers/{as_id}/scopes"),
                json!({ "name": scope }),
            )
            .await;
        }
        let mut oauth =
            json!({ "application_type": "service", "grant_types": ["client_credentials"] });
        if let Some(jwks) = jwks {
            oauth["jwks"] = jwks;
        }
        let app = org
            .admin_post(
                "/api/v1/apps",
                json!({
                    "name": "oidc_client",
                    "label": "Reports job",
                    "signOnMode": "OPENID_CONNECT",
                    "credentials": { "oauthClient": { "token_endpoint_auth_method": method } },
                    "settings": { "oauthClient": oauth },
                }),
            )
            .await;
        let client_id = app["id"].as_str().expect("an id").to_string();
        let secret = app["credentials"]["oauthClient"]["client_secret"]
            .as_str()
            .map(str::to_string);
        let policy = org
            .admin_post(
                &format!("/api/v1/authorizationServers/{as_id}/policies"),
                json!({ "type": "OAUTH_AUTHORIZATION_POLICY", "name": "Jobs",
                        "conditions": { "clients": { "include": [client_id] } } }),
            )
            .await;
        let policy_id = policy["id"].as_str().expect("an id");
        org.admin_post(
            &format!("/api/v1/authorizationServers/{as_id}/policies/{policy_id}/rules"),
            json!({ "type": "RESOURCE_ACCESS", "name": "Jobs read",
                    "conditions": { "people": { "groups": { "include": ["EVERYONE"] } },
                                    "grantTypes": { "include": ["client_credentials"] },
                                    "scopes": { "include": ["reports:read"] } } }),
        )
        .await;
        Service {
            org,
            as_id,
            client_id,
            secret,
        }
    }

    async fn send(&self, pairs: Vec<(&str, String)>) -> Reply {
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.token(&refs).await
    }

    fn endpoint(&self, name: &str) -> String {
        format!("{}/oauth2/{}/v1/{name}", self.org.base(), self.as_id)
    }

    async fn token(&self, pairs: &[(&str, &str)]) -> Reply {
        self.org.post_form(&self.endpoint("token"), pairs).await
    }

    async fn token_basic(&self, secret: &str, pairs: &[(&str, &str)]) -> Reply {
        let basic = STANDARD.encode(format!("{}:{secret}", self.client_id));
        self.org
            .send(
                self.org
                    .http
                    .post(self.endpoint("token"))
                    .header("authorization", format!("Basic {basic}"))
                    .form(pairs),
            )
            .await
    }

    /// The claims of an assertion for this client, to the token endpoint, living 5 minutes.
    async fn claims(&self, jti: &str) -> Value {
        let now = unix(self.org.now().await);
        json!({ "iss": self.client_id, "sub": self.client_id, "aud": self.endpoint("token"),
                "iat": now, "exp": now + 300, "jti": jti })
    }
}

fn check_client_token(service: &Service, reply: &Reply, jwks: &Value) {
    let body = reply.ok();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "reports:read");
    assert_eq!(body["expires_in"], 3600);
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body.get("id_token").is_none(), "{body}");
    let access = body["access_token"].as_str().expect("an access token");
    let (header, claims) = jwt_parts(access);
    assert_eq!(claims["sub"], service.client_id.as_str());
    assert_eq!(claims["cid"], service.client_id.as_str());
    assert_eq!(claims["scp"], json!(["reports:read"]));
    assert_eq!(claims["aud"], "api://reports");
    assert_eq!(
        claims["iss"],
        format!("{}/oauth2/{}", service.org.base(), service.as_id).as_str()
    );
    assert!(claims.get("uid").is_none(), "{claims}");
    assert_eq!(
        verify_with_jwks(access, jwks).as_deref(),
        header["kid"].as_str()
    );
}

/// A service app with a secret gets a token of its own with `client_secret_basic` and
/// `client_secret_post`, and Okta's refusals otherwise.
// covers: OKTA-TOK-10
#[tokio::test]
async fn okta_tok_10_client_credentials_with_a_client_secret() {
    let service = Service::start(21, "client_secret_basic", None).await;
    let secret = service.secret.clone().expect("a client secret");
    let jwks = service
        .org
        .get(&service.endpoint("keys"))
        .await
        .ok()
        .clone();
    let grant = [
        ("grant_type", "client_credentials"),
        ("scope", "reports:read"),
    ];
    let basic = service.token_basic(&secret, &grant).await;
    check_client_token(&service, &basic, &jwks);
    let post = service
        .token(&[
            ("grant_type", "client_credentials"),
            ("scope", "reports:read"),
            ("client_id", &service.client_id),
            ("client_secret", &secret),
        ])
        .await;
    check_client_token(&service, &post, &jwks);
    // Introspected by the client, it is active and has no user.
    let access = post.ok()["access_token"].as_str().expect("a token");
    let introspection = service
        .org
        .post_form(
            &service.endpoint("introspect"),
            &[
                ("client_id", &service.client_id),
                ("client_secret", &secret),
                ("token", access),
            ],
        )
        .await;
    assert_eq!(introspection.ok()["active"], true);
    assert_eq!(introspection.ok()["client_id"], service.client_id.as_str());
    assert_eq!(introspection.ok()["sub"], service.client_id.as_str());
    assert_eq!(introspection.ok()["token_type"], "Bearer");
    assert!(introspection.ok().get("uid").is_none(), "{introspection:?}");
    assert!(introspection.ok().get("username").is_none());

    service.token_basic("wrong", &grant).await.oauth_error(
        401,
        "invalid_client",
        "Client authentication failed. Either the client or the client credentials are invalid.",
    );
    service
        .token_basic(
            &secret,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "reports:write"),
            ],
        )
        .await
        .oauth_error(
            400,
            "access_denied",
            "Policy evaluation failed for this request, please check the policy configurations.",
        );
    service
        .token_basic(
            &secret,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "reports:delete"),
            ],
        )
        .await
        .oauth_error(
            400,
            "invalid_scope",
            "One or more scopes are not configured for the authorization server resource.",
        );
    service
        .token_basic(
            &secret,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "openid reports:read"),
            ],
        )
        .await
        .oauth_error(
            400,
            "invalid_scope",
            "The following scopes are not allowed for the client_credentials grant type: openid.",
        );
    service
        .token_basic(&secret, &[("grant_type", "client_credentials")])
        .await
        .oauth_error(
            400,
            "invalid_scope",
            "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
        );

    // A native (public) app may not use the grant.
    let native = service.org.create_app(&[oidc_support::REDIRECT]).await;
    service
        .token(&[
            ("grant_type", "client_credentials"),
            ("scope", "reports:read"),
            ("client_id", &native),
        ])
        .await
        .oauth_error(
            400,
            "unauthorized_client",
            "The client is not authorized to use the provided grant type. Configured grant types: [authorization_code, refresh_token].",
        );
    // A service app is made only for client credentials.
    let refused = service
        .org
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(json!({
                "name": "oidc_client", "label": "Bad job", "signOnMode": "OPENID_CONNECT",
                "settings": { "oauthClient": { "application_type": "service",
                    "grant_types": ["client_credentials", "authorization_code"],
                    "redirect_uris": ["https://example.com/cb"] } },
            })),
        )
        .await;
    assert_eq!(
        refused.okta_error(
            400,
            "E0000001",
            "Api validation failed: settings.oauthClient"
        ),
        ["grant_types: Service applications can only use the client_credentials grant type."]
    );
}

/// `private_key_jwt`: an assertion signed with a key of the app's JWKS (ES256 with a P-256
/// key, RS256 with a fixed dev key) authenticates the client once; a replay, a foreign key,
/// a wrong audience, an expired assertion or a secret instead are `invalid_client`.
// covers: OKTA-TOK-11
#[tokio::test]
async fn okta_tok_11_client_credentials_with_private_key_jwt() {
    let ec = EcKey::generate("ec-1");
    let ec_jwk = ec.jwk();
    let rsa = sim_core::keys::dev_keys(sim_core::Seed(99))
        .expect("dev keys")
        .remove(3);
    let rsa_jwk = serde_json::to_value(rsa.jwk()).expect("a JWK");
    let service = Service::start(
        22,
        "private_key_jwt",
        Some(json!({ "keys": [ec_jwk, rsa_jwk] })),
    )
    .await;
    assert_eq!(service.secret, None);
    let app = service
        .org
        .admin(
            Method::GET,
            &format!("/api/v1/apps/{}", service.client_id),
            None,
        )
        .await;
    assert_eq!(
        app.ok()["settings"]["oauthClient"]["jwks"]["keys"][0]["kid"],
        "ec-1"
    );
    let jwks = service
        .org
        .get(&service.endpoint("keys"))
        .await
        .ok()
        .clone();
    let grant = |assertion: &str| {
        vec![
            ("grant_type", "client_credentials".to_string()),
            ("scope", "reports:read".to_string()),
            ("client_assertion_type", JWT_BEARER.to_string()),
            ("client_assertion", assertion.to_string()),
        ]
    };

    let es = ec.es256(&service.claims("jti-1").await);
    check_client_token(&service, &service.send(grant(&es)).await, &jwks);
    // The same assertion again: refused.
    service.send(grant(&es)).await.oauth_error(
        401,
        "invalid_client",
        "The client_assertion token has already been used.",
    );
    let rs = jwt::rs256(&rsa, &service.claims("jti-2").await);
    check_client_token(&service, &service.send(grant(&rs)).await, &jwks);

    // Signed by a key the app does not have (a fresh P-256 key under the same kid).
    let other = EcKey::generate("ec-1");
    let foreign = other.es256(&service.claims("jti-3").await);
    service.send(grant(&foreign)).await.oauth_error(
        401,
        "invalid_client",
        "The client_assertion signature is invalid.",
    );
    let mut claims = service.claims("jti-4").await;
    claims["aud"] = json!("https://elsewhere.example/token");
    let wrong_aud = ec.es256(&claims);
    service.send(grant(&wrong_aud)).await.oauth_error(
        401,
        "invalid_client",
        "The audience [aud] claim for client_assertion JWT is invalid.",
    );
    let mut claims = service.claims("jti-5").await;
    claims["exp"] = json!(claims["iat"].as_u64().expect("iat") - 1);
    let expired = ec.es256(&claims);
    service.send(grant(&expired)).await.oauth_error(
        401,
        "invalid_client",
        "The client_assertion token is expired.",
    );
    let mut claims = service.claims("jti-6").await;
    claims["exp"] = json!(claims["iat"].as_u64().expect("iat") + 2 * 3600);
    let far = ec.es256(&claims);
    service.send(grant(&far)).await.oauth_error(
        401,
        "invalid_client",
        "The client_assertion token has an expiration too far into the future.",
    );
    // A secret is no credential for this client.
    service
        .token(&[
            ("grant_type", "client_credentials"),
            ("scope", "reports:read"),
            ("client_id", &service.client_id),
            ("client_secret", "anything"),
        ])
        .await
        .oauth_error(
            401,
            "invalid_client",
            "Client authentication failed. Either the client or the client credentials are invalid.",
        );
    // A wrong assertion type.
    let fresh = ec.es256(&service.claims("jti-7").await);
    let mut pairs = grant(&fresh);
    pairs[2].1 = "urn:example:other".into();
    service.send(pairs).await.oauth_error(
        401,
        "invalid_client",
        "The client_assertion_type is invalid.",
    );
    // That refusal did not spend the assertion.
    check_client_token(&service, &service.send(grant(&fresh)).await, &jwks);
    // A private_key_jwt app needs keys.
    let refused = service
        .org
        .admin(
            Method::POST,
            "/api/v1/apps",
            Some(json!({
                "name": "oidc_client", "label": "Keyless job", "signOnMode": "OPENID_CONNECT",
                "credentials": { "oauthClient": { "token_endpoint_auth_method": "private_key_jwt" } },
                "settings": { "oauthClient": { "application_type": "service" } },
            })),
        )
        .await;
    assert_eq!(
        refused.okta_error(
            400,
            "E0000001",
            "Api validation failed: settings.oauthClient"
        ),
        ["jwks: The 'jwks' field is required when token_endpoint_auth_method is private_key_jwt."]
    );
}
