//! Feature `serde`: the stats snapshots, causes and configuration errors
//! serialize with every counter under its field name plus the derived figures.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use poolkit::cache::{CacheConfigError, EvictionCause, RefusalReason, TtlCache};
use poolkit::{ManualClock, Pool, PoolConfigError};
use serde_json::{json, Value};

#[test]
fn pool_stats_serialize_every_counter_and_the_hit_ratio() {
    let pool: Arc<Pool<Vec<u8>>> = Arc::new(Pool::new(Vec::new));
    let first = pool.get_owned(); // miss
    thread::spawn(move || drop(first)).join().unwrap(); // returned on another thread
    drop(pool.get());
    drop(pool.get()); // local hit
    let kept = pool.get(); // local hit, still out
    pool.put(Vec::new());
    let stats = pool.stats();
    let value = serde_json::to_value(stats).unwrap();
    let counters = [
        ("gets", stats.gets),
        ("hits", stats.hits),
        ("local_hits", stats.local_hits),
        ("shared_hits", stats.shared_hits),
        ("misses", stats.misses),
        ("returns", stats.returns),
        ("puts", stats.puts),
        ("stored_local", stats.stored_local),
        ("stored_shared", stats.stored_shared),
        ("rejected", stats.rejected),
        ("refused_budget", stats.refused_budget),
        ("dropped_full", stats.dropped_full),
        ("hook_panics", stats.hook_panics),
        ("discarded_unwinding", stats.discarded_unwinding),
        ("detached", stats.detached),
        ("trimmed", stats.trimmed),
        ("retained", stats.retained),
        ("retained_bytes", stats.retained_bytes),
        ("outstanding", stats.outstanding),
        ("thread_caches", stats.thread_caches),
    ];
    for (name, counter) in counters {
        assert_eq!(value[name], counter, "{name} in {value}");
    }
    // Values that do not depend on how the pool hands objects between threads.
    assert_eq!((stats.gets, stats.returns, stats.puts), (4, 4, 1));
    assert_eq!((stats.outstanding, stats.thread_caches), (1, 2));
    assert_eq!(value["hit_ratio"], stats.hit_ratio().unwrap());
    assert!(stats.local_hits >= 2, "{stats:?}");
    // One key per public counter, plus the derived hit ratio.
    let keys = value.as_object().unwrap().len();
    assert_eq!(keys, counters.len() + 1, "{value}");
    drop(kept);
}

#[test]
fn an_unused_pool_has_a_zero_hit_ratio_not_nan() {
    let pool: Pool<String> = Pool::new(String::new);
    let value = serde_json::to_value(pool.stats()).unwrap();
    assert_eq!(value["hit_ratio"], 0.0);
    assert_eq!(value["gets"], 0);
}

#[test]
fn cache_stats_serialize_counters_evictions_by_cause_total_and_hit_ratio() {
    let clock = ManualClock::new();
    let mut cache = TtlCache::builder(2)
        .time_to_live(Duration::from_secs(10))
        .clock(clock.clone())
        .build()
        .unwrap();
    cache.insert(1, "a").unwrap();
    cache.insert(1, "b").unwrap(); // replaced
    cache.insert(2, "c").unwrap();
    assert_eq!(cache.get(&1), Some(&"b"));
    assert_eq!(cache.get(&9), None);
    cache.insert(3, "d").unwrap(); // capacity eviction
    cache.remove(&3); // removed
    clock.advance(Duration::from_secs(11));
    assert_eq!(cache.purge_expired(), 1); // the survivor of keys 1 and 2 expired
    let stats = cache.stats();
    let value = serde_json::to_value(stats).unwrap();
    assert_eq!(value["hits"], stats.hits);
    assert_eq!(value["misses"], stats.misses);
    assert_eq!(value["inserts"], 3);
    assert_eq!(value["updates"], 1);
    assert_eq!(value["evicted_replaced"], 1);
    assert_eq!(value["evicted_capacity"], 1);
    assert_eq!(value["evicted_removed"], 1);
    assert_eq!(value["evicted_expired"], 1);
    assert_eq!(value["evictions"], stats.evictions());
    assert_eq!(value["hit_ratio"], stats.hit_ratio());
    assert!(stats.hit_ratio() > 0.0 && stats.hit_ratio() < 1.0);
    assert_eq!(value.as_object().unwrap().len(), 10, "{value}");
}

#[test]
fn causes_and_reasons_serialize_in_snake_case() {
    assert_eq!(
        serde_json::to_value(EvictionCause::Capacity).unwrap(),
        "capacity"
    );
    assert_eq!(
        serde_json::to_value(RefusalReason::TooHeavy {
            weight: 5,
            budget: 4
        })
        .unwrap(),
        json!({"too_heavy": {"weight": 5, "budget": 4}})
    );
    assert_eq!(
        serde_json::to_value(RefusalReason::ZeroTtl).unwrap(),
        "zero_ttl"
    );
}

#[test]
fn configuration_errors_serialize_with_their_fields() {
    let cache_error = TtlCache::<u32, u32>::builder(0).build().unwrap_err();
    assert_eq!(cache_error, CacheConfigError::ZeroCapacity);
    assert_eq!(serde_json::to_value(cache_error).unwrap(), "zero_capacity");

    let pool_error = Pool::builder(Vec::<u8>::new)
        .local_capacity(0)
        .shared_capacity(0)
        .build()
        .unwrap_err();
    assert_eq!(pool_error, PoolConfigError::NoCapacity);
    assert_eq!(serde_json::to_value(&pool_error).unwrap(), "no_capacity");

    let too_large = Pool::builder(Vec::<u8>::new)
        .local_capacity(usize::MAX)
        .build()
        .unwrap_err();
    let value: Value = serde_json::to_value(&too_large).unwrap();
    assert_eq!(
        value["capacity_too_large"]["field"], "local_capacity",
        "{value}"
    );
    assert_eq!(
        value["capacity_too_large"]["requested"],
        json!(usize::MAX as u64)
    );
}

#[test]
fn buffer_pool_stats_serialize_totals_classes_and_the_hit_ratio() {
    let pool = poolkit::buf::BufPool::builder()
        .min_class(1024)
        .max_class(2048)
        .build()
        .unwrap();
    drop(pool.get(1000)); // miss
    drop(pool.get(1000)); // hit
    drop(pool.get(1000)); // hit
    drop(pool.get(1000)); // hit
    drop(pool.get(2000)); // miss
    let stats = pool.stats();
    let value = serde_json::to_value(&stats).unwrap();
    assert_eq!(value["gets"], 5);
    assert_eq!(value["hits"], 3);
    assert_eq!(value["misses"], 2);
    assert_eq!(value["oversize"], 0);
    assert_eq!(value["retained"], 2);
    assert_eq!(value["retained_bytes"], stats.retained_bytes);
    assert_eq!(value["max_retained_bytes"], stats.max_retained_bytes);
    assert_eq!(value["hit_ratio"], 0.6);
    let classes = value["classes"].as_array().unwrap();
    assert_eq!(classes.len(), 2);
    assert_eq!(classes[0]["size"], 1024);
    assert_eq!(classes[0]["gets"], 4);
    assert_eq!(classes[0]["hits"], 3);
    assert_eq!(classes[1]["size"], 2048);
    assert_eq!(classes[1]["misses"], 1);
    // Every total counter, the classes and the derived hit ratio.
    assert_eq!(value.as_object().unwrap().len(), 16, "{value}");
}

#[test]
fn buffer_pool_configuration_errors_serialize_with_their_fields() {
    let error = poolkit::buf::BufPool::builder()
        .min_class(100)
        .build()
        .unwrap_err();
    let value = serde_json::to_value(&error).unwrap();
    assert_eq!(value["not_power_of_two"]["field"], "min_class", "{value}");
    assert_eq!(value["not_power_of_two"]["value"], 100);
}

/// Both pools name the same events the same way, in Rust and serialized:
/// a dashboard reads one set of names for either pool.
#[test]
fn both_pools_share_one_vocabulary() {
    let pool = poolkit::Pool::new(Vec::<u8>::new);
    drop(pool.get());
    let bufs = poolkit::buf::BufPool::new();
    drop(bufs.get(100));
    let pool_value = serde_json::to_value(pool.stats()).unwrap();
    let buf_value = serde_json::to_value(bufs.stats()).unwrap();
    for name in [
        "gets",
        "hits",
        "misses",
        "rejected",
        "refused_budget",
        "dropped_full",
        "discarded_unwinding",
        "detached",
        "trimmed",
        "retained",
        "retained_bytes",
    ] {
        assert!(
            pool_value.get(name).is_some(),
            "pool stats lack {name}: {pool_value}"
        );
        assert!(
            buf_value.get(name).is_some(),
            "buffer stats lack {name}: {buf_value}"
        );
    }
    assert_eq!(pool_value["retained"], 1);
    assert_eq!(buf_value["retained"], 1);
}
