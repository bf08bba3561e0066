//! How the caches use their clock: time that steps back is treated as standing still (an
//! entry seen expired never comes back), and every operation reads the clock at most once.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use poolkit::cache::{Clock, ManualClock, ShardedTtlCache, TtlCache};

/// A clock set by hand (it may go backwards) that counts its reads.
#[derive(Clone, Default)]
struct TestClock {
    nanos: Arc<AtomicU64>,
    reads: Arc<AtomicUsize>,
}

impl TestClock {
    fn set_secs(&self, secs: u64) {
        self.nanos.store(secs * 1_000_000_000, Ordering::SeqCst);
    }
    fn take_reads(&self) -> usize {
        self.reads.swap(0, Ordering::SeqCst)
    }
}

impl Clock for TestClock {
    fn now_nanos(&self) -> u64 {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.nanos.load(Ordering::SeqCst)
    }
}

const SECS: Duration = Duration::from_secs(10);

fn unsync(clock: &TestClock) -> TtlCache<u32, u32, poolkit::cache::DefaultHashBuilder, TestClock> {
    let mut cache = TtlCache::builder(16).clock(clock.clone()).build().unwrap();
    clock.set_secs(100);
    cache.insert_with_ttl(1, 1, SECS).unwrap(); // expires at 110 s
    cache
}

fn sharded(
    clock: &TestClock,
) -> ShardedTtlCache<u32, u32, poolkit::cache::DefaultHashBuilder, TestClock> {
    let cache = ShardedTtlCache::builder(16)
        .shards(2)
        .clock(clock.clone())
        .build()
        .unwrap();
    clock.set_secs(100);
    cache.insert_with_ttl(1, 1, SECS).unwrap(); // expires at 110 s
    cache
}

#[test]
fn unsync_contains_key_never_sees_an_expired_entry_again() {
    let clock = TestClock::default();
    let cache = unsync(&clock);
    clock.set_secs(111);
    assert!(!cache.contains_key(&1));
    clock.set_secs(105);
    assert!(
        !cache.contains_key(&1),
        "un-expired when the clock stepped back"
    );
}

#[test]
fn unsync_iter_never_sees_an_expired_entry_again() {
    let clock = TestClock::default();
    let cache = unsync(&clock);
    clock.set_secs(111);
    assert_eq!(cache.iter().count(), 0);
    clock.set_secs(105);
    assert_eq!(
        cache.iter().count(),
        0,
        "un-expired when the clock stepped back"
    );
}

#[test]
fn unsync_get_never_sees_an_expired_entry_again() {
    let clock = TestClock::default();
    let mut cache = unsync(&clock);
    cache
        .insert_with_ttl(2, 2, Duration::from_secs(20))
        .unwrap(); // expires at 120 s
    clock.set_secs(111);
    assert!(!cache.contains_key(&1)); // time 111 seen
    clock.set_secs(105);
    assert_eq!(
        cache.get(&1),
        None,
        "un-expired when the clock stepped back"
    );
    // Time stands still at 111 until the clock catches up: 2 is live until 120.
    assert_eq!(cache.get(&2), Some(&2));
    clock.set_secs(119);
    assert_eq!(cache.get(&2), Some(&2));
    clock.set_secs(121);
    assert_eq!(cache.get(&2), None);
}

#[test]
fn sharded_get_contains_key_and_iter_never_see_an_expired_entry_again() {
    let clock = TestClock::default();
    let cache = sharded(&clock);
    clock.set_secs(111);
    assert!(!cache.contains_key(&1));
    clock.set_secs(105);
    assert!(!cache.contains_key(&1), "contains_key: un-expired");
    assert_eq!(cache.iter().count(), 0, "iter: un-expired");
    assert_eq!(cache.get(&1), None, "get: un-expired");
}

#[test]
fn sharded_time_seen_by_one_shard_holds_for_all() {
    let clock = TestClock::default();
    let cache = ShardedTtlCache::builder(64)
        .shards(8)
        .clock(clock.clone())
        .build()
        .unwrap();
    clock.set_secs(100);
    for k in 0..32u32 {
        cache.insert_with_ttl(k, k, SECS).unwrap();
    }
    clock.set_secs(111);
    assert!(!cache.contains_key(&0)); // one shard sees 111 s
    clock.set_secs(105);
    assert!(
        (0..32u32).all(|k| !cache.contains_key(&k)),
        "an entry of another shard un-expired"
    );
}

/// Runs `op` and returns how many times it read the clock.
fn reads(clock: &TestClock, op: impl FnOnce()) -> usize {
    clock.take_reads();
    op();
    clock.take_reads()
}

#[test]
fn unsync_reads_the_clock_at_most_once_per_operation() {
    let clock = TestClock::default();
    let mut cache = TtlCache::builder(4)
        .time_to_live(SECS)
        .time_to_idle(SECS)
        .clock(clock.clone())
        .build()
        .unwrap();
    clock.set_secs(100);
    for k in 0..4u32 {
        cache.insert(k, k).unwrap();
    }
    clock.set_secs(120); // everything expired
    let mut worst = vec![];
    worst.push((
        "get_or_insert_with over an expired entry",
        reads(&clock, || {
            cache.get_or_insert_with(&0, || 9).unwrap();
        }),
    ));
    worst.push((
        "get over an expired entry",
        reads(&clock, || {
            cache.get(&1);
        }),
    ));
    worst.push((
        "get_mut",
        reads(&clock, || {
            cache.get_mut(&0);
        }),
    ));
    worst.push((
        "contains_key",
        reads(&clock, || {
            cache.contains_key(&2);
        }),
    ));
    worst.push((
        "insert over an expired entry",
        reads(&clock, || {
            cache.insert(2, 2).unwrap();
        }),
    ));
    worst.push((
        "insert_with_ttl",
        reads(&clock, || {
            cache.insert_with_ttl(5, 5, SECS).unwrap();
        }),
    ));
    worst.push((
        "remove",
        reads(&clock, || {
            cache.remove(&3);
        }),
    ));
    worst.push((
        "iter",
        reads(&clock, || {
            cache.iter().count();
        }),
    ));
    worst.push((
        "purge_expired",
        reads(&clock, || {
            cache.purge_expired();
        }),
    ));
    worst.push(("clear", reads(&clock, || cache.clear())));
    for (what, n) in worst {
        assert!(n <= 1, "{what} read the clock {n} times");
    }
}

#[test]
fn sharded_reads_the_clock_at_most_once_per_operation() {
    let clock = TestClock::default();
    let cache = ShardedTtlCache::builder(64)
        .shards(4)
        .time_to_live(SECS)
        .time_to_idle(SECS)
        .clock(clock.clone())
        .build()
        .unwrap();
    clock.set_secs(100);
    for k in 0..16u32 {
        cache.insert(k, k).unwrap();
    }
    clock.set_secs(120); // everything expired
    let mut worst = vec![];
    worst.push((
        "get_or_insert_with over an expired entry",
        reads(&clock, || {
            cache.get_or_insert_with(&0, || 9).unwrap();
        }),
    ));
    worst.push((
        "get over an expired entry",
        reads(&clock, || {
            cache.get(&1);
        }),
    ));
    worst.push((
        "contains_key",
        reads(&clock, || {
            cache.contains_key(&2);
        }),
    ));
    worst.push((
        "insert over an expired entry",
        reads(&clock, || {
            cache.insert(2, 2).unwrap();
        }),
    ));
    worst.push((
        "insert_with_ttl",
        reads(&clock, || {
            cache.insert_with_ttl(5, 5, SECS).unwrap();
        }),
    ));
    worst.push((
        "remove",
        reads(&clock, || {
            cache.remove(&3);
        }),
    ));
    worst.push((
        "purge_expired",
        reads(&clock, || {
            cache.purge_expired();
        }),
    ));
    worst.push(("clear", reads(&clock, || cache.clear())));
    for (what, n) in worst {
        assert!(n <= 1, "{what} read the clock {n} times");
    }
    // `iter` reads it once per shard, when it reaches the shard (documented).
    assert!(
        reads(&clock, || {
            cache.iter().count();
        }) <= cache.shard_count()
    );
}

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
