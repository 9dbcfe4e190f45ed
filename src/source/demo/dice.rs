//! Seeded randomness for the simulator. ChaCha8 is portable and stable across platforms and
//! crate versions, so `--seed N` reproduces the same fleet everywhere.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

#[derive(Debug, Clone)]
pub struct Dice(ChaCha8Rng);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(ChaCha8Rng::seed_from_u64(seed))
    }
    /// Uniform in `lo..hi` (`lo` when the range is empty).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            lo + self.0.next_u64() % (hi - lo)
        }
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Multiplicative noise around 1.0, e.g. `jitter(0.1)` is in `[0.9, 1.1)`.
    pub fn jitter(&mut self, spread: f64) -> f64 {
        1.0 + (self.unit() * 2.0 - 1.0) * spread
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as u64) as usize]
    }
    /// A short lowercase alphanumeric suffix like Kubernetes' generated names.
    pub fn suffix(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..len).map(|_| *self.pick(ALPHABET) as char).collect()
    }
}
