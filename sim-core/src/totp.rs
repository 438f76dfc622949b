//! RFC 6238 time-based one-time passwords (the TOTP factor, BEHAVIOURS.md OKTA-TOK-7), on the
//! world's clock: 30-second steps, 6 digits, HMAC-SHA1, one step of drift either way. Both
//! sides use it: mock-okta's core verifies codes, and the clients (scenarios' `totp:` step,
//! tests) compute them the way an authenticator app does.

use std::time::SystemTime;

const STEP_SECS: u64 = 30;
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The 6-digit code for `secret` (base32) at `at`.
pub fn code_at(secret: &str, at: SystemTime) -> Option<String> {
    let key = base32_decode(secret)?;
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Some(hotp(&key, secs / STEP_SECS))
}

/// Whether `code` is valid for `secret` at `now` (±1 step).
pub fn verify(secret: &str, now: SystemTime, code: &str) -> bool {
    let Some(key) = base32_decode(secret) else {
        return false;
    };
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let step = secs / STEP_SECS;
    [step.saturating_sub(1), step, step + 1]
        .iter()
        .any(|s| crate::ids::constant_time_eq(hotp(&key, *s).as_bytes(), code.trim().as_bytes()))
}

/// RFC 4226 HOTP with 6 digits.
fn hotp(key: &[u8], counter: u64) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    let mac = ring::hmac::sign(&key, &counter.to_be_bytes());
    let mac = mac.as_ref();
    let offset = (mac[mac.len() - 1] & 0x0f) as usize;
    let bin = (u32::from(mac[offset] & 0x7f) << 24)
        | (u32::from(mac[offset + 1]) << 16)
        | (u32::from(mac[offset + 2]) << 8)
        | u32::from(mac[offset + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// RFC 4648 base32 without padding (the form authenticator apps take).
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in text.trim_end_matches('=').bytes() {
        let v = ALPHABET.iter().position(|a| *a == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc_6238_sha1_test_vectors() {
        // RFC 6238 appendix B: secret "12345678901234567890", 8-digit codes; we keep the
        // last 6 digits, which is what a 6-digit HOTP of the same counter gives.
        let secret = base32(b"12345678901234567890");
        for (t, code8) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (2_000_000_000, "69279037"),
        ] {
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(t);
            assert_eq!(code_at(&secret, at).as_deref(), Some(&code8[2..]));
        }
    }

    #[test]
    fn codes_verify_within_one_step_only() {
        let secret = base32(b"kiro-sim-totp-secret");
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let code = code_at(&secret, t0).expect("code");
        assert!(verify(&secret, t0, &code));
        assert!(verify(&secret, t0 + Duration::from_secs(30), &code));
        assert!(!verify(&secret, t0 + Duration::from_secs(90), &code));
        assert!(!verify(&secret, t0, "000000") || code == "000000");
    }

    #[test]
    fn base32_round_trips() {
        let raw = b"\x00\xffhello world\x10";
        assert_eq!(base32_decode(&base32(raw)).as_deref(), Some(&raw[..]));
    }
}
