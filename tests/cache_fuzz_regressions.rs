//! Inputs on which the cache fuzz targets (`fuzz/fuzz_targets/*_cache.rs`) once failed,
//! replayed as plain calls, so that `cargo test` keeps them fixed without the fuzzing
//! toolchain. The raw inputs are also in the seed corpus (`fuzz/corpus/<target>/`).

use std::time::Duration;

use poolkit::cache::{RefusalReason, ShardedTtlCache, TtlCache};

/// Two weights whose sum passes `u64::MAX`, under a budget of `u64::MAX`: the sum
/// overflowed (a panic in a debug build, a wrapped total in release).
#[test]
fn weights_summing_past_u64_max_evict_instead_of_overflowing() {
    let mut cache = TtlCache::builder(36)
        .time_to_idle(Duration::MAX)
        .max_weight(u64::MAX, |_: &u8, w: &u64| *w)
        .build()
        .expect("valid configuration");
    let first = 4_294_917_120u64 << 10;
    let second = u64::MAX - 189;
    cache.insert(189, first).unwrap();
    assert_eq!(*cache.get_or_insert_with(&0, || second).unwrap(), second);
    assert_eq!(cache.get(&0), Some(&second));
    assert_eq!(cache.get(&189), None, "the first entry made room");
    assert_eq!((cache.len(), cache.weight()), (1, second));
    let stats = cache.stats();
    assert_eq!(
        (stats.evicted_capacity, stats.hits, stats.misses),
        (1, 1, 2)
    );
}

/// A budget of `u64::MAX` split over three shards: an entry heavier than a shard's share
/// was accepted, as if there were no budget.
#[test]
fn a_u64_max_budget_split_over_shards_refuses_an_entry_heavier_than_a_share() {
    let cache = ShardedTtlCache::builder(27)
        .shards(3)
        .max_weight(u64::MAX, |_: &u8, w: &u64| *w)
        .build()
        .expect("valid configuration");
    let heavy = u64::MAX - 255;
    let refused = cache.insert(255, heavy).unwrap_err();
    match refused.reason {
        RefusalReason::TooHeavy { weight, budget } => {
            assert_eq!(weight, heavy);
            assert!(
                (u64::MAX / 3..=u64::MAX.div_ceil(3)).contains(&budget),
                "{budget}"
            );
        }
        other => panic!("refused for {other:?}"),
    }
    assert!(cache.is_empty());
    assert_eq!(cache.weight(), 0);
    cache.insert(1, u64::MAX / 3).unwrap();
    assert_eq!(cache.weight(), u64::MAX / 3);
}
