//! The SCIM discovery documents (RFC 7643 §5–7), advertising only what this endpoint really
//! does: PATCH yes; bulk, changePassword, sort and ETags no; filters yes (eq/and only, at
//! most 100 results); OAuth bearer tokens.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{GROUP_SCHEMA, ScimCaller, USER_SCHEMA, list_response, scim_json};
use crate::core::scim::ENTERPRISE;
use crate::wire::ScimError;

const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

/// `GET /ServiceProviderConfig`.
pub(crate) async fn service_provider_config(_caller: ScimCaller) -> Response {
    scim_json(
        StatusCode::OK,
        json!({
            "schemas": [SPC_SCHEMA],
            "documentationUri": "https://docs.aws.amazon.com/singlesignon/latest/developerguide/what-is-scim.html",
            "patch": { "supported": true },
            "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
            "filter": { "supported": true, "maxResults": crate::core::scim::MAX_COUNT },
            "changePassword": { "supported": false },
            "sort": { "supported": false },
            "etag": { "supported": false },
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication with the SCIM access token generated in the Kiro console.",
                "specUri": "https://www.rfc-editor.org/info/rfc6750",
                "primary": true,
            }],
            "meta": { "resourceType": "ServiceProviderConfig" },
        }),
    )
}

/// `GET /Schemas`.
pub(crate) async fn schemas(_caller: ScimCaller) -> Response {
    let all = all_schemas();
    list_response(all.len(), all, None)
}

/// `GET /Schemas/{id}`.
pub(crate) async fn schema(
    caller: ScimCaller,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ScimError> {
    all_schemas()
        .into_iter()
        .find(|s| s["id"] == id.as_str())
        .map(|s| scim_json(StatusCode::OK, s))
        .ok_or_else(|| {
            ScimError::new(
                StatusCode::NOT_FOUND,
                None,
                format!("Schema {id} not found."),
                caller.now,
            )
        })
}

/// `GET /ResourceTypes`.
pub(crate) async fn resource_types(_caller: ScimCaller) -> Response {
    let all = all_resource_types();
    list_response(all.len(), all, None)
}

/// `GET /ResourceTypes/{id}`.
pub(crate) async fn resource_type(
    caller: ScimCaller,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ScimError> {
    all_resource_types()
        .into_iter()
        .find(|s| s["id"] == id.as_str())
        .map(|s| scim_json(StatusCode::OK, s))
        .ok_or_else(|| {
            ScimError::new(
                StatusCode::NOT_FOUND,
                None,
                format!("Resource type {id} not found."),
                caller.now,
            )
        })
}

fn all_resource_types() -> Vec<Value> {
    vec![
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{ "schema": ENTERPRISE, "required": false }],
            "meta": { "resourceType": "ResourceType" },
        }),
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Group",
            "schema": GROUP_SCHEMA,
            "schemaExtensions": [],
            "meta": { "resourceType": "ResourceType" },
        }),
    ]
}

/// An attribute definition. `kind` is the SCIM type; `uniqueness` "none" unless given.
fn attr(name: &str, kind: &str, required: bool, description: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": description,
        "required": required,
        "caseExact": false,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    })
}

fn string(name: &str, required: bool, description: &str) -> Value {
    attr(name, "string", required, description)
}

fn complex(name: &str, multi: bool, required: bool, description: &str, sub: Vec<Value>) -> Value {
    let mut a = attr(name, "complex", required, description);
    a["multiValued"] = json!(multi);
    a["subAttributes"] = Value::Array(sub);
    a
}

/// The sub-attributes of a multi-valued attribute IdC holds one value of.
fn value_type_primary(description: &str) -> Vec<Value> {
    vec![
        string("value", false, description),
        string(
            "type",
            false,
            "A label indicating the attribute's function, e.g. work.",
        ),
        attr(
            "primary",
            "boolean",
            false,
            "Whether this is the primary value.",
        ),
    ]
}

fn schema_doc(id: &str, name: &str, description: &str, attributes: Vec<Value>) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes,
        "meta": { "resourceType": "Schema" },
    })
}

fn all_schemas() -> Vec<Value> {
    let mut user_name = string(
        "userName",
        true,
        "Unique identifier for the user, case-insensitive.",
    );
    user_name["uniqueness"] = json!("server");
    let mut display_name_group =
        string("displayName", true, "A human-readable name for the group.");
    display_name_group["uniqueness"] = json!("server");
    let mut members = complex(
        "members",
        true,
        false,
        "Members of the group (always returned empty; filter with `members eq` instead).",
        vec![
            string("value", false, "The id of a member user."),
            {
                let mut r = attr("$ref", "reference", false, "The URI of the member.");
                r["referenceTypes"] = json!(["User"]);
                r
            },
            string("type", false, "User."),
        ],
    );
    members["returned"] = json!("request");
    let user = schema_doc(
        USER_SCHEMA,
        "User",
        "User Account",
        vec![
            user_name,
            complex(
                "name",
                false,
                true,
                "The user's name; givenName and familyName are required.",
                vec![
                    string("formatted", false, "The full name."),
                    string("familyName", true, "The family name."),
                    string("givenName", true, "The given name."),
                    string("middleName", false, "The middle name."),
                    string("honorificPrefix", false, "The honorific prefix."),
                    string("honorificSuffix", false, "The honorific suffix."),
                ],
            ),
            string(
                "displayName",
                true,
                "The name of the user, suitable for display.",
            ),
            string("nickName", false, "The casual name of the user."),
            attr(
                "profileUrl",
                "reference",
                false,
                "A URL to the user's online profile.",
            ),
            string("title", false, "The user's title."),
            string(
                "userType",
                false,
                "The relationship between the organization and the user.",
            ),
            string(
                "preferredLanguage",
                false,
                "The user's preferred written or spoken language.",
            ),
            string("locale", false, "The user's default location."),
            string("timezone", false, "The user's time zone."),
            attr(
                "active",
                "boolean",
                false,
                "The user's administrative status.",
            ),
            complex(
                "emails",
                true,
                false,
                "Email address of the user (at most one).",
                value_type_primary("The email address."),
            ),
            complex(
                "phoneNumbers",
                true,
                false,
                "Phone number of the user (at most one).",
                value_type_primary("The phone number."),
            ),
            complex(
                "addresses",
                true,
                false,
                "Physical mailing address of the user (at most one).",
                vec![
                    string("formatted", false, "The full mailing address."),
                    string("streetAddress", false, "The street address."),
                    string("locality", false, "The city or locality."),
                    string("region", false, "The state or region."),
                    string("postalCode", false, "The zip or postal code."),
                    string("country", false, "The country."),
                    string("type", false, "work, home or other."),
                    attr(
                        "primary",
                        "boolean",
                        false,
                        "Whether this is the primary address.",
                    ),
                ],
            ),
        ],
    );
    let group = schema_doc(
        GROUP_SCHEMA,
        "Group",
        "Group",
        vec![display_name_group, members],
    );
    let enterprise = schema_doc(
        ENTERPRISE,
        "EnterpriseUser",
        "Enterprise User",
        vec![
            string(
                "employeeNumber",
                false,
                "A string identifier of the user within the organization.",
            ),
            string("costCenter", false, "The name of a cost center."),
            string("organization", false, "The name of an organization."),
            string("division", false, "The name of a division."),
            string("department", false, "The name of a department."),
            complex(
                "manager",
                false,
                false,
                "The user's manager.",
                vec![string("value", false, "The id of the manager.")],
            ),
        ],
    );
    vec![user, group, enterprise]
}
