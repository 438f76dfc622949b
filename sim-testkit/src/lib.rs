//! What kiro-sim's tests share.
//!
//! [`tool`]: some tests drive a real outside client (`dig`, an Okta SDK in Python or Node,
//! Chromium, a Docker engine). On a machine without it such a test is skipped with one line,
//! and the skip is recorded so that `cargo xtask ci` can end with one summary line
//! ("skipped 3: install dig (bind9-dnsutils), …"); under `CI` a missing tool fails the test,
//! since CI installs every tool.
//!
//! [`browser`] (feature `browser`): headless Chromium through chromedriver, with helpers that
//! find links, buttons and fields by the words a guide uses, and screenshots on failure.
//!
//! [`http`] (feature `http`): one HTTP answer type for every service's tests, with the
//! checks of each service's error format.
//!
//! [`jwt`] (feature `jwt`): tokens made by hand, the one module the tests forge JWTs with
//! (RS256 with the fixed dev keys, ES256 with fresh P-256 keys, any header).

pub mod tool;

#[cfg(feature = "browser")]
pub mod browser;

#[cfg(feature = "http")]
pub mod http;

#[cfg(feature = "jwt")]
pub mod jwt;
