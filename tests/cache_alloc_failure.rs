//! The caches' `build()` under allocation failure: all of a cache's memory is reserved
//! there (`try_reserve`), so each allocation it makes fails in turn (a global allocator
//! that fails the `n`-th one, each attempt in a child process) and must come back as
//! `CacheConfigError::OutOfMemory`, never an abort or a panic; the next `build()` works,
//! and the cache keeps its bounds and counts.
//!
//! `harness = false`: the failing allocator is this binary's global allocator.

#[path = "support/failing_alloc.rs"]
mod failing_alloc;

use std::time::Duration;

use failing_alloc::{fail_nth, FailingAlloc};

use poolkit::cache::{CacheConfigError, ManualClock, ShardedTtlCache, TtlCache};

#[global_allocator]
static ALLOCATOR: FailingAlloc = FailingAlloc;

const CAPACITY: usize = 1000;

/// Whether a `build()` with its `n`-th allocation failing reached that allocation;
/// checks the answer either way.
fn outcome<C>(
    name: &str,
    n: usize,
    built: Result<C, CacheConfigError>,
    injected: bool,
) -> Option<C> {
    match built {
        Ok(cache) => Some(cache),
        Err(CacheConfigError::OutOfMemory { bytes }) => {
            assert!(
                injected,
                "{name}, allocation {n}: out of memory with none failing"
            );
            assert!(
                bytes > 0,
                "{name}, allocation {n}: a failed allocation of 0 bytes"
            );
            None
        }
        Err(other) => panic!("{name}, allocation {n}: {other}"),
    }
}

fn single_thread(n: usize) -> bool {
    {
        let clock = ManualClock::new();
        let builder = TtlCache::<u64, u64>::builder(CAPACITY)
            .time_to_live(Duration::from_secs(1))
            .max_weight(10 * CAPACITY as u64, |_, v| *v)
            .clock(clock.clone());
        let (built, injected) = fail_nth(n, move || builder.build());
        let built = outcome("TtlCache", n, built, injected);
        // Whether or not that one failed, the next one works and keeps its bounds.
        let mut cache = built.unwrap_or_else(|| {
            TtlCache::builder(CAPACITY)
                .time_to_live(Duration::from_secs(1))
                .max_weight(10 * CAPACITY as u64, |_, v| *v)
                .clock(clock.clone())
                .build()
                .expect("a build after the failure")
        });
        for i in 0..3 * CAPACITY as u64 {
            cache.insert(i, i % 20).unwrap();
            assert!(cache.len() <= CAPACITY && cache.weight() <= 10 * CAPACITY as u64);
        }
        clock.advance(Duration::from_secs(1));
        cache.purge_expired();
        let s = cache.stats();
        assert_eq!(cache.len(), 0);
        assert_eq!(s.inserts + s.updates, s.evictions(), "{s:?}");
        injected
    }
}

fn sharded(n: usize) -> bool {
    {
        let builder = ShardedTtlCache::<u64, u64>::builder(CAPACITY)
            .shards(4)
            .time_to_live(Duration::from_secs(60));
        let (built, injected) = fail_nth(n, move || builder.build());
        let cache = outcome("ShardedTtlCache", n, built, injected).unwrap_or_else(|| {
            ShardedTtlCache::builder(CAPACITY)
                .shards(4)
                .time_to_live(Duration::from_secs(60))
                .build()
                .expect("a build after the failure")
        });
        for i in 0..3 * CAPACITY as u64 {
            cache.insert(i, i).unwrap();
        }
        assert!(cache.len() <= CAPACITY);
        let s = cache.stats();
        assert_eq!(
            s.inserts + s.updates - s.evictions(),
            cache.len() as u64,
            "{s:?}"
        );
        injected
    }
}

fn main() {
    failing_alloc::run_every_allocation_failing(vec![
        ("TtlCache::build".to_owned(), Box::new(single_thread)),
        ("ShardedTtlCache::build".to_owned(), Box::new(sharded)),
    ]);
}
