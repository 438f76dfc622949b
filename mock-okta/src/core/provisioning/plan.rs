//! The planner: for a runnable resource, the one operation that moves the downstream app a
//! step closer to what Okta says it should hold, or nothing when it is in sync (OKTA-PROV-3..6).

use std::collections::{BTreeSet, HashSet};
use std::time::SystemTime;

use super::track::Changed;
use super::{
    GroupPush, MAX_MEMBER_CHANGES, Provisioning, PushBacklog, PushMappingStatus, PushOp, PushTask,
    ResourceKey, rfc3339,
};
use crate::core::apps::AppStatus;
use crate::core::log::{Actor, Outcome, Target};
use crate::core::{Org, UserStatus};

/// What the planner decided for a group push mapping.
#[derive(Debug, PartialEq)]
enum GroupPlan {
    Idle,
    Op(PushOp),
    Blocked(String),
    Remove,
}

/// The membership changes of a group push mapping, found by looking at every member of its
/// group; and whether there are none.
fn every_member_plan(
    group: &crate::core::Group,
    p: &Provisioning,
    m: &GroupPush,
    target: String,
) -> (GroupPlan, bool) {
    // Borrowed, not cloned: the group may have tens of thousands of members (only the ids
    // changed are copied).
    let mut desired: Vec<(&str, &str)> = Vec::new();
    let mut desired_set: HashSet<&str> = HashSet::with_capacity(group.members.len());
    for member in &group.members {
        if let Some(link) = p.users.get(member)
            && let Some(id) = &link.downstream_id
            && desired_set.insert(id.as_str())
            && !m.pushed_members.contains(id)
        {
            desired.push((id.as_str(), link.login.as_str()));
        }
    }
    let removes: Vec<&str> = if desired_set.len() - desired.len() == m.pushed_members.len() {
        // Every pushed member is still desired.
        Vec::new()
    } else {
        m.pushed_members
            .iter()
            .filter(|id| !desired_set.contains(id.as_str()))
            .map(String::as_str)
            .collect()
    };
    let in_sync = removes.is_empty() && desired.is_empty();
    (patch_plan(target, removes, desired), in_sync)
}

/// The membership changes of a group push mapping among the users noted since it was last in
/// sync (see [`Changed`]), in the order [`every_member_plan`] puts them (additions in members
/// order, removals in id order); and the users still to look at next time.
fn noted_member_plan(
    users: &BTreeSet<String>,
    group: &crate::core::Group,
    p: &Provisioning,
    m: &GroupPush,
    target: String,
) -> (GroupPlan, BTreeSet<String>) {
    let mut adds: Vec<(usize, &str, &str)> = Vec::new();
    let mut removes: Vec<&str> = Vec::new();
    let mut still = BTreeSet::new();
    for user in users {
        // Never linked: not wanted downstream, and nothing of it pushed.
        let Some(link) = p.users.get(user) else {
            continue;
        };
        let Some(id) = link.downstream_id.as_deref() else {
            continue;
        };
        let at = group.members.position(user);
        match (at, m.pushed_members.contains(id)) {
            (Some(at), false) => adds.push((at, id, link.login.as_str())),
            (None, true) => removes.push(id),
            _ => continue,
        }
        still.insert(user.clone());
    }
    adds.sort_unstable();
    removes.sort_unstable();
    let adds = adds.into_iter().map(|(_, id, login)| (id, login)).collect();
    (patch_plan(target, removes, adds), still)
}

/// A PATCH of at most [`MAX_MEMBER_CHANGES`] member changes, removals first; `Idle` if none.
fn patch_plan(target: String, removes: Vec<&str>, adds: Vec<(&str, &str)>) -> GroupPlan {
    let removed: Vec<String> = removes
        .into_iter()
        .take(MAX_MEMBER_CHANGES)
        .map(str::to_string)
        .collect();
    let room = MAX_MEMBER_CHANGES - removed.len();
    let added: Vec<(String, String)> = adds
        .into_iter()
        .take(room)
        .map(|(id, login)| (id.to_string(), login.to_string()))
        .collect();
    if removed.is_empty() && added.is_empty() {
        GroupPlan::Idle
    } else {
        GroupPlan::Op(PushOp::PatchMembers {
            target,
            added,
            removed,
        })
    }
}

impl Org {
    // ---- the planner ---------------------------------------------------------------------

    fn wanted(&self, app_id: &str, p: &Provisioning, user_id: &str) -> bool {
        let Some(user) = self.find_user(user_id) else {
            return false;
        };
        let active = matches!(user.status, UserStatus::Active | UserStatus::Provisioned);
        active
            && match &p.assigned {
                Some(set) => set.contains(user_id),
                None => self.is_assigned(app_id, user_id),
            }
    }

    /// The next call for a user, if any.
    pub(super) fn user_op(&self, app_id: &str, user_id: &str) -> Option<PushOp> {
        let p = self.prov.apps.get(app_id)?;
        let app = self.app(app_id).ok()?;
        if app.status != AppStatus::Active || p.connection.ready().is_none() {
            return None;
        }
        let wanted = self.wanted(app_id, p, user_id);
        let link = p.users.get(user_id);
        let f = p.features;
        match link.and_then(|l| l.downstream_id.clone()) {
            None => {
                if !wanted || !f.create_users {
                    return None;
                }
                let user = self.find_user(user_id)?;
                if link.is_some_and(|l| l.verified) {
                    Some(PushOp::CreateUser {
                        profile: p.app_profile(&user.profile),
                    })
                } else {
                    Some(PushOp::LookupUser {
                        login: user.login().to_string(),
                    })
                }
            }
            Some(downstream) => {
                let link = link?;
                if wanted {
                    if !link.active {
                        return f.deactivate_users.then_some(PushOp::SetActive {
                            downstream,
                            active: true,
                        });
                    }
                    if f.update_attributes {
                        let user = self.find_user(user_id)?;
                        let desired = p.app_profile(&user.profile);
                        if link.pushed.as_ref() != Some(&desired) {
                            return Some(PushOp::UpdateUser {
                                downstream,
                                profile: desired,
                            });
                        }
                    }
                    None
                } else if link.active && f.deactivate_users {
                    Some(PushOp::SetActive {
                        downstream,
                        active: false,
                    })
                } else {
                    None
                }
            }
        }
    }

    /// The next call for a group push mapping, if any.
    /// What to do next for a group push mapping. Sets `keep` to the planner's memory to keep
    /// (left `None`: keep it as it is).
    fn group_plan(
        &self,
        app_id: &str,
        mapping_id: &str,
        now: SystemTime,
        keep: &mut Option<Changed>,
    ) -> GroupPlan {
        let Some(p) = self.prov.apps.get(app_id) else {
            return GroupPlan::Idle;
        };
        let Some(m) = p.pushes.iter().find(|m| m.id == mapping_id) else {
            return GroupPlan::Idle;
        };
        let ready = p.connection.ready().is_some()
            && self
                .app(app_id)
                .is_ok_and(|a| a.status == AppStatus::Active);
        if let Some(delete_target) = m.deleting {
            return match (&m.target_group_id, delete_target, ready) {
                (Some(target), true, true) => GroupPlan::Op(PushOp::DeleteGroup {
                    target: target.clone(),
                }),
                (Some(_), true, false) => GroupPlan::Idle,
                _ => GroupPlan::Remove,
            };
        }
        if m.status == PushMappingStatus::Inactive || m.blocked || !ready {
            return GroupPlan::Idle;
        }
        let Ok(group) = self.group(&m.source_group_id) else {
            return GroupPlan::Idle;
        };
        let blockers = p.group_push_blockers();
        if !blockers.is_empty() {
            let label = self.app(app_id).map(|a| a.label.as_str()).unwrap_or("");
            return GroupPlan::Blocked(format!(
                "Failed on {}: Unable to push group {} to {label}: the attribute mappings {} are not supported by group push. Remove them under Provisioning > To App > Attribute Mappings and push the group again.",
                rfc3339(now),
                group.name,
                blockers.join(", ")
            ));
        }
        let name = m.target_name.clone().unwrap_or_else(|| group.name.clone());
        let Some(target) = m.target_group_id.clone() else {
            return GroupPlan::Op(if m.verify_first {
                PushOp::LookupGroup { name }
            } else {
                PushOp::CreateGroup { name }
            });
        };
        if m.pushed_name.as_deref() != Some(name.as_str()) {
            return GroupPlan::Op(PushOp::RenameGroup { target, name });
        }
        if let Some(users) = &m.changed.0 {
            let (plan, still) = noted_member_plan(users, group, p, m, target.clone());
            *keep = Some(Changed(Some(still)));
            // The tests' oracle: the users noted give the plan a look at every member gives.
            debug_assert_eq!(
                plan,
                every_member_plan(group, p, m, target).0,
                "the group push planner missed a change ({mapping_id})"
            );
            return plan;
        }
        let (plan, in_sync) = every_member_plan(group, p, m, target);
        if in_sync {
            // From now on, the users noted are enough.
            *keep = Some(Changed(Some(BTreeSet::new())));
        }
        plan
    }

    /// The task for an operation on a resource: the operation and the connection's target
    /// (`None` while the connection is not ready).
    fn build_task(&self, key: ResourceKey, op: PushOp) -> Option<PushTask> {
        let app_id = match &key {
            ResourceKey::User { app, .. } | ResourceKey::Group { app, .. } => app,
        };
        let (base_url, token) = self.prov.apps.get(app_id)?.connection.ready()?;
        Some(PushTask {
            base_url: base_url.to_string(),
            token: token.to_string(),
            key,
            op,
        })
    }

    /// Up to `max` calls to make now, at most one per resource, users first. Each resource
    /// returned is in flight until [`Org::complete_push`] is called for its task.
    pub fn take_push_tasks(&mut self, now: SystemTime, max: usize) -> Vec<PushTask> {
        self.prov.queue.release_due(now);
        let mut out = Vec::new();
        while out.len() < max {
            let Some(key) = self.prov.queue.pop() else {
                break;
            };
            if self.prov.queue.in_flight.contains(&key) {
                continue;
            }
            match &key {
                ResourceKey::User { app, user } => {
                    self.ensure_assigned(app);
                    let Some(p) = self.prov.apps.get(app) else {
                        continue;
                    };
                    if p.users
                        .get(user)
                        .and_then(|l| l.retry_at)
                        .is_some_and(|at| at > now)
                    {
                        continue;
                    }
                    let Some(op) = self.user_op(app, user) else {
                        // In sync (or nothing may be done): a stale error goes.
                        if let Some(link) = self
                            .prov
                            .apps
                            .get_mut(app)
                            .and_then(|p| p.users.get_mut(user))
                        {
                            link.error = None;
                            link.attempts = 0;
                            link.retry_at = None;
                        }
                        continue;
                    };
                    let login = self.find_user(user).map(|u| u.login().to_string());
                    let (app, user) = (app.clone(), user.clone());
                    let Some(task) = self.build_task(key.clone(), op) else {
                        continue;
                    };
                    if let Some(p) = self.prov.apps.get_mut(&app) {
                        let link = p.users.entry(user).or_default();
                        if let Some(login) = login {
                            link.login = login;
                        }
                    }
                    self.prov.queue.in_flight.insert(key);
                    out.push(task);
                }
                ResourceKey::Group { app, mapping } => {
                    let (app, mapping) = (app.clone(), mapping.clone());
                    if let Some(p) = self.prov.apps.get_mut(&app) {
                        p.pushes_queued = false;
                    }
                    let retry_later = self
                        .prov
                        .apps
                        .get(&app)
                        .and_then(|p| p.pushes.iter().find(|m| m.id == mapping))
                        .and_then(|m| m.retry_at)
                        .is_some_and(|at| at > now);
                    if retry_later {
                        continue;
                    }
                    let mut keep = None;
                    let plan = self.group_plan(&app, &mapping, now, &mut keep);
                    if let Some(keep) = keep
                        && let Some(m) = self.push_entry_mut(&app, &mapping)
                    {
                        m.changed = keep;
                    }
                    match plan {
                        GroupPlan::Idle => {
                            if let Some(m) = self.push_entry_mut(&app, &mapping)
                                && m.status == PushMappingStatus::Error
                                && !m.blocked
                            {
                                m.status = PushMappingStatus::Active;
                                m.error_summary = None;
                                m.attempts = 0;
                                m.retry_at = None;
                            }
                        }
                        GroupPlan::Remove => {
                            if let Some(p) = self.prov.apps.get_mut(&app) {
                                p.pushes.retain(|m| m.id != mapping);
                            }
                        }
                        GroupPlan::Blocked(message) => {
                            self.block_push(now, &app, &mapping, message);
                        }
                        GroupPlan::Op(op) => {
                            if let Some(task) = self.build_task(key.clone(), op) {
                                self.prov.queue.in_flight.insert(key);
                                out.push(task);
                            }
                        }
                    }
                }
            }
        }
        out
    }

    pub(super) fn push_entry_mut(&mut self, app_id: &str, mapping: &str) -> Option<&mut GroupPush> {
        self.prov
            .apps
            .get_mut(app_id)?
            .pushes
            .iter_mut()
            .find(|m| m.id == mapping)
    }

    fn block_push(&mut self, now: SystemTime, app_id: &str, mapping: &str, message: String) {
        let Some(m) = self.push_entry_mut(app_id, mapping) else {
            return;
        };
        m.status = PushMappingStatus::Error;
        m.blocked = true;
        m.error_summary = Some(message.clone());
        m.last_updated = now;
        let (gid, gname) = (m.source_group_id.clone(), m.source_name.clone());
        let label = self
            .app(app_id)
            .map(|a| a.label.clone())
            .unwrap_or_default();
        self.log.record(
            now,
            "application.provision.group_push.mapping.update.or.delete.failed.with.error",
            "Group push failed",
            Actor::system(),
            vec![
                Target::new(&gid, "UserGroup", &gname),
                Target::new(app_id, "AppInstance", &label),
            ],
            Outcome::failure(message),
        );
    }

    /// How much work is left.
    pub fn push_backlog(&self) -> PushBacklog {
        PushBacklog {
            runnable: self.prov.queue.queued.len(),
            in_flight: self.prov.queue.in_flight.len(),
            waiting: self.prov.queue.waiting.len(),
            next_attempt: self.prov.queue.waiting.first().map(|(at, _)| *at),
        }
    }
}
