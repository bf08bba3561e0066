//! Deterministic key traces shared by the cache benchmark and tests (included with
//! `#[path]`, never part of the public API).
#![allow(dead_code)]

/// SplitMix64: a tiny, good-quality deterministic generator.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `len` keys drawn from Zipf(`exponent`) over `0..keys` (key 0 most popular), by binary
/// search in a precomputed CDF.
pub fn zipf(keys: usize, exponent: f64, len: usize, seed: u64) -> Vec<u64> {
    let mut cdf = Vec::with_capacity(keys);
    let mut sum = 0.0;
    for rank in 1..=keys {
        sum += 1.0 / (rank as f64).powf(exponent);
        cdf.push(sum);
    }
    let mut rng = SplitMix64(seed);
    (0..len)
        .map(|_| {
            let u = rng.next_f64() * sum;
            cdf.partition_point(|&c| c < u).min(keys - 1) as u64
        })
        .collect()
}

/// `len` keys cycling through `0..keys`: the scan/loop trace.
pub fn looping(keys: u64, len: usize) -> Vec<u64> {
    (0..len as u64).map(|i| i % keys).collect()
}

/// Hit ratio of a get-then-insert-on-miss run of `trace` through `get_or_insert` (which
/// returns whether the key was present), counted after the first `warmup` requests.
pub fn hit_ratio(trace: &[u64], warmup: usize, mut get_or_insert: impl FnMut(u64) -> bool) -> f64 {
    let mut hits = 0usize;
    for (i, &k) in trace.iter().enumerate() {
        if get_or_insert(k) && i >= warmup {
            hits += 1;
        }
    }
    hits as f64 / (trace.len() - warmup) as f64
}

/// Zipf(`exponent`) over `0..keys`, interrupted every `scan_every` Zipf requests by a scan of
/// `scan_len` fresh keys, each requested once and never again (keys from `keys` upwards):
/// a cache that admits every new key lets the scans push the hot set out.
pub fn zipf_with_scans(
    keys: usize,
    exponent: f64,
    len: usize,
    seed: u64,
    scan_every: usize,
    scan_len: usize,
) -> Vec<u64> {
    let hot = zipf(keys, exponent, len, seed);
    let mut fresh = keys as u64;
    let mut out = Vec::with_capacity(len);
    for chunk in hot.chunks(scan_every) {
        if out.len() >= len {
            break;
        }
        out.extend_from_slice(chunk);
        for _ in 0..scan_len {
            out.push(fresh);
            fresh += 1;
        }
    }
    out.truncate(len);
    out
}

/// A hot set that moves: Zipf(`exponent`) over `keys` keys whose ranks are shifted by
/// `keys / 2` every `phase_len` requests, so the most popular keys of one phase are cold
/// in the next. A policy must forget old popularity to follow it.
pub fn shifting_zipf(
    keys: usize,
    exponent: f64,
    len: usize,
    seed: u64,
    phase_len: usize,
) -> Vec<u64> {
    let ranks = zipf(keys, exponent, len, seed);
    ranks
        .iter()
        .enumerate()
        .map(|(i, &r)| {
            let phase = (i / phase_len) as u64;
            (r + phase * (keys as u64 / 2)) % (keys as u64 * 64)
        })
        .collect()
}
