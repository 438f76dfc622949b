//! Change tracking: which of the org's changes make which push resources runnable (a user of
//! an app, a group push mapping), and the group planner's memory of which members changed.

use std::collections::BTreeSet;

use super::ResourceKey;
use crate::core::Org;

/// The Okta users whose membership of a pushed group, or link to the app, changed since its
/// planner last found the mapping in sync: the next plan looks at them only, instead of at
/// every member (a group of 10,000 is planned on every settle of a persistent world). `None`
/// (the default: after a state import, a new or re-created downstream group, a re-link, or
/// more than [`MAX_NOTED`] changes) looks at every member.
///
/// Not state, and not compared: the plan it gives is the one a look at every member gives
/// (the same changes, in the same order).
#[derive(Clone, Debug, Default)]
pub(crate) struct Changed(pub(super) Option<BTreeSet<String>>);

/// The most users [`Changed`] notes before the planner looks at every member instead.
const MAX_NOTED: usize = 64;

impl PartialEq for Changed {
    fn eq(&self, _: &Changed) -> bool {
        true
    }
}

impl Eq for Changed {}

impl Changed {
    /// `user`'s membership or link changed. Past [`MAX_NOTED`] users a look at every member is
    /// cheaper (each user noted costs a scan of the members for its place).
    pub(super) fn note(&mut self, user: &str) {
        if let Some(users) = &mut self.0 {
            users.insert(user.to_string());
            if users.len() > MAX_NOTED {
                self.0 = None;
            }
        }
    }

    /// Something changed that the users do not say: look at every member next time.
    pub(super) fn forget(&mut self) {
        self.0 = None;
    }
}

impl Org {
    // ---- hooks: what changes mark runnable -----------------------------------------------

    fn enqueue_user(&mut self, app_id: &str, user_id: &str) {
        self.prov.queue.push(ResourceKey::User {
            app: app_id.to_string(),
            user: user_id.to_string(),
        });
    }

    fn prov_app_ids(&self) -> Vec<String> {
        self.prov.apps.keys().cloned().collect()
    }

    /// A user's profile or lifecycle changed.
    pub(crate) fn prov_on_user_changed(&mut self, user_id: &str) {
        for app_id in self.prov_app_ids() {
            self.enqueue_user(&app_id, user_id);
        }
    }

    /// A user joined or left a group.
    pub(crate) fn prov_on_membership(&mut self, group_id: &str, user_id: &str) {
        for p in self.prov.apps.values_mut() {
            for m in p
                .pushes
                .iter_mut()
                .filter(|m| m.source_group_id == group_id)
            {
                m.changed.note(user_id);
            }
        }
        for app_id in self.prov_app_ids() {
            let assigned = self
                .app(&app_id)
                .is_ok_and(|a| a.assigned_groups.iter().any(|g| g == group_id));
            if assigned {
                self.reassess_assigned(&app_id, user_id);
                self.enqueue_user(&app_id, user_id);
            }
            self.prov_touch_pushes_of(&app_id, group_id);
        }
    }

    /// Users were assigned to or unassigned from an app (directly or through a group).
    pub(crate) fn prov_on_assignment(&mut self, app_id: &str, user_ids: &[String]) {
        if !self.prov.apps.contains_key(app_id) {
            return;
        }
        for user_id in user_ids {
            self.reassess_assigned(app_id, user_id);
            self.enqueue_user(app_id, user_id);
        }
    }

    /// A group was renamed.
    pub(crate) fn prov_on_group_renamed(&mut self, group_id: &str) {
        for app_id in self.prov_app_ids() {
            self.prov_touch_pushes_of(&app_id, group_id);
        }
    }

    /// A group is being deleted (its members and assignments go with it): its users are
    /// re-checked, its push mappings unlinked with the downstream group deleted.
    pub(crate) fn prov_on_group_deleted(&mut self, group_id: &str, members: &[String]) {
        for app_id in self.prov_app_ids() {
            let assigned = self
                .app(&app_id)
                .is_ok_and(|a| a.assigned_groups.iter().any(|g| g == group_id));
            if assigned {
                // Called before the group goes: its members' assignment cannot be looked at
                // yet, so the set is rebuilt on the next plan.
                if let Some(p) = self.prov.apps.get_mut(&app_id) {
                    p.assigned = None;
                }
                for user_id in members {
                    self.enqueue_user(&app_id, user_id);
                }
            }
            let ids: Vec<String> = self
                .prov
                .apps
                .get(&app_id)
                .map(|p| {
                    p.pushes
                        .iter()
                        .filter(|m| m.source_group_id == group_id && m.deleting.is_none())
                        .map(|m| m.id.clone())
                        .collect()
                })
                .unwrap_or_default();
            for id in ids {
                self.unlink_push(&app_id, &id, true);
            }
        }
    }

    /// An app was deleted: its provisioning goes with it.
    pub(crate) fn prov_on_app_deleted(&mut self, app_id: &str) {
        self.prov.apps.remove(app_id);
        self.prov.queue.waiting.retain(|(_, k)| match k {
            ResourceKey::User { app, .. } | ResourceKey::Group { app, .. } => app != app_id,
        });
    }

    fn prov_touch_pushes_of(&mut self, app_id: &str, group_id: &str) {
        let keys: Vec<ResourceKey> = self
            .prov
            .apps
            .get(app_id)
            .map(|p| {
                p.pushes
                    .iter()
                    .filter(|m| m.source_group_id == group_id)
                    .map(|m| ResourceKey::Group {
                        app: app_id.to_string(),
                        mapping: m.id.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        for key in keys {
            self.prov.queue.push(key);
        }
    }

    /// Keeps the app's set of assigned users (if built) true for `user_id` after its direct
    /// assignment or a membership of an assigned group changed: one user looked at, instead
    /// of the set rebuilt from every member on the next plan (quadratic while 10,000 users
    /// join a pushed group one by one).
    fn reassess_assigned(&mut self, app_id: &str, user_id: &str) {
        let now = self.is_assigned(app_id, user_id);
        if let Some(set) = self
            .prov
            .apps
            .get_mut(app_id)
            .and_then(|p| p.assigned.as_mut())
        {
            if now {
                if !set.contains(user_id) {
                    set.insert(user_id.to_string());
                }
            } else {
                set.remove(user_id);
            }
        }
    }

    pub(super) fn ensure_assigned(&mut self, app_id: &str) {
        if self
            .prov
            .apps
            .get(app_id)
            .is_none_or(|p| p.assigned.is_some())
        {
            return;
        }
        let mut set = BTreeSet::new();
        if let Ok(app) = self.app(app_id) {
            set.extend(app.assigned_users.iter().cloned());
            for gid in &app.assigned_groups {
                if let Ok(g) = self.group(gid) {
                    set.extend(g.members.iter().cloned());
                }
            }
        }
        if let Some(p) = self.prov.apps.get_mut(app_id) {
            p.assigned = Some(set);
        }
    }

    fn reset_backoff(&mut self, key: ResourceKey) {
        let retry_at = match &key {
            ResourceKey::User { app, user } => self
                .prov
                .apps
                .get_mut(app)
                .and_then(|p| p.users.get_mut(user))
                .and_then(|l| {
                    l.attempts = 0;
                    l.retry_at.take()
                }),
            ResourceKey::Group { app, mapping } => self
                .prov
                .apps
                .get_mut(app)
                .and_then(|p| p.pushes.iter_mut().find(|m| m.id == *mapping))
                .and_then(|m| {
                    m.attempts = 0;
                    m.retry_at.take()
                }),
        };
        if let Some(at) = retry_at {
            self.prov.queue.waiting.remove(&(at, key.clone()));
        }
        self.prov.queue.push(key);
    }

    pub(super) fn prov_touch_users(&mut self, app_id: &str, reset: bool) {
        self.ensure_assigned(app_id);
        let Some(p) = self.prov.apps.get(app_id) else {
            return;
        };
        let assigned = p.assigned.as_ref();
        let users: Vec<String> = self
            .users
            .iter()
            .filter(|u| assigned.is_some_and(|s| s.contains(&u.id)) || p.users.contains_key(&u.id))
            .map(|u| u.id.clone())
            .collect();
        let mut gone: Vec<&String> = p
            .users
            .keys()
            .filter(|id| self.find_user(id).is_none())
            .collect();
        gone.sort();
        let mut all = users;
        all.extend(gone.into_iter().cloned());
        for user in all {
            let key = ResourceKey::User {
                app: app_id.to_string(),
                user,
            };
            if reset {
                self.reset_backoff(key);
            } else {
                self.prov.queue.push(key);
            }
        }
    }

    /// Marks every user and push mapping of an app runnable (after a connection or feature
    /// change); `reset` makes failing ones retry now.
    pub(crate) fn prov_touch_app(&mut self, app_id: &str, reset: bool) {
        self.prov_touch_users(app_id, reset);
        let ids: Vec<String> = self
            .prov
            .apps
            .get(app_id)
            .map(|p| p.pushes.iter().map(|m| m.id.clone()).collect())
            .unwrap_or_default();
        for mapping in ids {
            let key = ResourceKey::Group {
                app: app_id.to_string(),
                mapping,
            };
            if reset {
                self.reset_backoff(key);
            } else {
                self.prov.queue.push(key);
            }
        }
    }
}
