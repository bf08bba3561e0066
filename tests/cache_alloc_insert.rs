//! dhat: inserting into a full `TtlCache` (evicting for capacity, and reclaiming expired
//! entries through the timer wheel) makes no allocation in steady state.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml): dhat counts every
//! thread's allocations, and libtest's main thread allocates when it starts waiting for the
//! test thread, at a moment that can fall inside the measured window on a loaded machine.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use std::time::Duration;

use poolkit::cache::{ManualClock, TtlCache};

fn inserts_into_a_full_cache_allocate_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let clock = ManualClock::new();
    let mut cache: TtlCache<u64, u64, _, _> = TtlCache::builder(10_000)
        .clock(clock.clone())
        .build()
        .unwrap();
    // Warm-up: fill the cache and run every path once.
    for k in 0..20_000u64 {
        cache.insert(k, k).unwrap();
    }
    let before = dhat::HeapStats::get();
    for k in 20_000..220_000u64 {
        // A mix: capacity evictions, TTL entries that expire and are swept, replacements.
        if k % 3 == 0 {
            cache
                .insert_with_ttl(k, k, Duration::from_micros(k % 500 + 1))
                .unwrap();
        } else {
            cache.insert(k, k).unwrap();
        }
        // Read most new keys once, so that they leave the small queue for main and stay
        // long enough to be replaced or to expire; the others meet the admission filter
        // and are evicted by the next insert.
        if k % 8 != 0 {
            assert_eq!(cache.get(&k), Some(&k));
        }
        if (k - 1) % 3 != 0 {
            cache.insert(k - 1, k).unwrap();
        }
        clock.advance(Duration::from_micros(7));
    }
    let after = dhat::HeapStats::get();
    let stats = cache.stats();
    assert!(stats.evicted_capacity > 50_000, "{stats:?}");
    assert!(stats.evicted_expired > 50_000, "{stats:?}");
    assert!(stats.evicted_replaced > 100_000, "{stats:?}");
    dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);
}

fn main() {
    inserts_into_a_full_cache_allocate_nothing();
    println!("cache_alloc_insert: inserts_into_a_full_cache_allocate_nothing ... ok");
}
