//! A profile's provisioned users, in the order created, indexed by id and by `userName`
//! (case-insensitive, as IdC compares it): Okta's push looks a user up by `userName`, creates
//! it (a uniqueness check) and adds it to groups (a check per member) once per user, so each of
//! these is a lookup rather than a scan of every user.

use std::collections::HashMap;

use super::ScimUser;

/// The users (what state documents hold, as a plain list), with their indexes. Compared by
/// the list alone; changed only through its methods, so the indexes stay true.
#[derive(Clone, Debug, Default)]
pub struct Users {
    list: Vec<ScimUser>,
    at: HashMap<String, usize>,
    names: HashMap<String, usize>,
}

fn name_key(user_name: &str) -> String {
    user_name.to_ascii_lowercase()
}

impl Users {
    /// The user with this id.
    pub fn by_id(&self, id: &str) -> Option<&ScimUser> {
        self.at.get(id).and_then(|&i| self.list.get(i))
    }

    /// Whether a user has this id.
    pub fn contains(&self, id: &str) -> bool {
        self.at.contains_key(id)
    }

    /// The user with this `userName`, compared case-insensitively.
    pub fn by_user_name(&self, user_name: &str) -> Option<&ScimUser> {
        self.names
            .get(&name_key(user_name))
            .and_then(|&i| self.list.get(i))
    }

    /// Adds a user at the end (the caller checked that its id and `userName` are free).
    pub(super) fn push(&mut self, user: ScimUser) {
        let i = self.list.len();
        self.at.insert(user.id.clone(), i);
        self.names.insert(name_key(&user.attrs.user_name), i);
        self.list.push(user);
    }

    /// Replaces a user's attributes (the caller checked the new `userName` is free).
    pub(super) fn update(
        &mut self,
        id: &str,
        attrs: super::UserAttrs,
        now: std::time::SystemTime,
    ) -> Option<&ScimUser> {
        let i = *self.at.get(id)?;
        let user = self.list.get_mut(i)?;
        self.names.remove(&name_key(&user.attrs.user_name));
        self.names.insert(name_key(&attrs.user_name), i);
        user.attrs = attrs;
        user.last_modified = now;
        Some(user)
    }

    /// Removes a user; `false` if there was none.
    pub(super) fn remove(&mut self, id: &str) -> bool {
        let Some(i) = self.at.remove(id) else {
            return false;
        };
        let user = self.list.remove(i);
        self.names.remove(&name_key(&user.attrs.user_name));
        for (place, u) in self.list.iter().enumerate().skip(i) {
            self.at.insert(u.id.clone(), place);
            self.names.insert(name_key(&u.attrs.user_name), place);
        }
        true
    }

    /// What a state document can get wrong: an id or a `userName` twice.
    pub fn duplicate(&self) -> Option<String> {
        if self.at.len() != self.list.len() {
            let mut seen = std::collections::HashSet::new();
            let id = self.list.iter().find(|u| !seen.insert(u.id.as_str()))?;
            return Some(format!("user {} appears twice", id.id));
        }
        if self.names.len() != self.list.len() {
            let mut seen = std::collections::HashSet::new();
            let u = self
                .list
                .iter()
                .find(|u| !seen.insert(name_key(&u.attrs.user_name)))?;
            return Some(format!("userName {} appears twice", u.attrs.user_name));
        }
        None
    }
}

impl std::ops::Deref for Users {
    type Target = [ScimUser];

    fn deref(&self) -> &[ScimUser] {
        &self.list
    }
}

impl<'a> IntoIterator for &'a Users {
    type Item = &'a ScimUser;
    type IntoIter = std::slice::Iter<'a, ScimUser>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

impl From<Vec<ScimUser>> for Users {
    fn from(list: Vec<ScimUser>) -> Users {
        let mut at = HashMap::with_capacity(list.len());
        let mut names = HashMap::with_capacity(list.len());
        for (i, u) in list.iter().enumerate() {
            at.entry(u.id.clone()).or_insert(i);
            names.entry(name_key(&u.attrs.user_name)).or_insert(i);
        }
        Users { list, at, names }
    }
}

impl PartialEq for Users {
    fn eq(&self, other: &Users) -> bool {
        self.list == other.list
    }
}

impl Eq for Users {}

impl serde::Serialize for Users {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.list.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Users {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Users, D::Error> {
        Vec::<ScimUser>::deserialize(deserializer).map(Users::from)
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::core::scim::UserAttrs;

    fn user(id: &str, name: &str) -> ScimUser {
        ScimUser {
            id: id.into(),
            attrs: UserAttrs {
                user_name: name.into(),
                ..UserAttrs::default()
            },
            created: SystemTime::UNIX_EPOCH,
            last_modified: SystemTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn lookups_follow_renames_and_removals() {
        let mut users = Users::default();
        users.push(user("a", "Ada@Example.com"));
        users.push(user("b", "bob@example.com"));
        users.push(user("c", "carol@example.com"));
        assert_eq!(
            users.by_user_name("ADA@example.COM").map(|u| u.id.as_str()),
            Some("a")
        );
        let renamed = UserAttrs {
            user_name: "bobby@example.com".into(),
            ..UserAttrs::default()
        };
        assert!(users.update("b", renamed, SystemTime::UNIX_EPOCH).is_some());
        assert!(users.by_user_name("bob@example.com").is_none());
        assert_eq!(
            users
                .by_user_name("bobby@example.com")
                .map(|u| u.id.as_str()),
            Some("b")
        );
        assert!(users.remove("a") && !users.remove("a"));
        assert_eq!(users.by_id("c").map(|u| u.id.as_str()), Some("c"));
        assert_eq!(
            users
                .by_user_name("carol@example.com")
                .map(|u| u.id.as_str()),
            Some("c")
        );
        assert!(users.by_id("a").is_none() && users.by_user_name("ada@example.com").is_none());
        assert_eq!(users.len(), 2);
    }

    #[test]
    fn a_list_from_a_state_document_names_what_is_twice() {
        let users = Users::from(vec![user("a", "x@example.com"), user("a", "y@example.com")]);
        assert_eq!(users.duplicate().as_deref(), Some("user a appears twice"));
        let users = Users::from(vec![user("a", "x@example.com"), user("b", "X@example.com")]);
        assert_eq!(
            users.duplicate().as_deref(),
            Some("userName X@example.com appears twice")
        );
        let users = Users::from(vec![user("a", "x@example.com"), user("b", "y@example.com")]);
        assert_eq!(users.duplicate(), None);
    }
}
