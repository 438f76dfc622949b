//! Outcomes: what a call's typed answer changes (links, pushed attributes and members, the
//! System Log), and the backoff of a failed resource (OKTA-PROV-3..5, OKTA-PROV-7).

use std::time::SystemTime;

use super::{
    PushAnswer, PushFailure, PushMappingStatus, PushOp, PushResult, PushTask, ResourceKey, backoff,
    rfc3339,
};
use crate::core::Org;
use crate::core::log::{Actor, Outcome, Target};

impl Org {
    // ---- outcomes ------------------------------------------------------------------------

    /// Records how a task's call went. Returns the time of the next attempt when it failed
    /// (the wire layer schedules a retry then).
    pub fn complete_push(
        &mut self,
        now: SystemTime,
        task: &PushTask,
        result: PushResult,
    ) -> Option<SystemTime> {
        self.prov.queue.in_flight.remove(&task.key);
        let failure = match result {
            PushResult::Ok(answer) => match self.apply_success(now, task, &answer) {
                Ok(()) => {
                    self.prov.queue.push(task.key.clone());
                    return None;
                }
                Err(failure) => failure,
            },
            PushResult::Failed(failure) => failure,
        };
        self.apply_failure(now, task, failure)
    }

    fn log_push(
        &mut self,
        now: SystemTime,
        key: &ResourceKey,
        event: &str,
        message: &str,
        outcome: Outcome,
    ) {
        let (app_id, target) = match key {
            ResourceKey::User { app, user } => {
                let login = self
                    .prov
                    .apps
                    .get(app)
                    .and_then(|p| p.users.get(user))
                    .map(|l| l.login.clone())
                    .unwrap_or_default();
                (app, Target::new(user, "User", &login))
            }
            ResourceKey::Group { app, mapping } => {
                let (gid, name) = self
                    .prov
                    .apps
                    .get(app)
                    .and_then(|p| p.pushes.iter().find(|m| m.id == *mapping))
                    .map(|m| (m.source_group_id.clone(), m.source_name.clone()))
                    .unwrap_or_default();
                (app, Target::new(&gid, "UserGroup", &name))
            }
        };
        let label = self
            .app(app_id)
            .map(|a| a.label.clone())
            .unwrap_or_default();
        self.log.record(
            now,
            event,
            message,
            Actor::system(),
            vec![target, Target::new(app_id, "AppInstance", &label)],
            outcome,
        );
    }

    fn apply_success(
        &mut self,
        now: SystemTime,
        task: &PushTask,
        answer: &PushAnswer,
    ) -> Result<(), PushFailure> {
        // A create must name what it created; the engine says so as a failure, this covers
        // an answer of the wrong kind.
        let created = || match answer {
            PushAnswer::Created { id } => Ok(id.clone()),
            _ => Err(PushFailure {
                message: "The target's answer has no id".into(),
                maybe_applied: true,
                retry_after: None,
            }),
        };
        let found = match answer {
            PushAnswer::Found(found) => found.clone(),
            _ => None,
        };
        match &task.key {
            ResourceKey::User { app, user } => {
                let (app, user) = (app.clone(), user.clone());
                let mut linked = false;
                // Linked to another downstream user than before: the old id may still be in
                // pushed groups, under no user the planner notes.
                let mut relinked = false;
                let (event, message) = {
                    let Some(link) = self
                        .prov
                        .apps
                        .get_mut(&app)
                        .and_then(|p| p.users.get_mut(&user))
                    else {
                        return Ok(());
                    };
                    let event = match &task.op {
                        PushOp::LookupUser { .. } => {
                            if let Some(found) = found {
                                relinked = link
                                    .downstream_id
                                    .as_ref()
                                    .is_some_and(|old| *old != found.id);
                                link.downstream_id = Some(found.id);
                                link.active = found.active.unwrap_or(true);
                                link.pushed = None;
                                linked = true;
                                (
                                    "application.provision.user.verify_exists",
                                    "Verify user exists in application: found, linked",
                                )
                            } else {
                                link.verified = true;
                                (
                                    "application.provision.user.verify_exists",
                                    "Verify user exists in application: not found",
                                )
                            }
                        }
                        PushOp::CreateUser { profile } => {
                            let id = created()?;
                            relinked = link.downstream_id.as_ref().is_some_and(|old| *old != id);
                            link.downstream_id = Some(id);
                            link.pushed = Some(profile.clone());
                            link.active = true;
                            linked = true;
                            (
                                "application.provision.user.push",
                                "Push new user to external application",
                            )
                        }
                        PushOp::UpdateUser { profile, .. } => {
                            link.pushed = Some(profile.clone());
                            (
                                "application.provision.user.push_profile",
                                "Push user profile update to external application",
                            )
                        }
                        PushOp::SetActive { active, .. } => {
                            link.active = *active;
                            if *active {
                                (
                                    "application.provision.user.reactivate",
                                    "Reactivate user in external application",
                                )
                            } else {
                                (
                                    "application.provision.user.deactivate",
                                    "Deactivate user in external application",
                                )
                            }
                        }
                        _ => return Ok(()),
                    };
                    link.error = None;
                    link.attempts = 0;
                    link.retry_at = None;
                    link.last_sync = Some(now);
                    event
                };
                self.log_push(now, &task.key, event, message, Outcome::success());
                if matches!(task.op, PushOp::CreateUser { .. }) {
                    self.log_push(
                        now,
                        &task.key,
                        "app.user_management.push_new_user_success",
                        "Push new user to external application succeeded",
                        Outcome::success(),
                    );
                }
                if linked {
                    if let Some(p) = self.prov.apps.get_mut(&app) {
                        for m in &mut p.pushes {
                            if relinked {
                                m.changed.forget();
                            } else {
                                m.changed.note(&user);
                            }
                        }
                    }
                    // Pushed groups this user belongs to can now list it. Rather than look
                    // through every pushed group's members for each user linked, every push
                    // of the app is queued once (until a group is taken again); the planner
                    // finds which have new members.
                    let keys: Vec<ResourceKey> = match self.prov.apps.get_mut(&app) {
                        Some(p) if !p.pushes_queued => {
                            p.pushes_queued = true;
                            p.pushes
                                .iter()
                                .map(|m| ResourceKey::Group {
                                    app: app.clone(),
                                    mapping: m.id.clone(),
                                })
                                .collect()
                        }
                        _ => Vec::new(),
                    };
                    for key in keys {
                        self.prov.queue.push(key);
                    }
                }
                Ok(())
            }
            ResourceKey::Group { app, mapping } => {
                let (app, mapping) = (app.clone(), mapping.clone());
                let mut events: Vec<(&str, String)> = Vec::new();
                {
                    let Some(m) = self.push_entry_mut(&app, &mapping) else {
                        return Ok(());
                    };
                    match &task.op {
                        PushOp::LookupGroup { name } => {
                            if let Some(found) = found {
                                m.target_group_id = Some(found.id);
                                m.pushed_name = found.name.or_else(|| Some(name.clone()));
                                m.pushed_members.clear();
                                m.changed.forget();
                                events.push((
                                    "application.provision.group.verify_exists",
                                    "Verify group exists in application: found, linked".into(),
                                ));
                            } else {
                                m.verify_first = false;
                                events.push((
                                    "application.provision.group.verify_exists",
                                    "Verify group exists in application: not found".into(),
                                ));
                            }
                        }
                        PushOp::CreateGroup { name } => {
                            let id = created()?;
                            m.target_group_id = Some(id);
                            m.pushed_name = Some(name.clone());
                            m.pushed_members.clear();
                            m.changed.forget();
                            m.verify_first = false;
                            events.push((
                                "application.provision.group.add",
                                "Add group to application".into(),
                            ));
                            events.push((
                                "application.provision.group_push.pushed",
                                "Group pushed to application".into(),
                            ));
                        }
                        PushOp::RenameGroup { name, .. } => {
                            m.pushed_name = Some(name.clone());
                            events.push((
                                "application.provision.group_push.mapping.app.group.renamed",
                                format!("Group renamed in application to {name}"),
                            ));
                        }
                        PushOp::PatchMembers { added, removed, .. } => {
                            for id in removed {
                                m.pushed_members.remove(id);
                            }
                            for (id, _) in added {
                                m.pushed_members.insert(id.clone());
                            }
                            if !added.is_empty() {
                                events.push((
                                    "application.provision.group_membership.add",
                                    format!("Add {} members to group in application", added.len()),
                                ));
                            }
                            if !removed.is_empty() {
                                events.push((
                                    "application.provision.group_membership.remove",
                                    format!(
                                        "Remove {} members from group in application",
                                        removed.len()
                                    ),
                                ));
                            }
                            events.push((
                                "application.provision.group_push.updated",
                                "Group push updated".into(),
                            ));
                        }
                        PushOp::DeleteGroup { .. } => {
                            events.push((
                                "application.provision.group_push.delete_appgroup",
                                "Delete group in application".into(),
                            ));
                        }
                        _ => {}
                    }
                    if m.deleting.is_none() {
                        if m.status == PushMappingStatus::Error {
                            m.status = PushMappingStatus::Active;
                        }
                        m.error_summary = None;
                        m.last_push = Some(now);
                        m.last_updated = now;
                    }
                    m.attempts = 0;
                    m.retry_at = None;
                }
                for (event, message) in events {
                    self.log_push(now, &task.key, event, &message, Outcome::success());
                }
                if matches!(task.op, PushOp::DeleteGroup { .. })
                    && let Some(p) = self.prov.apps.get_mut(&app)
                {
                    p.pushes.retain(|m| m.id != mapping);
                }
                Ok(())
            }
        }
    }

    fn apply_failure(
        &mut self,
        now: SystemTime,
        task: &PushTask,
        failure: PushFailure,
    ) -> Option<SystemTime> {
        let (event, what) = match &task.op {
            PushOp::LookupUser { .. } => (
                "application.provision.user.verify_exists",
                "Error while checking whether the user exists",
            ),
            PushOp::CreateUser { .. } => (
                "application.provision.user.push",
                "Error while creating user",
            ),
            PushOp::UpdateUser { .. } => (
                "application.provision.user.push_profile",
                "Error while updating user",
            ),
            PushOp::SetActive { active: true, .. } => (
                "application.provision.user.reactivate",
                "Error while reactivating user",
            ),
            PushOp::SetActive { active: false, .. } => (
                "application.provision.user.deactivate",
                "Error while deactivating user",
            ),
            PushOp::LookupGroup { .. } => (
                "application.provision.group.verify_exists",
                "Error while checking whether the group exists",
            ),
            PushOp::CreateGroup { .. } => (
                "application.provision.group.add",
                "Error while creating group",
            ),
            PushOp::RenameGroup { .. } => (
                "application.provision.group_push.mapping.app.group.renamed.failed",
                "Error while renaming group",
            ),
            PushOp::PatchMembers { .. } => (
                "application.provision.group_membership.add",
                "Error while updating group memberships",
            ),
            PushOp::DeleteGroup { .. } => (
                "application.provision.group_push.delete_appgroup",
                "Error while deleting group",
            ),
        };
        let label = match &task.key {
            ResourceKey::User { app, .. } | ResourceKey::Group { app, .. } => {
                self.app(app).map(|a| a.label.clone()).unwrap_or_default()
            }
        };
        let (attempts, summary) = match &task.key {
            ResourceKey::User { app, user } => {
                let link = self
                    .prov
                    .apps
                    .get_mut(app)
                    .and_then(|p| p.users.get_mut(user))?;
                link.attempts += 1;
                if matches!(task.op, PushOp::CreateUser { .. }) && failure.maybe_applied {
                    // It may have been created after all: look it up first next time.
                    link.verified = false;
                }
                let summary = format!(
                    "Automatic provisioning of user {} to app {label} failed: {what}: {}",
                    link.login, failure.message
                );
                link.error = Some(summary.clone());
                (link.attempts, summary)
            }
            ResourceKey::Group { app, mapping } => {
                let m = self
                    .prov
                    .apps
                    .get_mut(app)
                    .and_then(|p| p.pushes.iter_mut().find(|m| m.id == *mapping))?;
                m.attempts += 1;
                if matches!(task.op, PushOp::CreateGroup { .. }) && failure.maybe_applied {
                    m.verify_first = true;
                }
                let summary = format!(
                    "Failed on {}: Unable to push group {} to {label}: {what}: {}",
                    rfc3339(now),
                    m.source_name,
                    failure.message
                );
                // A mapping the admin paused (or is deleting) while the call was out stays so.
                if m.deleting.is_none() && m.status != PushMappingStatus::Inactive {
                    m.status = PushMappingStatus::Error;
                    m.error_summary = Some(summary.clone());
                    m.last_updated = now;
                }
                (m.attempts, summary)
            }
        };
        let at = now + failure.retry_after.unwrap_or_else(|| backoff(attempts));
        match &task.key {
            ResourceKey::User { app, user } => {
                if let Some(link) = self
                    .prov
                    .apps
                    .get_mut(app)
                    .and_then(|p| p.users.get_mut(user))
                {
                    link.retry_at = Some(at);
                }
            }
            ResourceKey::Group { app, mapping } => {
                if let Some(m) = self.push_entry_mut(app, mapping) {
                    m.retry_at = Some(at);
                }
            }
        }
        self.prov.queue.waiting.insert((at, task.key.clone()));
        let reason = format!(
            "{summary} (attempt {attempts}; next attempt at {})",
            rfc3339(at)
        );
        self.log_push(now, &task.key, event, what, Outcome::failure(reason));
        Some(at)
    }
}
