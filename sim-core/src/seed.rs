//! The world's seed, and the deterministic random streams derived from it.
//!
//! One [`Seed`] per world makes every id, secret, token and key choice deterministic: the same
//! seed and the same actions give byte-identical responses. Each consumer draws from its own
//! named stream ([`Seed::stream`]), so adding a draw in one service never shifts the values
//! another service produces.

use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};

/// The seed of a world. Printed in the ready line; `--seed N` on the command line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Seed(pub u64);

impl Seed {
    /// The deterministic random stream named `label` (e.g. `"mock-dns/ids"`). Two calls with
    /// the same seed and label give streams that produce the same values.
    pub fn stream(&self, label: &str) -> SimRng {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(b"kiro-sim seed stream\0");
        ctx.update(&self.0.to_le_bytes());
        ctx.update(label.as_bytes());
        let digest = ctx.finish();
        let mut key = [0u8; 32];
        key.copy_from_slice(digest.as_ref());
        SimRng(ChaCha20Rng::from_seed(key))
    }
}

impl std::fmt::Display for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for Seed {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Seed)
    }
}

/// A deterministic random stream (ChaCha20), derived from a [`Seed`] and a label.
#[derive(Clone, Debug)]
pub struct SimRng(ChaCha20Rng);

impl SimRng {
    /// A uniformly distributed integer below `bound` (which must be non-zero).
    pub fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0);
        // Rejection sampling keeps the distribution exact.
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let v = self.0.next_u64();
            if v < zone {
                return v % bound;
            }
        }
    }

    /// `len` characters drawn uniformly from `alphabet`.
    pub fn string_from(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

impl RngCore for SimRng {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.0.try_fill_bytes(dest)
    }
}

impl CryptoRng for SimRng {}

/// A stream's position, as a snapshot keeps it: the ChaCha20 key (the seed and label's
/// digest), the stream number and the word position. Restoring it continues the stream exactly
/// where it stood, so the next ids and tokens are those of a world that never stopped.
#[derive(serde::Serialize, serde::Deserialize)]
struct RngPosition {
    /// The 32-byte key, hex.
    key: String,
    /// ChaCha20's stream number.
    stream: u64,
    /// The word position (a u128, as a decimal string: JSON numbers stop at 2^53).
    word_pos: String,
}

impl serde::Serialize for SimRng {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let key: String = self
            .0
            .get_seed()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        RngPosition {
            key,
            stream: self.0.get_stream(),
            word_pos: self.0.get_word_pos().to_string(),
        }
        .serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for SimRng {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let position = RngPosition::deserialize(deserializer)?;
        let bytes = position.key.as_bytes();
        if bytes.len() != 64 {
            return Err(D::Error::custom(
                "a random stream's key must be 64 hex digits",
            ));
        }
        let mut key = [0u8; 32];
        for (i, pair) in bytes.chunks(2).enumerate() {
            let hex = std::str::from_utf8(pair).map_err(D::Error::custom)?;
            key[i] = u8::from_str_radix(hex, 16)
                .map_err(|_| D::Error::custom("a random stream's key must be hex digits"))?;
        }
        let word_pos: u128 = position.word_pos.parse().map_err(|_| {
            D::Error::custom("a random stream's word_pos must be a decimal integer")
        })?;
        let mut rng = ChaCha20Rng::from_seed(key);
        rng.set_stream(position.stream);
        rng.set_word_pos(word_pos);
        Ok(SimRng(rng))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_label_give_the_same_stream() {
        let mut a = Seed(42).stream("okta/users");
        let mut b = Seed(42).stream("okta/users");
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
    }

    #[test]
    fn different_seeds_or_labels_give_different_streams() {
        let first = |seed: u64, label: &str| Seed(seed).stream(label).next_u64();
        assert_ne!(first(42, "okta/users"), first(43, "okta/users"));
        assert_ne!(first(42, "okta/users"), first(42, "okta/groups"));
    }

    #[test]
    fn a_stream_restored_from_its_position_continues_where_it_stood() {
        let mut rng = Seed(9).stream("okta/ids");
        for _ in 0..5 {
            rng.next_u32();
        }
        let saved = serde_json::to_string(&rng).expect("serialises");
        let mut restored: SimRng = serde_json::from_str(&saved).expect("parses");
        let next: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
        let again: Vec<u64> = (0..4).map(|_| restored.next_u64()).collect();
        assert_eq!(next, again);
        assert!(
            serde_json::from_str::<SimRng>(r#"{"key":"zz","stream":0,"word_pos":"0"}"#).is_err()
        );
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Seed(7).stream("t");
        let mut seen = [false; 10];
        for _ in 0..1_000 {
            let v = rng.below(10) as usize;
            seen[v] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
