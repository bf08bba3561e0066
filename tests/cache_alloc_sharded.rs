//! dhat: the concurrent cache's get hit and insert into a full cache make no allocation in
//! steady state, listener included (evicted entries wait in a stack buffer, not a `Vec`).
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml): dhat counts every
//! thread's allocations, and libtest's main thread allocates when it starts waiting for the
//! test thread, at a moment that can fall inside the measured window on a loaded machine.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use poolkit::cache::ShardedTtlCache;

fn sharded_hits_and_full_inserts_allocate_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let evicted = Arc::new(AtomicU64::new(0));
    let count = evicted.clone();
    let cache: ShardedTtlCache<u64, u64> = ShardedTtlCache::builder(4_096)
        .shards(8)
        .eviction_listener(move |_, _, _| {
            count.fetch_add(1, Ordering::Relaxed);
        })
        .build()
        .unwrap();
    for k in 0..10_000u64 {
        cache.insert(k, k).unwrap();
    }
    let before = dhat::HeapStats::get();
    for k in 10_000..110_000u64 {
        cache.insert(k, k).unwrap();
        assert_eq!(cache.get(&k), Some(k));
    }
    let after = dhat::HeapStats::get();
    assert_eq!(
        cache.stats().evicted_capacity,
        evicted.load(Ordering::Relaxed)
    );
    assert!(evicted.load(Ordering::Relaxed) >= 100_000);
    dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);
}

fn main() {
    sharded_hits_and_full_inserts_allocate_nothing();
    println!("cache_alloc_sharded: sharded_hits_and_full_inserts_allocate_nothing ... ok");
}
