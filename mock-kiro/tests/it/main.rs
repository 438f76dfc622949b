//! mock-kiro's integration tests, one binary (one link of the HTTP stack instead of one per
//! file): each file a module, run as `cargo test -p mock-kiro --test it [FILE::]`. The support
//! modules are shared by the files that use them.

mod common;
mod console_support;

mod console_domains;
mod console_pages;
mod console_profiles;
mod console_settings;
mod console_subscriptions;
mod console_tokens;
mod hostile_input;
mod runtime_signin;
mod runtime_tokens;
mod runtime_usage;
mod scim_compliance;
mod scim_dialect;
mod scim_groups;
mod scim_protocol;
mod scim_users;
