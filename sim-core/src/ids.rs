//! Id and secret formats of the real systems, drawn from a deterministic [`SimRng`].
//!
//! - Okta object ids: 20 characters, a 3-character type prefix (`00u` users, `00g` groups,
//!   `0oa` apps, `aus` authorization servers, ...) and 17 base62 characters.
//! - UUIDs (version 4, RFC 9562 layout) for SCIM resources and request ids.
//! - Lowercase hex ids (Cloudflare's 32-character zone and record ids).
//! - Opaque secrets (API tokens) in base62.

use crate::seed::SimRng;
use rand_core::RngCore;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX: &[u8] = b"0123456789abcdef";

/// Okta's object-type prefixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OktaKind {
    /// `00u`: a user.
    User,
    /// `00g`: a group.
    Group,
    /// `0oa`: an app (and its OAuth client id).
    App,
    /// `aus`: a custom authorization server.
    AuthServer,
    /// `00p`: a policy.
    Policy,
    /// `0pr`: a policy rule.
    PolicyRule,
    /// `scp`: an authorization-server scope.
    Scope,
    /// `ocl`: an authorization-server claim.
    Claim,
    /// `mfa`: an enrolled factor.
    Factor,
    /// `102`: a session.
    Session,
    /// `00o`: the org itself.
    Org,
}

impl OktaKind {
    /// The 3-character prefix of ids of this kind.
    pub fn prefix(&self) -> &'static str {
        match self {
            OktaKind::User => "00u",
            OktaKind::Group => "00g",
            OktaKind::App => "0oa",
            OktaKind::AuthServer => "aus",
            OktaKind::Policy => "00p",
            OktaKind::PolicyRule => "0pr",
            OktaKind::Scope => "scp",
            OktaKind::Claim => "ocl",
            OktaKind::Factor => "mfa",
            OktaKind::Session => "102",
            OktaKind::Org => "00o",
        }
    }
}

/// An Okta object id: the kind's prefix and 17 base62 characters (20 in all).
pub fn okta_id(rng: &mut SimRng, kind: OktaKind) -> String {
    let mut id = String::with_capacity(20);
    id.push_str(kind.prefix());
    id.push_str(&rng.string_from(BASE62, 17));
    id
}

/// A random (version 4) UUID in its lowercase hyphenated form.
pub fn uuid_v4(rng: &mut SimRng) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `len` lowercase hex characters.
pub fn hex_id(rng: &mut SimRng, len: usize) -> String {
    rng.string_from(HEX, len)
}

/// An opaque base62 secret of `len` characters.
pub fn secret(rng: &mut SimRng, len: usize) -> String {
    rng.string_from(BASE62, len)
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Seed;

    #[test]
    fn okta_ids_have_the_real_shape() {
        let mut rng = Seed(1).stream("ids");
        for kind in [
            OktaKind::User,
            OktaKind::Group,
            OktaKind::App,
            OktaKind::AuthServer,
        ] {
            let id = okta_id(&mut rng, kind);
            assert_eq!(id.len(), 20, "{id}");
            assert!(id.starts_with(kind.prefix()));
            assert!(id.bytes().all(|c| c.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn uuids_are_version_4_with_the_rfc_variant() {
        let mut rng = Seed(1).stream("ids");
        let u = uuid_v4(&mut rng);
        assert_eq!(u.len(), 36);
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
    }

    #[test]
    fn ids_are_deterministic_per_seed() {
        let draw = |seed| {
            let mut rng = Seed(seed).stream("ids");
            (
                okta_id(&mut rng, OktaKind::User),
                uuid_v4(&mut rng),
                hex_id(&mut rng, 32),
            )
        };
        assert_eq!(draw(9), draw(9));
        assert_ne!(draw(9), draw(10));
        assert_eq!(draw(9).2.len(), 32);
    }
}
