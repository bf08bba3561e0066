//! loom models of the concurrent cache's protocols. Run with
//! `RUSTFLAGS="--cfg loom" cargo test --release --lib loom`.
//!
//! - Single flight: two threads missing the same key run the loader once and both get its
//!   value; the loading mark, the shard `Mutex` and the `Condvar` never lose a wake-up.
//! - A loader for one key does not block a second key's loader in the same shard.
//! - The `timed` hint: a reader that saw a stale "no deadlines here" hint still never
//!   returns an expired entry (it finds the deadline under the lock, unlocks, reads the
//!   clock and retries).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use loom::sync::Arc;
use loom::thread;

use super::ShardedTtlCache;

#[test]
fn loom_single_flight_runs_the_loader_once() {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    loom::model(|| {
        RUNS.fetch_add(1, Ordering::Relaxed);
        let cache = Arc::new(ShardedTtlCache::builder(4).shards(1).build().unwrap());
        let calls = Arc::new(AtomicUsize::new(0));
        let spawn = |cache: Arc<ShardedTtlCache<u8, u8>>, calls: Arc<AtomicUsize>| {
            thread::spawn(move || {
                cache
                    .get_or_insert_with(&1, || {
                        calls.fetch_add(1, Ordering::SeqCst);
                        10
                    })
                    .unwrap()
            })
        };
        let a = spawn(cache.clone(), calls.clone());
        let b = spawn(cache.clone(), calls.clone());
        assert_eq!(a.join().unwrap(), 10);
        assert_eq!(b.join().unwrap(), 10);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let s = cache.stats();
        assert_eq!((s.inserts, s.hits + s.misses), (1, 2));
    });
    // The model is not trivially sequential: loom explored several interleavings (189 when
    // this was written).
    assert!(RUNS.load(Ordering::Relaxed) > 10);
}

#[test]
fn loom_loaders_of_different_keys_do_not_wait_for_each_other() {
    loom::model(|| {
        let cache: Arc<ShardedTtlCache<u8, u8>> =
            Arc::new(ShardedTtlCache::builder(4).shards(1).build().unwrap());
        let other = {
            let cache = cache.clone();
            thread::spawn(move || cache.get_or_insert_with(&2, || 20).unwrap())
        };
        assert_eq!(cache.get_or_insert_with(&1, || 10).unwrap(), 10);
        assert_eq!(other.join().unwrap(), 20);
        assert_eq!(cache.len(), 2);
    });
}

/// A clock whose first reading is 100 ns and every later one 200 ns, whichever thread reads.
struct StepClock(loom::sync::atomic::AtomicUsize);

impl super::Clock for StepClock {
    fn now_nanos(&self) -> u64 {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            100
        } else {
            200
        }
    }
}

impl super::Clock for Arc<StepClock> {
    fn now_nanos(&self) -> u64 {
        (**self).now_nanos()
    }
}

#[test]
fn loom_stale_timed_hint_never_returns_an_expired_entry() {
    loom::model(|| {
        // No default TTL: the shard's hint starts false and only the TTL insert sets it.
        // The insert reads the clock first (the reader reads it only once the hint, or the
        // entry under the lock, says some entry can expire, i.e. after the insert read it):
        // deadline 100 + 50. Every later reading is 200, so any read that finds the entry
        // finds it expired, whether it saw the hint set or stale.
        let clock = Arc::new(StepClock(loom::sync::atomic::AtomicUsize::new(0)));
        let cache: Arc<ShardedTtlCache<u8, u8, crate::cache::DefaultHashBuilder, Arc<StepClock>>> =
            Arc::new(
                ShardedTtlCache::builder(4)
                    .shards(1)
                    .clock(Arc::clone(&clock))
                    .build()
                    .unwrap(),
            );
        let writer = {
            let cache = cache.clone();
            thread::spawn(move || {
                cache
                    .insert_with_ttl(1, 1, Duration::from_nanos(50))
                    .unwrap();
            })
        };
        assert_eq!(cache.get(&1), None, "an expired entry was returned");
        writer.join().unwrap();
        assert_eq!(cache.get(&1), None);
        assert!(!cache.contains_key(&1));
    });
}
