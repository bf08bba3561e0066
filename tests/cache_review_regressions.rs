//! Regressions for bugs found in review, each reproduced before its fix.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use poolkit::cache::{Clock, ManualClock, ShardedTtlCache, TtlCache};

#[test]
fn sharded_iter_never_yields_entries_expired_before_their_shard_is_read() {
    let clock = ManualClock::new();
    let cache = ShardedTtlCache::builder(512)
        .shards(2)
        .clock(clock.clone())
        .build()
        .unwrap();
    for k in 0..64u32 {
        cache
            .insert_with_ttl(k, k, Duration::from_millis(10))
            .unwrap();
    }
    let mut it = cache.iter();
    let first = it.next();
    assert!(first.is_some()); // the first shard was read while everything was live
    clock.advance(Duration::from_millis(10)); // now every entry is expired
    assert!((0..64u32).all(|k| !cache.contains_key(&k)));
    // What is left: the rest of the first shard's snapshot (taken while live), then the
    // second shard, read now, which must yield nothing. Before the fix it yielded its
    // entries too, filtered with the time read when the iterator was made: 63 in all.
    let rest = it.count();
    assert!(rest < 63, "expired entries of a later shard were yielded");
}

#[test]
fn sharded_replacement_needing_many_evictions_counts_an_update() {
    let weigh = |_: &u32, v: &u64| *v;
    let sharded = ShardedTtlCache::builder(1000)
        .shards(1)
        .max_weight(100, weigh)
        .build()
        .unwrap();
    let mut single = TtlCache::builder(1000)
        .max_weight(100, weigh)
        .build()
        .unwrap();
    for k in 0..100 {
        sharded.insert(k, 1).unwrap();
        single.insert(k, 1).unwrap();
    }
    // Replacing key 0 with weight 100 evicts 99 entries: more than one critical section's
    // buffer holds, so the sharded insert retries; it is still one update.
    sharded.insert(0, 100).unwrap();
    single.insert(0, 100).unwrap();
    let (s, u) = (sharded.stats(), single.stats());
    assert_eq!((u.inserts, u.updates), (100, 1));
    assert_eq!((s.inserts, s.updates), (100, 1));
    assert_eq!(sharded.get(&0), Some(100));
}

#[test]
fn huge_time_to_idle_does_not_break_the_timer_wheel() {
    let clock = ManualClock::new();
    let mut cache = TtlCache::builder(4)
        .time_to_idle(Duration::from_nanos(u64::MAX - 1))
        .clock(clock.clone())
        .build()
        .unwrap();
    cache.insert(1u8, 1u8).unwrap();
    clock.advance(Duration::from_nanos(1 << 51));
    assert_eq!(cache.get(&1), Some(&1)); // renewal: last access + TTI saturates
    cache.insert(2, 2).unwrap(); // the sweep files the renewed entry again
    assert_eq!(cache.get(&1), Some(&1));
}

#[test]
fn sharded_panicking_listener_loses_only_the_entry_it_was_given() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = Arc::clone(&calls);
    let cache = ShardedTtlCache::builder(64)
        .shards(1)
        .eviction_listener(move |_k: u32, _v: u32, _cause| {
            if c2.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("listener failed");
            }
        })
        .build()
        .unwrap();
    for k in 0..10 {
        cache.insert(k, k).unwrap();
    }
    assert!(catch_unwind(AssertUnwindSafe(|| cache.clear())).is_err());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        10,
        "every removal reached the listener"
    );
    assert_eq!(cache.len(), 0);
    cache.insert(1, 1).unwrap(); // still usable
    assert_eq!(cache.get(&1), Some(1));
}

#[test]
fn an_older_clock_reading_never_moves_idle_time_backwards() {
    /// A clock set by hand, which may go backwards (as a reading taken before the shard
    /// lock, then used after a newer reader renewed the entry, effectively does).
    struct Settable(Arc<AtomicU64>);
    impl Clock for Settable {
        fn now_nanos(&self) -> u64 {
            self.0.load(Ordering::SeqCst)
        }
    }
    let t = Arc::new(AtomicU64::new(0));
    let mut cache = TtlCache::builder(4)
        .time_to_idle(Duration::from_millis(10))
        .clock(Settable(Arc::clone(&t)))
        .build()
        .unwrap();
    cache.insert(1u8, 1u8).unwrap();
    t.store(9_000_000, Ordering::SeqCst);
    assert_eq!(cache.get(&1), Some(&1)); // idle deadline now 19 ms
    t.store(1_000_000, Ordering::SeqCst);
    assert_eq!(cache.get(&1), Some(&1)); // an older reading must not pull it back to 11 ms
    t.store(12_000_000, Ordering::SeqCst);
    assert_eq!(cache.get(&1), Some(&1), "idle for 3 ms since the 9 ms read");
    t.store(22_000_000, Ordering::SeqCst);
    assert_eq!(cache.get(&1), None, "idle for 10 ms since the 12 ms read");
}
