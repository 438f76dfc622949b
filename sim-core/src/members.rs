//! A group's members (Okta's groups, Kiro's SCIM groups): user ids in the order they were
//! added, with an index by id, so that membership checks and a member's place cost the same in
//! a group of 10,000 as in a group of two (every add checks for the member; Okta's push
//! planner asks for places; Kiro checks each member a PATCH adds or removes).

use std::collections::HashMap;

/// Member user ids in the order added (what state documents hold, as a plain list), indexed by
/// id. Compared by the list alone.
#[derive(Clone, Debug, Default)]
pub struct Members {
    order: Vec<String>,
    at: HashMap<String, usize>,
}

impl Members {
    /// Whether `user_id` is a member.
    pub fn contains(&self, user_id: &str) -> bool {
        self.at.contains_key(user_id)
    }

    /// The member's place in the order added.
    pub fn position(&self, user_id: &str) -> Option<usize> {
        self.at.get(user_id).copied()
    }

    /// Adds a member at the end; `false` (and nothing changes) if it already is one.
    pub fn insert(&mut self, user_id: &str) -> bool {
        if self.at.contains_key(user_id) {
            return false;
        }
        self.at.insert(user_id.to_string(), self.order.len());
        self.order.push(user_id.to_string());
        true
    }

    /// Removes a member; `false` if it was none.
    pub fn remove(&mut self, user_id: &str) -> bool {
        let Some(place) = self.at.remove(user_id) else {
            return false;
        };
        self.order.remove(place);
        for (i, id) in self.order.iter().enumerate().skip(place) {
            self.at.insert(id.clone(), i);
        }
        true
    }

    /// A member listed twice (only a state document can say so; the index keeps one place).
    pub fn duplicate(&self) -> Option<&str> {
        if self.at.len() == self.order.len() {
            return None;
        }
        let mut seen = std::collections::HashSet::with_capacity(self.order.len());
        self.order
            .iter()
            .find(|id| !seen.insert(id.as_str()))
            .map(String::as_str)
    }
}

impl std::ops::Deref for Members {
    type Target = [String];

    fn deref(&self) -> &[String] {
        &self.order
    }
}

impl<'a> IntoIterator for &'a Members {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;

    fn into_iter(self) -> Self::IntoIter {
        self.order.iter()
    }
}

impl From<Vec<String>> for Members {
    fn from(order: Vec<String>) -> Members {
        let mut at = HashMap::with_capacity(order.len());
        for (i, id) in order.iter().enumerate() {
            at.entry(id.clone()).or_insert(i);
        }
        Members { order, at }
    }
}

impl PartialEq for Members {
    fn eq(&self, other: &Members) -> bool {
        self.order == other.order
    }
}

impl Eq for Members {}

impl serde::Serialize for Members {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.order.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Members, D::Error> {
        Vec::<String>::deserialize(deserializer).map(Members::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(m: &Members) -> Vec<&str> {
        m.iter().map(String::as_str).collect()
    }

    #[test]
    fn keeps_the_order_added_and_the_places_after_a_removal() {
        let mut m = Members::default();
        assert!(m.insert("a") && m.insert("b") && m.insert("c"));
        assert!(!m.insert("b"), "a member is added once");
        assert!(m.remove("a"));
        assert!(!m.remove("a"));
        assert_eq!(ids(&m), ["b", "c"]);
        assert_eq!((m.position("b"), m.position("c")), (Some(0), Some(1)));
        assert!(!m.contains("a") && m.contains("c"));
        assert!(m.insert("a"));
        assert_eq!(m.position("a"), Some(2));
    }

    #[test]
    fn reads_and_writes_a_plain_list_and_names_a_duplicate() {
        let m: Members = serde_json::from_str(r#"["x","y","x"]"#).expect("list");
        assert_eq!(m.duplicate(), Some("x"));
        let m: Members = serde_json::from_str(r#"["x","y"]"#).expect("list");
        assert_eq!(m.duplicate(), None);
        assert_eq!(serde_json::to_string(&m).expect("json"), r#"["x","y"]"#);
    }
}
