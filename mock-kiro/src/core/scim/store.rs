//! The SCIM store: each profile's users and groups under IdC's rules (KIRO-SCIM-1, KIRO-SCIM-2,
//! KIRO-SCIM-10): create, read, list (filters, `count` ≤ 100, cursors), replace, patch,
//! delete; case-insensitive unique `userName` and group `displayName` (409), members that
//! exist, at most 100 member changes a request, and each group's membership change handed to
//! `seats`. Parsing and checking the SCIM dialect is `protocol.rs`'s job.

use std::time::SystemTime;

use sim_core::ids;

use super::protocol::{
    Draft, PatchOp, apply_user_op, check_opt, check_primary_email, check_user_ops, check_value,
    parse_filter, user_attrs_from_json, validate_user,
};
use super::{MembershipChange, ScimError, ScimGroup, ScimUser, UserAttrs, invalid};
use crate::core::{Kiro, Profile};

/// Most members one group PATCH may change.
pub const MAX_MEMBER_CHANGES: usize = 100;
/// Largest page.
pub const MAX_COUNT: usize = 100;

/// A page of a list.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Page<T> {
    /// All matches.
    pub total: usize,
    /// This page.
    pub items: Vec<T>,
    /// Cursor for the next page.
    pub next_cursor: Option<String>,
}
impl Kiro {
    fn scim_id(&mut self) -> String {
        format!(
            "{}-{}",
            ids::hex_id(&mut self.ids, 10),
            ids::uuid_v4(&mut self.ids)
        )
    }

    fn profile_for_scim(&mut self, profile: &str) -> Result<&mut Profile, ScimError> {
        self.profile_mut(profile)
            .map_err(|_| ScimError::NotFound(format!("Profile {profile} not found.")))
    }

    // ---- users ---------------------------------------------------------------------------

    /// Creates a user.
    pub fn create_user(
        &mut self,
        now: SystemTime,
        profile: &str,
        attrs: UserAttrs,
    ) -> Result<ScimUser, ScimError> {
        validate_user(&attrs)?;
        check_primary_email(&attrs)?;
        let id = self.scim_id();
        let p = self.profile_for_scim(profile)?;
        if p.users.by_user_name(&attrs.user_name).is_some() {
            return Err(ScimError::Conflict(
                "Duplicate userName: a user with this userName already exists.".into(),
            ));
        }
        let user = ScimUser {
            id,
            attrs,
            created: now,
            last_modified: now,
        };
        p.users.push(user.clone());
        Ok(user)
    }

    /// A user.
    pub fn user(&self, profile: &str, id: &str) -> Result<&ScimUser, ScimError> {
        self.profile(profile)
            .map_err(|_| ScimError::NotFound(format!("Profile {profile} not found.")))?
            .users
            .by_id(id)
            .ok_or_else(|| ScimError::NotFound(format!("User {id} not found.")))
    }

    /// Lists users matching an IdC filter, `count` (≤ 100) at a time after `cursor`.
    pub fn list_users(
        &self,
        profile: &str,
        filter: Option<&str>,
        count: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<&ScimUser>, ScimError> {
        let conditions = filter
            .map(|f| parse_filter(f, &["userName", "externalId", "id"]))
            .transpose()?
            .unwrap_or_default();
        let p = self
            .profile(profile)
            .map_err(|_| ScimError::NotFound(format!("Profile {profile} not found.")))?;
        // `userName eq` (how Okta's push looks a user up) is a lookup, not a scan.
        let named = conditions
            .iter()
            .find(|(attr, _)| *attr == "userName")
            .map(|(_, value)| p.users.by_user_name(value));
        let candidates: Vec<&ScimUser> = match named {
            Some(found) => found.into_iter().collect(),
            None => p.users.iter().collect(),
        };
        let matching: Vec<&ScimUser> = candidates
            .into_iter()
            .filter(|u| {
                conditions.iter().all(|(attr, value)| match *attr {
                    "userName" => u.attrs.user_name.eq_ignore_ascii_case(value),
                    "externalId" => u.attrs.external_id.as_deref() == Some(value.as_str()),
                    _ => u.id == *value,
                })
            })
            .collect();
        paginate(matching, count, cursor, |u| &u.id)
    }

    /// Replaces a user (PUT): as [`Kiro::store_user`], and the email must be primary.
    pub fn replace_user(
        &mut self,
        now: SystemTime,
        profile: &str,
        id: &str,
        attrs: UserAttrs,
    ) -> Result<ScimUser, ScimError> {
        check_primary_email(&attrs)?;
        self.store_user(now, profile, id, attrs)
    }

    /// Stores a user's new attributes after IdC's checks (PutUser, and PatchUser's result).
    fn store_user(
        &mut self,
        now: SystemTime,
        profile: &str,
        id: &str,
        attrs: UserAttrs,
    ) -> Result<ScimUser, ScimError> {
        validate_user(&attrs)?;
        self.user(profile, id)?;
        let p = self.profile_for_scim(profile)?;
        if p.users
            .by_user_name(&attrs.user_name)
            .is_some_and(|u| u.id != id)
        {
            return Err(ScimError::Conflict(
                "Duplicate userName: a user with this userName already exists.".into(),
            ));
        }
        p.users
            .update(id, attrs, now)
            .cloned()
            .ok_or_else(|| ScimError::NotFound(format!("User {id} not found.")))
    }

    /// Applies PATCH operations to a user; all or nothing.
    pub fn patch_user(
        &mut self,
        now: SystemTime,
        profile: &str,
        id: &str,
        ops: &[PatchOp],
    ) -> Result<ScimUser, ScimError> {
        let current = self.user(profile, id)?.clone();
        let mut json = serde_json::to_value(&current.attrs).map_err(|e| invalid(e.to_string()))?;
        check_user_ops(ops)?;
        for op in ops {
            apply_user_op(&mut json, op)?;
        }
        let attrs = user_attrs_from_json(&json)?;
        self.store_user(now, profile, id, attrs)
    }

    /// Deletes a user (and its group memberships).
    pub fn delete_user(&mut self, profile: &str, id: &str) -> Result<(), ScimError> {
        self.user(profile, id)?;
        let p = self.profile_for_scim(profile)?;
        p.users.remove(id);
        for g in &mut p.groups {
            g.members.remove(id);
        }
        Ok(())
    }

    // ---- groups --------------------------------------------------------------------------

    /// Creates a group, optionally with up to 100 members.
    pub fn create_group(
        &mut self,
        now: SystemTime,
        profile: &str,
        display_name: &str,
        external_id: Option<String>,
        members: Vec<String>,
    ) -> Result<ScimGroup, ScimError> {
        check_value("displayName", display_name)?;
        check_opt("externalId", &external_id)?;
        if members.len() > MAX_MEMBER_CHANGES {
            return Err(invalid(format!(
                "A maximum of {MAX_MEMBER_CHANGES} members can be added in a single request."
            )));
        }
        let id = self.scim_id();
        let p = self.profile_for_scim(profile)?;
        if p.groups
            .iter()
            .any(|g| g.display_name.eq_ignore_ascii_case(display_name))
        {
            return Err(ScimError::Conflict(
                "Duplicate GroupDisplayName: a group with this displayName already exists.".into(),
            ));
        }
        for m in &members {
            if !p.users.contains(m) {
                return Err(invalid(format!(
                    "Member {m} is not a user of this directory."
                )));
            }
        }
        let mut unique = sim_core::members::Members::default();
        for m in &members {
            unique.insert(m);
        }
        let group = ScimGroup {
            id,
            display_name: display_name.to_string(),
            external_id,
            members: unique,
            created: now,
            last_modified: now,
        };
        p.groups.push(group.clone());
        Ok(group)
    }

    /// A group.
    pub fn group(&self, profile: &str, id: &str) -> Result<&ScimGroup, ScimError> {
        self.profile(profile)
            .map_err(|_| ScimError::NotFound(format!("Profile {profile} not found.")))?
            .groups
            .iter()
            .find(|g| g.id == id)
            .ok_or_else(|| ScimError::NotFound(format!("Group {id} not found.")))
    }

    /// Lists groups matching an IdC filter.
    pub fn list_groups(
        &self,
        profile: &str,
        filter: Option<&str>,
        count: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<&ScimGroup>, ScimError> {
        let conditions = filter
            .map(|f| parse_filter(f, &["displayName", "externalId", "id", "members"]))
            .transpose()?
            .unwrap_or_default();
        let p = self
            .profile(profile)
            .map_err(|_| ScimError::NotFound(format!("Profile {profile} not found.")))?;
        // ListGroups: ResourceNotFoundException "when filter querying with a nonexisting
        // member" (KIRO-SCIM-10).
        for (attr, value) in &conditions {
            if *attr == "members" && !p.users.contains(value) {
                return Err(ScimError::NotFound(format!("User {value} not found.")));
            }
        }
        let matching: Vec<&ScimGroup> = p
            .groups
            .iter()
            .filter(|g| {
                conditions.iter().all(|(attr, value)| match *attr {
                    "displayName" => g.display_name.eq_ignore_ascii_case(value),
                    "externalId" => g.external_id.as_deref() == Some(value.as_str()),
                    "members" => g.members.contains(value),
                    _ => g.id == *value,
                })
            })
            .collect();
        paginate(matching, count, cursor, |g| &g.id)
    }

    /// Applies PATCH operations to a group with IdC's limits; all or nothing. Returns the
    /// membership change (so seats can follow). The operations are first played against a
    /// small [`Draft`] (the touched members and attributes), so a large group is never copied.
    pub fn patch_group(
        &mut self,
        now: SystemTime,
        profile: &str,
        id: &str,
        ops: &[PatchOp],
    ) -> Result<MembershipChange, ScimError> {
        let group = self.group(profile, id)?;
        let mut draft = Draft::new(group);
        for op in ops {
            draft.apply(op)?;
            if draft.member_changes > MAX_MEMBER_CHANGES {
                return Err(invalid(format!(
                    "A maximum of {MAX_MEMBER_CHANGES} membership changes are allowed in a single request."
                )));
            }
        }
        let Draft {
            display_name,
            external_id,
            touched,
            change,
            ..
        } = draft;
        let p = self.profile_for_scim(profile)?;
        for m in &change.added {
            if !p.users.contains(m) {
                return Err(invalid(format!(
                    "Member {m} is not a user of this directory."
                )));
            }
        }
        if p.groups
            .iter()
            .any(|g| g.id != id && g.display_name.eq_ignore_ascii_case(&display_name))
        {
            return Err(ScimError::Conflict(
                "Duplicate GroupDisplayName: a group with this displayName already exists.".into(),
            ));
        }
        let group = p
            .groups
            .iter_mut()
            .find(|g| g.id == id)
            .ok_or_else(|| ScimError::NotFound(format!("Group {id} not found.")))?;
        group.display_name = display_name;
        group.external_id = external_id;
        for (member, _) in touched.iter().filter(|(_, present)| !present) {
            group.members.remove(member);
        }
        for (member, _) in touched.iter().filter(|(_, present)| *present) {
            group.members.insert(member);
        }
        group.last_modified = now;
        self.on_membership_change(now, profile, id, &change);
        Ok(change)
    }

    /// Deletes a group.
    pub fn delete_group(&mut self, profile: &str, id: &str) -> Result<(), ScimError> {
        self.group(profile, id)?;
        let p = self.profile_for_scim(profile)?;
        p.groups.retain(|g| g.id != id);
        Ok(())
    }
}

/// One page of `matching`, borrowed (the caller renders it under the lock: a group's member
/// list is never copied to list it).
fn paginate<'a, T>(
    matching: Vec<&'a T>,
    count: Option<usize>,
    cursor: Option<&str>,
    id: impl Fn(&T) -> &String,
) -> Result<Page<&'a T>, ScimError> {
    let total = matching.len();
    let count = count.unwrap_or(MAX_COUNT).min(MAX_COUNT);
    // The cursor is the id of the last item of the previous page. One that names no item
    // (made up, or its item deleted since) is refused rather than restarting from the top,
    // which would make a paging client loop.
    let start = match cursor.filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => {
            matching
                .iter()
                .position(|item| id(item) == c)
                .ok_or_else(|| invalid(format!("The cursor {c:?} is not valid.")))?
                + 1
        }
    };
    let items: Vec<&'a T> = matching.into_iter().skip(start).take(count).collect();
    let next_cursor = (start + items.len() < total && !items.is_empty())
        .then(|| items.last().map(|i| id(i).clone()))
        .flatten();
    Ok(Page {
        total,
        items,
        next_cursor,
    })
}
