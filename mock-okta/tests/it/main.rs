//! mock-okta's integration tests, one binary (one link of the HTTP stack instead of one per
//! file): each file a module, run as `cargo test -p mock-okta --test it [FILE::]`. The support
//! modules are shared by the files that use them.

mod common;
mod oidc_support;
mod provisioning_support;
mod sdk_support;

mod admin_console;
mod core_rules;
mod hostile_input;
mod management_api;
mod management_apps;
mod management_authz;
mod management_logs;
mod management_oauth;
mod management_sdk;
mod management_users;
mod oidc_authn;
mod oidc_login_page;
mod oidc_refusals;
mod oidc_relying_party;
mod oidc_tokens;
mod org_builtins;
mod provisioning_api;
mod provisioning_core;
mod provisioning_faults;
mod provisioning_hang;
mod provisioning_kiro;
mod provisioning_push;
mod response_modes;
mod service_apps;
mod verifiers;
