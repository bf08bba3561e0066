//! Behaviour of the single-thread `TtlCache` through its public API. Time is a
//! `ManualClock`: no test sleeps.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use poolkit::cache::{
    CacheConfigError, DefaultHashBuilder, EvictionCause, ManualClock, RefusalReason, TtlCache,
};

type Log = Arc<Mutex<Vec<(u64, u64, EvictionCause)>>>;

fn cache_with_log(
    capacity: usize,
    ttl: Option<Duration>,
) -> (
    TtlCache<u64, u64, DefaultHashBuilder, ManualClock>,
    ManualClock,
    Log,
) {
    let clock = ManualClock::new();
    let log = Log::default();
    let sink = log.clone();
    let mut b = TtlCache::builder(capacity)
        .clock(clock.clone())
        .eviction_listener(move |k, v, c| sink.lock().unwrap().push((k, v, c)));
    if let Some(ttl) = ttl {
        b = b.time_to_live(ttl);
    }
    (b.build().unwrap(), clock, log)
}

fn causes(log: &Log, cause: EvictionCause) -> usize {
    log.lock().unwrap().iter().filter(|e| e.2 == cause).count()
}

#[test]
fn the_single_thread_cache_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<TtlCache<String, Vec<u8>>>();
    assert_send::<TtlCache<u64, u64, DefaultHashBuilder, ManualClock>>();
    let (mut cache, _, log) = cache_with_log(4, None);
    cache.insert(1, 1).unwrap();
    let mut cache = std::thread::spawn(move || {
        cache.insert(2, 2).unwrap();
        cache
    })
    .join()
    .unwrap();
    assert_eq!((cache.remove(&1), cache.remove(&2)), (Some(1), Some(2)));
    assert_eq!(
        log.lock().unwrap().len(),
        0,
        "removed values are handed back instead"
    );
}

#[test]
fn an_entry_expires_exactly_at_its_deadline() {
    let (mut cache, clock, log) = cache_with_log(10, Some(Duration::from_millis(10)));
    cache.insert(1, 1).unwrap();
    clock.advance(Duration::from_nanos(9_999_999));
    assert_eq!(cache.get(&1), Some(&1), "live one nanosecond before");
    clock.advance(Duration::from_nanos(1));
    assert!(!cache.contains_key(&1));
    assert_eq!(cache.get(&1), None, "expired at the deadline");
    assert_eq!(*log.lock().unwrap(), [(1, 1, EvictionCause::Expired)]);
    assert_eq!(cache.len(), 0);
}

#[test]
fn per_entry_ttl_overrides_the_default_and_max_means_never() {
    let (mut cache, clock, _) = cache_with_log(10, Some(Duration::from_secs(1)));
    cache.insert(1, 1).unwrap();
    cache.insert_with_ttl(2, 2, Duration::from_secs(5)).unwrap();
    cache.insert_with_ttl(3, 3, Duration::MAX).unwrap();
    clock.advance(Duration::from_secs(1));
    assert_eq!(cache.get(&1), None);
    assert_eq!(cache.get(&2), Some(&2));
    clock.advance(Duration::from_secs(4));
    assert_eq!(cache.get(&2), None);
    clock.advance(Duration::from_secs(10 * 365 * 24 * 3600));
    assert_eq!(cache.purge_expired(), 0);
    assert_eq!(cache.get(&3), Some(&3));
}

#[test]
fn time_to_idle_is_renewed_by_reads_but_not_by_contains_key() {
    let clock = ManualClock::new();
    let mut cache = TtlCache::builder(4)
        .time_to_idle(Duration::from_secs(10))
        .time_to_live(Duration::from_secs(25))
        .clock(clock.clone())
        .build()
        .unwrap();
    cache.insert(1u8, 1u8).unwrap();
    for _ in 0..2 {
        clock.advance(Duration::from_secs(9));
        assert!(cache.contains_key(&1));
        assert_eq!(cache.get(&1), Some(&1));
    }
    clock.advance(Duration::from_secs(7));
    assert_eq!(
        cache.get(&1),
        None,
        "the TTL (25 s) still caps an entry read every 9 s"
    );
    cache.insert(2, 2).unwrap();
    clock.advance(Duration::from_secs(9));
    assert!(cache.contains_key(&2));
    clock.advance(Duration::from_secs(1));
    assert!(
        !cache.contains_key(&2),
        "contains_key did not renew the idle time"
    );
}

#[test]
fn writes_reclaim_expired_entries_without_reads_a_bounded_number_at_a_time() {
    let (mut cache, clock, log) = cache_with_log(1_000, None);
    for k in 0..100 {
        cache
            .insert_with_ttl(k, k, Duration::from_millis(1))
            .unwrap();
    }
    // Past the deadline and the wheel's 1.05 ms resolution.
    clock.advance(Duration::from_millis(3));
    assert_eq!(cache.len(), 100, "nothing runs without an operation");
    cache.insert(1_000, 0).unwrap();
    assert_eq!(
        causes(&log, EvictionCause::Expired),
        8,
        "one write examines at most 8"
    );
    for k in 1_001..1_012 {
        cache.insert(k, 0).unwrap();
    }
    assert_eq!(causes(&log, EvictionCause::Expired), 96);
    cache.insert(2_000, 0).unwrap();
    assert_eq!(
        causes(&log, EvictionCause::Expired),
        100,
        "13 writes reclaim 100"
    );
    assert_eq!(cache.len(), 13);
}

#[test]
fn purge_expired_removes_exactly_the_expired_entries() {
    let (mut cache, clock, log) = cache_with_log(1_000, None);
    for k in 0..300u64 {
        cache
            .insert_with_ttl(k, k, Duration::from_micros(k * 37 + 1))
            .unwrap();
    }
    clock.advance(Duration::from_micros(37 * 150));
    let removed = cache.purge_expired();
    assert_eq!(removed, 150);
    assert_eq!(causes(&log, EvictionCause::Expired), 150);
    assert!(log.lock().unwrap().iter().all(|&(k, _, _)| k < 150));
    assert_eq!(cache.iter().count(), 150);
}

#[test]
fn zero_capacity_ttl_tti_and_weight_budget_are_config_errors() {
    let err = |b: poolkit::cache::CacheBuilder<u8, u8>| b.build().unwrap_err();
    assert_eq!(err(TtlCache::builder(0)), CacheConfigError::ZeroCapacity);
    assert_eq!(
        err(TtlCache::builder(1).time_to_live(Duration::ZERO)),
        CacheConfigError::ZeroTimeToLive
    );
    assert_eq!(
        err(TtlCache::builder(1).time_to_idle(Duration::ZERO)),
        CacheConfigError::ZeroTimeToIdle
    );
    assert_eq!(
        err(TtlCache::builder(1).max_weight(0, |_, _| 1)),
        CacheConfigError::ZeroMaxWeight
    );
    assert_eq!(
        err(TtlCache::builder(u32::MAX as usize)),
        CacheConfigError::CapacityTooLarge
    );
    assert!(catch_unwind(|| TtlCache::<u8, u8>::new(0)).is_err());
}

#[test]
fn zero_ttl_insert_is_refused_and_drops_the_stale_entry() {
    let (mut cache, _, log) = cache_with_log(4, None);
    cache.insert(1, 10).unwrap();
    let refused = cache.insert_with_ttl(1, 11, Duration::ZERO).unwrap_err();
    assert_eq!(
        (refused.key, refused.value, refused.reason),
        (1, 11, RefusalReason::ZeroTtl)
    );
    assert_eq!(cache.get(&1), None);
    assert_eq!(*log.lock().unwrap(), [(1, 10, EvictionCause::Replaced)]);
}

#[test]
fn an_entry_heavier_than_the_budget_is_refused_without_evicting_others() {
    let log = Log::default();
    let sink = log.clone();
    let mut cache = TtlCache::builder(100)
        .max_weight(10, |_, v: &u64| *v)
        .eviction_listener(move |k, v, c| sink.lock().unwrap().push((k, v, c)))
        .build()
        .unwrap();
    cache.insert(1, 4).unwrap();
    cache.insert(2, 4).unwrap();
    assert!(
        cache.insert(9, u64::MAX).is_err(),
        "no overflow on huge weights"
    );
    let refused = cache.insert(3, 11).unwrap_err();
    assert_eq!(
        refused.reason,
        RefusalReason::TooHeavy {
            weight: 11,
            budget: 10
        }
    );
    assert_eq!((cache.len(), cache.weight()), (2, 8));
    assert!(
        log.lock().unwrap().is_empty(),
        "nothing evicted for a refused entry"
    );
    // Exactly the budget fits, by evicting both others.
    cache.insert(3, 10).unwrap();
    assert_eq!((cache.len(), cache.weight()), (1, 10));
    assert_eq!(causes(&log, EvictionCause::Capacity), 2);
    // Replacing with a too-heavy value removes the stale one.
    assert!(cache.insert(3, 50).is_err());
    assert_eq!((cache.len(), cache.weight()), (0, 0));
}

#[test]
fn weight_never_exceeds_the_budget() {
    let mut cache = TtlCache::builder(1_000)
        .max_weight(500, |k: &u64, _: &()| k % 50 + 1)
        .build()
        .unwrap();
    for i in 0..20_000u64 {
        let k = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % 10_007;
        cache.insert(k, ()).unwrap();
        assert!(cache.weight() <= 500);
    }
    assert!(cache.weight() > 400, "the budget is used, not wasted");
}

#[test]
fn len_never_exceeds_capacity_and_stats_add_up() {
    let (mut cache, clock, log) = cache_with_log(64, Some(Duration::from_millis(5)));
    let mut returned = 0u64;
    for i in 0..10_000u64 {
        let k = i * 7 % 300;
        if cache.get(&k).is_none() {
            if k % 2 == 0 {
                cache.insert(k, i).unwrap();
            } else {
                cache
                    .insert_with_ttl(k, i, Duration::from_micros(500))
                    .unwrap();
            }
        }
        if i % 17 == 0 && cache.remove(&(k / 2)).is_some() {
            returned += 1;
        }
        clock.advance(Duration::from_micros(50));
        assert!(cache.len() <= 64);
    }
    let s = cache.stats();
    assert_eq!(s.hits + s.misses, 10_000);
    assert_eq!(s.inserts + s.updates - s.evictions(), cache.len() as u64);
    assert_eq!(s.evictions(), log.lock().unwrap().len() as u64 + returned);
    assert_eq!(
        s.evicted_removed, returned,
        "removed values go to the caller"
    );
    for cause in [EvictionCause::Expired, EvictionCause::Capacity] {
        assert!(causes(&log, cause) > 0, "{cause:?} exercised");
    }
}

#[test]
fn get_or_insert_with_runs_the_loader_only_on_a_miss() {
    let (mut cache, clock, _) = cache_with_log(4, Some(Duration::from_secs(1)));
    let mut calls = 0;
    for _ in 0..3 {
        assert_eq!(
            *cache
                .get_or_insert_with(&1, || {
                    calls += 1;
                    7
                })
                .unwrap(),
            7
        );
    }
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        *cache
            .get_or_insert_with(&1, || {
                calls += 1;
                8
            })
            .unwrap(),
        8
    );
    assert_eq!(calls, 2);
}

#[test]
fn get_mut_changes_the_value_in_place() {
    let (mut cache, _, _) = cache_with_log(4, None);
    cache.insert(1, 1).unwrap();
    *cache.get_mut(&1).unwrap() += 41;
    assert_eq!(cache.get(&1), Some(&42));
}

#[test]
fn clear_hands_every_entry_to_the_listener_and_keeps_working() {
    let (mut cache, _, log) = cache_with_log(8, None);
    for k in 0..8 {
        cache.insert(k, k).unwrap();
    }
    cache.clear();
    assert_eq!(causes(&log, EvictionCause::Removed), 8);
    assert!(cache.is_empty());
    cache.insert(1, 1).unwrap();
    assert_eq!(cache.get(&1), Some(&1));
}

#[test]
fn a_panicking_listener_loses_only_its_entry() {
    let clock = ManualClock::new();
    let mut cache = TtlCache::builder(2)
        .clock(clock)
        .eviction_listener(|k: u64, _v: u64, _c| {
            if k == 1 {
                panic!("listener failure")
            }
        })
        .build()
        .unwrap();
    cache.insert(1, 1).unwrap();
    cache.insert(2, 2).unwrap();
    // Read 2 so that it is kept: otherwise the admission filter would evict the newer of
    // two equally popular keys, 2, rather than 1.
    assert_eq!(cache.get(&2), Some(&2));
    let r = catch_unwind(AssertUnwindSafe(|| cache.insert(3, 3)));
    assert!(r.is_err(), "the listener panicked while evicting key 1");
    assert_eq!(cache.len(), 1, "key 1 is gone, key 3 was never stored");
    assert_eq!(cache.get(&2), Some(&2));
    cache.insert(3, 3).unwrap();
    assert_eq!(cache.get(&3), Some(&3));
    assert_eq!(cache.len(), 2);
}

#[test]
fn evicted_values_can_be_recycled_from_the_listener() {
    // A free list standing in for a pool: evicted buffers come back for reuse.
    let free: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let sink = free.clone();
    let mut cache = TtlCache::builder(2)
        .eviction_listener(move |_k: u32, mut v: Vec<u8>, _c| {
            v.clear();
            sink.lock().unwrap().push(v);
        })
        .build()
        .unwrap();
    for k in 0..10u32 {
        let mut buf = free
            .lock()
            .unwrap()
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(64));
        buf.extend_from_slice(&k.to_le_bytes());
        cache.insert(k, buf).unwrap();
    }
    assert_eq!(
        free.lock().unwrap().len(),
        1,
        "8 evicted, 7 reused, 1 waiting"
    );
}

#[test]
fn pooled_values_return_to_their_pool_when_evicted_or_expired() {
    use std::sync::Arc;
    let pool = Arc::new(poolkit::Pool::new(|| Vec::<u8>::with_capacity(256)));
    let clock = ManualClock::new();
    let mut cache = TtlCache::builder(4)
        .time_to_live(Duration::from_secs(1))
        .clock(clock.clone())
        .build()
        .unwrap();
    for k in 0..100u32 {
        let mut buf = pool.get_owned();
        buf.push(k as u8);
        cache.insert(k, buf).unwrap();
        if k % 10 == 0 {
            clock.advance(Duration::from_secs(1));
        }
    }
    // 5 buffers were ever made: 4 in the full cache and the one being filled before the
    // insert evicts; every later miss reused an evicted or expired one.
    assert_eq!(pool.stats().misses, 5);
    assert_eq!(cache.len(), 4);
}
