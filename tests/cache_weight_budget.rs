//! The weight budget holds for every budget a user can give, `u64::MAX` included: the total
//! weight never passes it and is summed without overflow, in both flavours.

use poolkit::cache::{RefusalReason, ShardedTtlCache, TtlCache};

#[test]
fn a_budget_of_u64_max_is_a_budget_not_the_absence_of_one() {
    let mut c = TtlCache::builder(32)
        .max_weight(u64::MAX, |_: &u16, v: &u32| u64::MAX - u64::from(v % 4))
        .build()
        .unwrap();
    c.insert(127, 4_294_967_295).unwrap(); // weight 2^64 - 4
    c.insert(0, 0).unwrap(); // weight 2^64 - 1: room is made by evicting the first
    assert_eq!(c.len(), 1);
    assert_eq!(c.weight(), u64::MAX);
    assert!(!c.contains_key(&127));
    assert_eq!(c.get(&0), Some(&0));
    assert_eq!(c.stats().evicted_capacity, 1);
}

#[test]
fn the_total_stays_within_a_huge_budget_at_every_step() {
    let budget = u64::MAX - 10;
    let mut c = TtlCache::builder(64)
        .max_weight(budget, |_: &u32, v: &u64| *v)
        .build()
        .unwrap();
    let weights = [
        budget / 2,
        budget / 2,
        7,
        budget,
        u64::MAX,
        3,
        budget - 2,
        1,
        2,
    ];
    for (k, &w) in weights.iter().enumerate() {
        match c.insert(k as u32, w) {
            Ok(()) => assert!(w <= budget),
            Err(refused) => {
                assert!(w > budget);
                assert_eq!(
                    refused.reason,
                    RefusalReason::TooHeavy { weight: w, budget }
                );
            }
        }
        let live: u64 = c.iter().fold(0u64, |sum, (_, &w)| {
            sum.checked_add(w).expect("no overflow")
        });
        assert_eq!(c.weight(), live);
        assert!(c.weight() <= budget, "total {} over {budget}", c.weight());
    }
}

#[test]
fn sharded_shares_of_u64_max_bound_every_shard_and_the_sum_does_not_overflow() {
    let c = ShardedTtlCache::builder(64)
        .shards(4)
        .max_weight(u64::MAX, |_: &u32, v: &u64| *v)
        .build()
        .unwrap();
    let share = u64::MAX / 4;
    // Every shard is filled to its share, then asked for a little more.
    let mut key = 0u32;
    let mut stored = 0;
    while stored < 64 && key < 10_000 {
        if c.insert(key, share).is_ok() {
            stored += 1;
        }
        key += 1;
        let live = c.iter().fold(0u128, |sum, (_, w)| sum + u128::from(w));
        assert_eq!(u128::from(c.weight()), live);
    }
    for k in key..key + 64 {
        let _ = c.insert(k, 1);
    }
    let live = c.iter().fold(0u128, |sum, (_, w)| sum + u128::from(w));
    assert!(
        live <= u128::from(u64::MAX),
        "resident weight {live} over the budget"
    );
    assert_eq!(u128::from(c.weight()), live);
}
