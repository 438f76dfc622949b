//! The SCIM dialect IdC speaks, as pure functions over values (KIRO-SCIM-1, KIRO-SCIM-3..5,
//! KIRO-SCIM-7, KIRO-SCIM-8, KIRO-SCIM-10): filters (`eq` joined by `and`), `schemas` lists,
//! the rules every attribute value meets, a user's attributes parsed from its JSON form,
//! PATCH applied to that JSON form (paths, the enterprise extension, the `userName`/`active`
//! rules) and a group PATCH played on a [`Draft`]. The store (`store.rs`) calls these;
//! nothing here knows a profile.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Enterprise, MembershipChange, ScimError, ScimGroup, UserAttrs, invalid};

/// The enterprise extension's schema URN.
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core User schema's URN (a PATCH path may name an attribute under it).
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// One PATCH operation.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchOp {
    /// `add`, `replace`, `remove` (case-insensitive).
    pub op: String,
    /// Target path.
    #[serde(default)]
    pub path: Option<String>,
    /// Value.
    #[serde(default)]
    pub value: Option<Value>,
}

/// Parses an IdC filter: `attr eq "value"` joined by `and`; attributes from `allowed`
/// (case-insensitive). Returns (canonical attribute, value) pairs.
pub fn parse_filter(
    text: &str,
    allowed: &[&str],
) -> Result<Vec<(&'static str, String)>, ScimError> {
    let bad = |why: String| {
        ScimError::InvalidFilter(format!(
            "Filter {text:?} is not supported: {why}. Only 'eq' filters joined by 'and' on {} are.",
            allowed.join(", ")
        ))
    };
    let mut out = Vec::new();
    let mut rest = text.trim();
    loop {
        let (attr, after) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("expected `attribute eq \"value\"`".into()))?;
        let canonical = CANONICAL
            .iter()
            .find(|c| {
                c.eq_ignore_ascii_case(attr) && allowed.iter().any(|a| a.eq_ignore_ascii_case(c))
            })
            .ok_or_else(|| bad(format!("attribute `{attr}`")))?;
        let after = after.trim_start();
        let (op, after) = after
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("expected an operator".into()))?;
        if !op.eq_ignore_ascii_case("eq") {
            return Err(bad(format!("operator `{op}`")));
        }
        let after = after.trim_start();
        let after = after
            .strip_prefix('"')
            .ok_or_else(|| bad("expected a quoted value".into()))?;
        let end = after
            .find('"')
            .ok_or_else(|| bad("unterminated value".into()))?;
        out.push((*canonical, after[..end].to_string()));
        rest = after[end + 1..].trim();
        if rest.is_empty() {
            return Ok(out);
        }
        let (join, after) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad(format!("unexpected `{rest}`")))?;
        if !join.eq_ignore_ascii_case("and") {
            return Err(bad(format!("`{join}`")));
        }
        rest = after.trim_start();
    }
}

const CANONICAL: [&str; 5] = ["userName", "externalId", "id", "displayName", "members"];

/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// A resource's `schemas`: a list of URNs, each one this resource type knows (KIRO-SCIM-5);
/// an unknown URN is refused rather than stored or ignored.
pub fn check_schemas(schemas: &Value, known: &[&str]) -> Result<(), ScimError> {
    let list = schemas.as_array().ok_or_else(|| {
        invalid("Request is unparsable, syntactically incorrect, or violates schema: schemas must be a list of URNs.")
    })?;
    for urn in list {
        match urn.as_str() {
            Some(u) if known.iter().any(|k| k.eq_ignore_ascii_case(u)) => {}
            _ => {
                let shown: String = urn.to_string().chars().take(128).collect();
                return Err(invalid(format!(
                    "Request is unparsable, syntactically incorrect, or violates schema: unknown schema {shown}."
                )));
            }
        }
    }
    Ok(())
}

/// IAM Identity Center's length limits (Identity Store API): userName at most 128
/// characters, externalId at most 256, every other string at most 1,024 (KIRO-SCIM-5).
fn max_length(field: &str) -> usize {
    match field {
        "userName" => 128,
        "externalId" => 256,
        _ => 1024,
    }
}

/// IdC's rule for string values (KIRO-SCIM-3) and lengths (KIRO-SCIM-5).
pub(super) fn check_value(field: &str, value: &str) -> Result<(), ScimError> {
    if value.is_empty() {
        return Err(invalid(format!(
            "Request is unparsable, syntactically incorrect, or violates schema: {field} must not be empty."
        )));
    }
    let max = max_length(field);
    if value.chars().count() > max {
        return Err(invalid(format!(
            "Request is unparsable, syntactically incorrect, or violates schema: {field} must be at most {max} characters."
        )));
    }
    if value.chars().any(|c| {
        c.is_control()
            || "<>;:%".contains(c)
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{feff}')
    }) {
        return Err(invalid(format!(
            "Request is unparsable, syntactically incorrect, or violates schema: {field} contains characters that are not allowed."
        )));
    }
    Ok(())
}

pub(super) fn check_opt(field: &str, value: &Option<String>) -> Result<(), ScimError> {
    value.as_deref().map_or(Ok(()), |v| check_value(field, v))
}

/// CreateUser and PutUser: "The emails attribute value must be marked as primary."
/// (KIRO-SCIM-10; PatchUser's guide page does not say so, and a PATCH is not held to it).
pub(super) fn check_primary_email(a: &UserAttrs) -> Result<(), ScimError> {
    if a.emails.iter().any(|e| e.primary != Some(true)) {
        return Err(invalid("The emails value must be marked as primary."));
    }
    Ok(())
}

/// Validates a user's attributes against IdC's rules.
pub fn validate_user(a: &UserAttrs) -> Result<(), ScimError> {
    for (field, value) in [
        ("userName", &a.user_name),
        ("displayName", &a.display_name),
        ("name.givenName", &a.name.given_name),
        ("name.familyName", &a.name.family_name),
    ] {
        if value.is_empty() {
            return Err(invalid(format!("{field} is a required attribute.")));
        }
        check_value(field, value)?;
    }
    check_opt("externalId", &a.external_id)?;
    for (f, v) in [
        ("name.formatted", &a.name.formatted),
        ("name.middleName", &a.name.middle_name),
        ("name.honorificPrefix", &a.name.honorific_prefix),
        ("name.honorificSuffix", &a.name.honorific_suffix),
        ("nickName", &a.nick_name),
        ("title", &a.title),
        ("userType", &a.user_type),
        ("preferredLanguage", &a.preferred_language),
        ("locale", &a.locale),
        ("timezone", &a.timezone),
    ] {
        check_opt(f, v)?;
    }
    if let Some(url) = &a.profile_url
        && (url.is_empty()
            || url.chars().any(char::is_control)
            || url.chars().count() > max_length("profileUrl"))
    {
        return Err(invalid("profileUrl must be a non-empty URL."));
    }
    for (field, n) in [
        ("emails", a.emails.len()),
        ("addresses", a.addresses.len()),
        ("phoneNumbers", a.phone_numbers.len()),
    ] {
        if n > 1 {
            return Err(invalid(format!("{field} can hold only one value.")));
        }
    }
    for e in &a.emails {
        check_value("emails.value", &e.value)?;
    }
    for p in &a.phone_numbers {
        check_value("phoneNumbers.value", &p.value)?;
    }
    if let Some(e) = &a.enterprise {
        for (f, v) in [
            ("employeeNumber", &e.employee_number),
            ("costCenter", &e.cost_center),
            ("organization", &e.organization),
            ("division", &e.division),
            ("department", &e.department),
        ] {
            check_opt(f, v)?;
        }
    }
    Ok(())
}

/// User attributes of RFC 7643 that IdC does not support (CreateUser, PutUser, PatchUser:
/// "ims, photos, x509Certificates, entitlements, and password"; CreateUser: "The groups field
/// cannot be specified").
const UNSUPPORTED_USER_ATTRS: [&str; 6] = [
    "password",
    "ims",
    "photos",
    "x509Certificates",
    "entitlements",
    "groups",
];

/// Parses user attributes from a SCIM JSON body (`schemas`, `id`, `meta` are ignored).
pub fn user_attrs_from_json(body: &Value) -> Result<UserAttrs, ScimError> {
    let mut object = body.as_object().cloned().ok_or_else(|| {
        invalid("Request is unparsable, syntactically incorrect, or violates schema.")
    })?;
    if let Some(schemas) = object.remove("schemas") {
        check_schemas(&schemas, &[USER_SCHEMA, ENTERPRISE])?;
    }
    for ignored in ["id", "meta"] {
        object.remove(ignored);
    }
    // Some clients (scim2-models) repeat the extension's URN as `schemas` inside its object:
    // ignored like the top-level one (sim choice).
    if let Some(ext) = object.get_mut(ENTERPRISE).and_then(Value::as_object_mut) {
        ext.remove("schemas");
    }
    if let Some(key) = object.keys().find(|k| {
        UNSUPPORTED_USER_ATTRS
            .iter()
            .any(|u| u.eq_ignore_ascii_case(k))
    }) {
        return Err(invalid(format!(
            "Request is unparsable, syntactically incorrect, or violates schema: the {key} attribute is not supported."
        )));
    }
    let mut attrs: UserAttrs = serde_json::from_value(Value::Object(object)).map_err(|e| {
        invalid(format!(
            "Request is unparsable, syntactically incorrect, or violates schema: {e}"
        ))
    })?;
    // An empty extension (or one whose last attribute a PATCH removed) is no extension: the
    // user is shown with the core schema only.
    if attrs.enterprise.as_ref() == Some(&Enterprise::default()) {
        attrs.enterprise = None;
    }
    Ok(attrs)
}

/// A group PATCH in progress: the attributes it sets and the members it touches, over the
/// group's current members (borrowed, never copied).
pub(super) struct Draft<'g> {
    members: &'g sim_core::members::Members,
    pub(super) display_name: String,
    pub(super) external_id: Option<String>,
    /// Touched member ids, in order, with whether they end up in the group.
    pub(super) touched: Vec<(String, bool)>,
    pub(super) change: MembershipChange,
    /// Member changes asked for so far, counted before duplicates are dropped.
    pub(super) member_changes: usize,
}

impl<'g> Draft<'g> {
    /// A PATCH of `group` that has changed nothing yet.
    pub(super) fn new(group: &'g ScimGroup) -> Draft<'g> {
        Draft {
            members: &group.members,
            display_name: group.display_name.clone(),
            external_id: group.external_id.clone(),
            touched: Vec::new(),
            change: MembershipChange::default(),
            member_changes: 0,
        }
    }

    fn is_member(&self, id: &str) -> bool {
        match self.touched.iter().rev().find(|(m, _)| m == id) {
            Some((_, present)) => *present,
            None => self.members.contains(id),
        }
    }

    fn set(&mut self, id: &str, present: bool) {
        match self.touched.iter_mut().find(|(m, _)| m == id) {
            Some(entry) => entry.1 = present,
            None => self.touched.push((id.to_string(), present)),
        }
    }

    fn add(&mut self, value: &Value) -> Result<(), ScimError> {
        let ids = member_values(value)?;
        self.member_changes += ids.len();
        for id in ids {
            if !self.is_member(&id) {
                self.set(&id, true);
                self.change.removed.retain(|r| *r != id);
                self.change.added.push(id);
            }
        }
        Ok(())
    }

    fn remove(&mut self, ids: Vec<String>) {
        self.member_changes += ids.len();
        for id in ids {
            if self.is_member(&id) {
                self.set(&id, false);
                self.change.added.retain(|a| *a != id);
                self.change.removed.push(id);
            }
        }
    }

    fn set_attr(&mut self, key: &str, value: &Value) -> Result<(), ScimError> {
        let text = value
            .as_str()
            .ok_or_else(|| invalid(format!("{key} must be a string.")))?;
        if key.eq_ignore_ascii_case("displayName") {
            check_value("displayName", text)?;
            self.display_name = text.to_string();
        } else if key.eq_ignore_ascii_case("externalId") {
            check_value("externalId", text)?;
            self.external_id = Some(text.to_string());
        } else {
            return Err(invalid(format!(
                "Only displayName, members and externalId can be changed, not {key}."
            )));
        }
        Ok(())
    }

    pub(super) fn apply(&mut self, op: &PatchOp) -> Result<(), ScimError> {
        let kind = op.op.to_ascii_lowercase();
        let path = op.path.as_deref().map(str::trim);
        match (kind.as_str(), path) {
            ("add" | "replace", None) => {
                let object = op
                    .value
                    .as_ref()
                    .and_then(Value::as_object)
                    .ok_or_else(|| invalid("A PATCH without path needs an object value."))?;
                for (key, value) in object {
                    if key.eq_ignore_ascii_case("members") {
                        if kind == "replace" {
                            return Err(invalid("Replacing all group members is not supported."));
                        }
                        self.add(value)?;
                    } else {
                        self.set_attr(key, value)?;
                    }
                }
            }
            ("add", Some(p)) if p.eq_ignore_ascii_case("members") => {
                let value = op
                    .value
                    .as_ref()
                    .ok_or_else(|| invalid("add members needs a value."))?;
                self.add(value)?;
            }
            ("replace", Some(p)) if p.eq_ignore_ascii_case("members") => {
                return Err(invalid("Replacing all group members is not supported."));
            }
            ("remove", Some(p)) if p.eq_ignore_ascii_case("members") => {
                let value = op
                    .value
                    .as_ref()
                    .ok_or_else(|| invalid("Removing all group members is not supported."))?;
                self.remove(member_values(value)?);
            }
            ("remove", Some(p)) if p.to_ascii_lowercase().starts_with("members[") => {
                let filter = p
                    .get(8..p.len().saturating_sub(1))
                    .filter(|_| p.ends_with(']'))
                    .ok_or_else(|| ScimError::InvalidFilter(format!("Invalid path {p}.")))?;
                let conditions = parse_filter(filter, &["id"]).or_else(|_| {
                    let value = filter.trim().strip_prefix("value").ok_or_else(|| {
                        ScimError::InvalidFilter(format!("Invalid member filter {filter}."))
                    })?;
                    parse_filter(&format!("id{value}"), &["id"])
                })?;
                self.remove(conditions.into_iter().map(|(_, v)| v).collect());
            }
            ("add" | "replace", Some(p)) => {
                let value = op
                    .value
                    .as_ref()
                    .ok_or_else(|| invalid(format!("{kind} {p} needs a value.")))?;
                self.set_attr(p, value)?;
            }
            ("remove", Some(p)) if p.eq_ignore_ascii_case("externalId") => self.external_id = None,
            _ => {
                return Err(invalid(format!(
                    "Unsupported PATCH operation {} on {:?}.",
                    op.op, op.path
                )));
            }
        }
        Ok(())
    }
}

fn member_values(value: &Value) -> Result<Vec<String>, ScimError> {
    let list = value
        .as_array()
        .ok_or_else(|| invalid("members must be a list of {\"value\": id}."))?;
    list.iter()
        .map(|m| {
            m.get("value")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| invalid("Each member needs a value."))
        })
        .collect()
}

/// Where a user PATCH path points: the core schema, or the enterprise extension (the whole
/// extension for the bare URN, or one of its attributes after `URN:`). URNs compare
/// case-insensitively (RFC 7644 §3.10).
enum Target<'p> {
    Core(&'p str),
    Extension,
    ExtensionAttr(&'p str),
}

fn target(path: &str) -> Target<'_> {
    let mut path = path.trim();
    if let Some(head) = path.get(..CORE_USER.len() + 1)
        && head.eq_ignore_ascii_case(&format!("{CORE_USER}:"))
    {
        path = &path[CORE_USER.len() + 1..];
    }
    match path.get(..ENTERPRISE.len()) {
        Some(head) if head.eq_ignore_ascii_case(ENTERPRISE) => {
            match path[ENTERPRISE.len()..].strip_prefix(':') {
                Some(attr) => Target::ExtensionAttr(attr),
                None if path.len() == ENTERPRISE.len() => Target::Extension,
                None => Target::Core(path),
            }
        }
        _ => Target::Core(path),
    }
}

/// The attributes IdC refuses to `remove` and allows one operation on per request.
const ONE_OP_ONLY: [&str; 2] = ["userName", "active"];

/// IdC's PatchUser rules on a whole request: no `remove` of `userName` or `active`, and at most
/// one operation on each of them (KIRO-SCIM-8).
pub(super) fn check_user_ops(ops: &[PatchOp]) -> Result<(), ScimError> {
    for attr in ONE_OP_ONLY {
        let mut touching = 0;
        for op in ops {
            let named = match (op.path.as_deref(), op.value.as_ref()) {
                (Some(path), _) => {
                    matches!(target(path), Target::Core(p) if p.eq_ignore_ascii_case(attr))
                }
                (None, Some(Value::Object(value))) => {
                    value.keys().any(|k| k.eq_ignore_ascii_case(attr))
                }
                (None, _) => false,
            };
            if !named {
                continue;
            }
            if op.op.eq_ignore_ascii_case("remove") {
                return Err(invalid(format!(
                    "The remove operation is not supported for {attr}."
                )));
            }
            touching += 1;
        }
        if touching > 1 {
            return Err(invalid(format!(
                "Multiple operations on {attr} in one request are not supported."
            )));
        }
    }
    Ok(())
}

/// The enterprise extension's object in a user's JSON form, made if missing.
fn extension(object: &mut Map<String, Value>) -> &mut Value {
    object
        .entry(ENTERPRISE)
        .or_insert_with(|| Value::Object(Map::new()))
}

/// Applies one PATCH op to a user's JSON form.
pub(super) fn apply_user_op(json: &mut Value, op: &PatchOp) -> Result<(), ScimError> {
    let kind = op.op.to_ascii_lowercase();
    let object = json
        .as_object_mut()
        .ok_or_else(|| invalid("internal: user is not an object"))?;
    match (kind.as_str(), op.path.as_deref()) {
        ("add" | "replace", None) => {
            let value = op
                .value
                .as_ref()
                .and_then(Value::as_object)
                .ok_or_else(|| invalid("A PATCH without path needs an object value."))?;
            for (key, v) in value {
                match target(key) {
                    Target::Extension => merge_extension(object, v)?,
                    Target::ExtensionAttr(attr) => set_path(extension(object), attr, v.clone())?,
                    Target::Core(key) => set_path(object, key, v.clone())?,
                }
            }
            Ok(())
        }
        ("add" | "replace", Some(path)) => {
            let value = op
                .value
                .clone()
                .ok_or_else(|| invalid(format!("{kind} {path} needs a value.")))?;
            match target(path) {
                Target::Extension => merge_extension(object, &value),
                Target::ExtensionAttr(attr) => set_path(extension(object), attr, value),
                Target::Core(path) => set_path(object, path, value),
            }
        }
        ("remove", Some(path)) => {
            match target(path) {
                Target::Extension => {
                    object.remove(ENTERPRISE);
                }
                Target::ExtensionAttr(attr) => {
                    if let Some(ext) = object.get_mut(ENTERPRISE).and_then(Value::as_object_mut) {
                        remove_path(ext, attr);
                    }
                }
                Target::Core(path) => remove_path(object, path),
            }
            Ok(())
        }
        ("remove", None) => Err(invalid("The path is required for a remove operation.")),
        _ => Err(invalid(format!(
            "The operation {:?} is not supported: use add, replace or remove.",
            op.op
        ))),
    }
}

/// Longest PATCH path accepted (sim choice; longer than any attribute path with a filter).
pub const MAX_PATH_LENGTH: usize = 512;
/// Most segments of a PATCH path: `attribute.subAttribute` (SCIM's attribute paths, RFC 7644
/// section 3.10, go no deeper).
const MAX_PATH_SEGMENTS: usize = 2;

/// `add`/`replace` of the whole enterprise extension: its attributes are set one by one.
fn merge_extension(object: &mut Map<String, Value>, value: &Value) -> Result<(), ScimError> {
    let attrs = value
        .as_object()
        .ok_or_else(|| invalid(format!("{ENTERPRISE} must be an object.")))?;
    let ext = extension(object);
    for (attr, v) in attrs {
        set_path(ext, attr, v.clone())?;
    }
    Ok(())
}

/// Removes `path` (`title`, `name.givenName`, `emails[type eq "work"].value`) from an object.
fn remove_path(object: &mut Map<String, Value>, path: &str) {
    let (head, tail) = path
        .split_once('.')
        .map_or((path, None), |(h, t)| (h, Some(t)));
    let key = head.split('[').next().unwrap_or(head);
    match tail {
        None => {
            let canonical = object.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned();
            if let Some(k) = canonical {
                object.remove(&k);
            }
        }
        Some(sub) => {
            if let Some(inner) = object
                .iter_mut()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
            {
                match inner {
                    Value::Object(o) => {
                        let canonical = o.keys().find(|k| k.eq_ignore_ascii_case(sub)).cloned();
                        if let Some(k) = canonical {
                            o.remove(&k);
                        }
                    }
                    Value::Array(items) => {
                        for item in items.iter_mut().filter_map(Value::as_object_mut) {
                            item.remove(sub);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Sets `path` (`name.givenName`, `emails[type eq "work"].value`, `active`) in an object.
/// A path with more segments than SCIM attributes have, or longer than [`MAX_PATH_LENGTH`],
/// is refused with invalidPath before anything is nested (KIRO-SCIM-4).
fn set_path<T: PathTarget + ?Sized>(
    target: &mut T,
    path: &str,
    value: Value,
) -> Result<(), ScimError> {
    if path.len() > MAX_PATH_LENGTH {
        return Err(ScimError::InvalidPath(format!(
            "Invalid path: longer than {MAX_PATH_LENGTH} characters."
        )));
    }
    let mut bracket = 0usize;
    let dots = path
        .chars()
        .filter(|&c| {
            match c {
                '[' => bracket += 1,
                ']' => bracket = bracket.saturating_sub(1),
                _ => {}
            }
            c == '.' && bracket == 0
        })
        .count();
    if dots >= MAX_PATH_SEGMENTS {
        let shown: String = path.chars().take(64).collect();
        return Err(ScimError::InvalidPath(format!(
            "Invalid path {shown}: an attribute path has at most {MAX_PATH_SEGMENTS} segments."
        )));
    }
    set_path_in(target, path, value)
}

fn set_path_in<T: PathTarget + ?Sized>(
    target: &mut T,
    path: &str,
    value: Value,
) -> Result<(), ScimError> {
    let object = target
        .object()
        .ok_or_else(|| invalid("internal: not an object"))?;
    let (head, tail) = path
        .split_once('.')
        .map_or((path, None), |(h, t)| (h, Some(t)));
    let (name, filter) = match head.split_once('[') {
        Some((n, f)) => (n, Some(f.trim_end_matches(']'))),
        None => (head, None),
    };
    let key = object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| camel(name));
    match (filter, tail) {
        (None, None) => {
            object.insert(key, value);
        }
        (None, Some(rest)) => {
            let inner = object
                .entry(key)
                .or_insert_with(|| Value::Object(Map::new()));
            set_path_in(inner, rest, value)?;
        }
        (Some(filter), rest) => {
            // Multi-valued attribute: IdC holds one value, so the filter picks it or makes it.
            let (fattr, fvalue) = filter
                .split_once(" eq ")
                .map(|(a, v)| (a.trim().to_string(), v.trim().trim_matches('"').to_string()))
                .ok_or_else(|| {
                    ScimError::InvalidFilter(format!("Invalid path filter {filter}."))
                })?;
            let list = object
                .entry(key)
                .or_insert_with(|| Value::Array(Vec::new()));
            let items = list
                .as_array_mut()
                .ok_or_else(|| invalid(format!("{name} is not multi-valued.")))?;
            if items.is_empty() {
                let mut item = Map::new();
                item.insert(fattr.clone(), Value::String(fvalue.clone()));
                items.push(Value::Object(item));
            }
            for item in items.iter_mut() {
                match rest {
                    Some(sub) => set_path_in(item, sub, value.clone())?,
                    None => *item = value.clone(),
                }
            }
        }
    }
    Ok(())
}

/// Something `set_path` can write into.
trait PathTarget {
    fn object(&mut self) -> Option<&mut Map<String, Value>>;
}

impl PathTarget for Value {
    fn object(&mut self) -> Option<&mut Map<String, Value>> {
        self.as_object_mut()
    }
}

impl PathTarget for Map<String, Value> {
    fn object(&mut self) -> Option<&mut Map<String, Value>> {
        Some(self)
    }
}

/// `givenname` → `givenName` for the attributes SCIM clients spell in other cases.
fn camel(name: &str) -> String {
    const KNOWN: [&str; 28] = [
        "externalId",
        "userName",
        "name",
        "displayName",
        "nickName",
        "profileUrl",
        "title",
        "userType",
        "preferredLanguage",
        "locale",
        "timezone",
        "active",
        "emails",
        "addresses",
        "phoneNumbers",
        "formatted",
        "familyName",
        "givenName",
        "middleName",
        "honorificPrefix",
        "honorificSuffix",
        "value",
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
        "manager",
    ];
    KNOWN
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |k| k.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_eq_and_only() {
        assert_eq!(
            parse_filter(
                r#"userName eq "ada@example.com" and externalId eq "00u1""#,
                &["userName", "externalId", "id"]
            ),
            Ok(vec![
                ("userName", "ada@example.com".to_string()),
                ("externalId", "00u1".to_string())
            ])
        );
        assert_eq!(
            parse_filter(r#"USERNAME EQ "x""#, &["userName"]).map(|v| v.len()),
            Ok(1)
        );
        for bad in [
            r#"userName co "a""#,
            r#"userName eq "a" or id eq "b""#,
            r#"emails.value eq "a""#,
            "userName eq a",
            r#"displayName eq "g""#,
        ] {
            assert!(
                matches!(
                    parse_filter(bad, &["userName", "externalId", "id"]),
                    Err(ScimError::InvalidFilter(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn values_with_forbidden_characters_are_refused() {
        for bad in [
            "",
            "a<b",
            "a>b",
            "a;b",
            "a:b",
            "50%",
            "tab\there",
            "zero\u{200b}width",
        ] {
            assert!(check_value("f", bad).is_err(), "{bad:?}");
        }
        assert!(check_value("f", "Ada Lovelace-Byron (UK)").is_ok());
    }
}
