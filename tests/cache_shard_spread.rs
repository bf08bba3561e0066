//! The concurrent cache spreads keys evenly over its shards for any key pattern and any
//! hasher seed, so a sharded cache keeps what a single-thread cache of the same capacity
//! keeps.

use std::sync::OnceLock;

use foldhash::fast::{FixedState, SeedableRandomState};
use foldhash::SharedSeed;
use poolkit::cache::{ShardedTtlCache, TtlCache};

/// The hasher of a process whose random seeds are derived from `seed`: both the
/// process-wide shared seed and the per-hasher seed vary, as with the default hasher.
fn seeded_hasher(seed: u64) -> SeedableRandomState {
    static SHARED: OnceLock<Box<[SharedSeed]>> = OnceLock::new();
    let shared = SHARED.get_or_init(|| {
        (0..64u64)
            .map(|s| SharedSeed::from_u64(s * 0x9E37_79B9))
            .collect()
    });
    SeedableRandomState::with_seed(
        seed.wrapping_mul(0xA24B_AED4_963E_E407),
        &shared[(seed % 64) as usize],
    )
}

/// Keys differing only in a few bits, at several positions of the word.
fn patterns() -> Vec<Vec<u64>> {
    [0u32, 7, 30, 32, 49, 57]
        .iter()
        .map(|&shift| (0..64u64).map(|k| k << shift).collect())
        .collect()
}

#[test]
fn keys_differing_in_a_few_bits_fill_every_shard_evenly_for_every_seed() {
    let mut worst = 0usize;
    for seed in 0..1_500u64 {
        for keys in patterns() {
            // 4 shards of 40 entries: 64 keys fit only if no shard gets more than 40.
            let cache = ShardedTtlCache::builder(160)
                .shards(4)
                .hasher(seeded_hasher(seed))
                .build()
                .unwrap();
            for &k in &keys {
                cache.insert(k, k).unwrap();
            }
            let kept = keys.iter().filter(|k| cache.contains_key(k)).count();
            worst = worst.max(keys.len() - kept);
            assert_eq!(
                kept,
                keys.len(),
                "seed {seed}, keys {:#x}..: a shard overflowed (stats {:?})",
                keys[1],
                cache.stats()
            );
        }
    }
    // What the single-thread cache of the same capacity keeps: everything.
    let mut single = TtlCache::builder(160)
        .hasher(FixedState::with_seed(1))
        .build()
        .unwrap();
    for k in 0..64u64 {
        single.insert(k << 49, k).unwrap();
    }
    assert_eq!((single.len(), worst), (64, 0));
}
