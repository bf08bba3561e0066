//! Cache benchmarks: get, and insert on a miss, per operation.
//!
//! * `zipf_1_thread`: Zipf(1.0) over 100,000 keys, capacity 10,000; poolkit also with a
//!   60 s TTL on the default clock (`SystemClock`, coarse), the configuration TTL users
//!   run, on `SystemClock::precise()` (a nanosecond clock read per operation), and on a
//!   `ManualClock` (the TTL bookkeeping with a clock that costs one atomic load).
//! * `zipf_2_threads`: the same on two threads sharing one concurrent cache (time per op per
//!   thread).
//! * `loop`: 11,000 keys in a loop through a 10,000-entry cache.
//! * `expiry`: Zipf keys inserted with a 200 µs TTL while a manual clock moves 100 ns per op.
//!
//! Each group has a `HashMap` baseline (an unbounded map: the leaking cache). Hit ratios are
//! computed on the same traces and printed before the timings.
//!
//! Run: `cargo bench -p poolkit-bench --bench cache`.

#[path = "../support/traces.rs"]
mod traces;

use std::collections::HashMap;
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use poolkit::cache::{Clock, ManualClock, ShardedTtlCache, SystemClock, TtlCache};

const KEYS: usize = 100_000;
const CAPACITY: usize = 10_000;
const TRACE_LEN: usize = 1 << 20;

fn zipf_trace() -> Vec<u64> {
    traces::zipf(KEYS, 1.0, TRACE_LEN, 7)
}

/// Hit ratio after one trace length of warm-up.
fn report(name: &str, trace: &[u64], mut get_or_insert: impl FnMut(u64) -> bool) {
    for &k in trace {
        get_or_insert(k);
    }
    let ratio = traces::hit_ratio(trace, 0, get_or_insert);
    println!("hit ratio {name}: {:.2} %", ratio * 100.0);
}

/// Times single-thread `op` over `trace`, one key per iteration.
fn bench_ops(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    trace: &[u64],
    mut op: impl FnMut(u64),
) {
    // Warm the structure up with one pass.
    for &k in trace {
        op(k);
    }
    let mut i = 0;
    c.bench_function(name, |b| {
        b.iter(|| {
            let k = trace[i];
            i += 1;
            if i == trace.len() {
                i = 0;
            }
            op(black_box(k));
        })
    });
}

/// The TTL of the "60 s TTL" rows: long enough that nothing expires during a run, so the
/// rows differ from the TTL-less ones only by the clock reads and deadline bookkeeping.
const TTL_60S: Duration = Duration::from_secs(60);

fn single_thread_group(c: &mut Criterion, group: &str, trace: &[u64], ttl_rows: bool) {
    let mut g = c.benchmark_group(group);
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));

    let mut map = HashMap::new();
    report(&format!("{group}/HashMap (unbounded)"), trace, |k| {
        let present = map.contains_key(&k);
        map.entry(k).or_insert(k);
        present
    });
    let mut map: HashMap<u64, u64> = HashMap::new();
    bench_ops(&mut g, "HashMap (unbounded)", trace, |k| {
        map.entry(k).or_insert(k);
    });

    let mut lru = lru::LruCache::new(NonZeroUsize::new(CAPACITY).unwrap());
    report(&format!("{group}/lru"), trace, |k| {
        if lru.get(&k).is_some() {
            true
        } else {
            lru.put(k, k);
            false
        }
    });
    let mut lru = lru::LruCache::new(NonZeroUsize::new(CAPACITY).unwrap());
    bench_ops(&mut g, "lru", trace, |k| {
        if lru.get(&k).is_none() {
            lru.put(k, k);
        }
    });

    let mut quick = quick_cache::unsync::Cache::new(CAPACITY);
    report(&format!("{group}/quick_cache unsync"), trace, |k| {
        if quick.get(&k).is_some() {
            true
        } else {
            quick.insert(k, k);
            false
        }
    });
    let mut quick = quick_cache::unsync::Cache::new(CAPACITY);
    bench_ops(&mut g, "quick_cache unsync", trace, |k| {
        if quick.get(&k).is_none() {
            quick.insert(k, k);
        }
    });

    let mut ours = TtlCache::new(CAPACITY);
    report(&format!("{group}/TtlCache"), trace, |k| {
        if ours.get(&k).is_some() {
            true
        } else {
            ours.insert(k, k).unwrap();
            false
        }
    });
    let mut ours = TtlCache::new(CAPACITY);
    bench_ops(&mut g, "TtlCache", trace, |k| {
        if ours.get(&k).is_none() {
            ours.insert(k, k).unwrap();
        }
    });

    if ttl_rows {
        ttl_row_1_thread(&mut g, "SystemClock", trace, SystemClock::default());
        // The same bookkeeping with a clock that costs one atomic load: what is left of
        // the TTL rows' cost beside the TTL-less row is the clock read.
        ttl_row_1_thread(&mut g, "ManualClock", trace, ManualClock::new());
        ttl_row_1_thread(
            &mut g,
            "SystemClock::precise",
            trace,
            SystemClock::precise(),
        );
    }
    g.finish();
}

/// `TtlCache` with a 60 s TTL on `clock`, get and insert on a miss, on one thread.
fn ttl_row_1_thread<C: Clock>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    clock_name: &str,
    trace: &[u64],
    clock: C,
) {
    let mut ours = TtlCache::builder(CAPACITY)
        .time_to_live(TTL_60S)
        .clock(clock)
        .build()
        .unwrap();
    bench_ops(g, &format!("TtlCache 60 s TTL, {clock_name}"), trace, |k| {
        if ours.get(&k).is_none() {
            ours.insert(k, k).unwrap();
        }
    });
}

/// `ShardedTtlCache` with a 60 s TTL on `clock`, get and insert on a miss, on two threads.
fn ttl_row_2_threads<C: Clock + Send + Sync>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    clock_name: &str,
    trace: &[u64],
    clock: C,
) {
    let ours = ShardedTtlCache::builder(CAPACITY)
        .time_to_live(TTL_60S)
        .clock(clock)
        .build()
        .unwrap();
    bench_2_threads(
        g,
        &format!("ShardedTtlCache 60 s TTL, {clock_name}"),
        trace,
        &ours,
        |c, k| {
            if c.get(&k).is_none() {
                c.insert(k, k).unwrap();
            }
        },
    );
}

fn zipf_1_thread(c: &mut Criterion) {
    single_thread_group(c, "zipf_1_thread", &zipf_trace(), true);
}

fn loop_trace(c: &mut Criterion) {
    single_thread_group(c, "loop", &traces::looping(11_000, 11_000 * 96), false);
}

/// Times `op` on 2 threads over disjoint halves of `trace`; reports wall time per op per
/// thread.
fn bench_2_threads<T: Sync>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    trace: &[u64],
    cache: &T,
    op: impl Fn(&T, u64) + Sync,
) {
    for &k in trace {
        op(cache, k);
    }
    let mask = trace.len() - 1;
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            std::thread::scope(|s| {
                let start = Instant::now();
                for t in 0..2usize {
                    let op = &op;
                    s.spawn(move || {
                        let offset = t * (trace.len() / 2);
                        for i in 0..iters as usize {
                            op(cache, black_box(trace[(offset + i) & mask]));
                        }
                    });
                }
                // Scope joins both threads before returning.
                start
            })
            .elapsed()
        })
    });
}

fn zipf_2_threads(c: &mut Criterion) {
    let trace = zipf_trace();
    let mut g = c.benchmark_group("zipf_2_threads");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    let map: Mutex<HashMap<u64, u64>> = Mutex::new(HashMap::new());
    bench_2_threads(
        &mut g,
        "Mutex<HashMap> (unbounded)",
        &trace,
        &map,
        |m, k| {
            let mut m = m.lock().unwrap();
            if m.get(&k).is_none() {
                m.insert(k, k);
            }
        },
    );

    let lru = Mutex::new(lru::LruCache::new(NonZeroUsize::new(CAPACITY).unwrap()));
    bench_2_threads(&mut g, "Mutex<lru>", &trace, &lru, |m, k| {
        let mut m = m.lock().unwrap();
        if m.get(&k).is_none() {
            m.put(k, k);
        }
    });

    let quick = quick_cache::sync::Cache::new(CAPACITY);
    report("zipf_2_threads/quick_cache sync (1 thread)", &trace, |k| {
        if quick.get(&k).is_some() {
            true
        } else {
            quick.insert(k, k);
            false
        }
    });
    let quick = quick_cache::sync::Cache::new(CAPACITY);
    bench_2_threads(&mut g, "quick_cache sync", &trace, &quick, |q, k| {
        if q.get(&k).is_none() {
            q.insert(k, k);
        }
    });

    let ours = ShardedTtlCache::new(CAPACITY);
    report("zipf_2_threads/ShardedTtlCache (1 thread)", &trace, |k| {
        if ours.get(&k).is_some() {
            true
        } else {
            ours.insert(k, k).unwrap();
            false
        }
    });
    let ours = ShardedTtlCache::new(CAPACITY);
    bench_2_threads(&mut g, "ShardedTtlCache", &trace, &ours, |c, k| {
        if c.get(&k).is_none() {
            c.insert(k, k).unwrap();
        }
    });

    ttl_row_2_threads(&mut g, "SystemClock", &trace, SystemClock::default());
    ttl_row_2_threads(&mut g, "ManualClock", &trace, ManualClock::new());
    ttl_row_2_threads(
        &mut g,
        "SystemClock::precise",
        &trace,
        SystemClock::precise(),
    );
    g.finish();
}

fn expiry(c: &mut Criterion) {
    let trace = zipf_trace();
    let mut g = c.benchmark_group("expiry");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    const STEP: Duration = Duration::from_nanos(100);
    const TTL: Duration = Duration::from_micros(200);

    // Baseline: a map that checks deadlines on read but never reclaims (the leak).
    let clock = ManualClock::new();
    let mut map: HashMap<u64, (u64, u64)> = HashMap::new();
    let ttl = TTL.as_nanos() as u64;
    bench_ops(&mut g, "HashMap with deadlines (unbounded)", &trace, |k| {
        clock.advance(STEP);
        let now = poolkit::cache::Clock::now_nanos(&clock);
        match map.get(&k) {
            Some(&(_, deadline)) if deadline > now => {}
            _ => {
                map.insert(k, (k, now + ttl));
            }
        }
    });
    println!(
        "expiry/HashMap resident entries after the run: {}",
        map.len()
    );

    let clock = ManualClock::new();
    let mut ours = TtlCache::builder(CAPACITY)
        .time_to_live(TTL)
        .clock(clock.clone())
        .build()
        .unwrap();
    bench_ops(&mut g, "TtlCache", &trace, |k| {
        clock.advance(STEP);
        if ours.get(&k).is_none() {
            ours.insert(k, k).unwrap();
        }
    });
    let s = ours.stats();
    println!(
        "expiry/TtlCache: hit ratio {:.2} %, resident {}, expired reclaimed {}, capacity evictions {}",
        s.hit_ratio() * 100.0,
        ours.len(),
        s.evicted_expired,
        s.evicted_capacity
    );
    g.finish();
}

criterion_group!(benches, zipf_1_thread, zipf_2_threads, loop_trace, expiry);
criterion_main!(benches);
