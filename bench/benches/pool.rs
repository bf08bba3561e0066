//! Pool versus no pool, and versus the strongest peers.
//!
//! Run: `cargo bench -p poolkit-bench --bench pool` (all groups, about 6 minutes on 2 cores),
//! or a group: `cargo bench -p poolkit-bench --bench pool -- get_return_1t/4KiB`.
//!
//! Every operation is "take a buffer with `n` bytes of capacity, check the
//! capacity, hand it to `black_box`, give it back", so each row differs only
//! in where the buffer comes from and how it goes back.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

#[path = "../support/bare.rs"]
mod bare;
#[path = "../support/hand_off.rs"]
mod hand_off;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use crossbeam_utils::CachePadded;
use lockfree_object_pool::LinearObjectPool;
use poolkit::{Pool, Reset};

const SIZES: [(usize, &str); 4] = [
    (64, "64B"),
    (4096, "4KiB"),
    (64 * 1024, "64KiB"),
    (1024 * 1024, "1MiB"),
];

/// The same (deliberately tiny) use of the buffer in every row.
#[inline(always)]
fn touch(buf: &mut Vec<u8>, n: usize) {
    if buf.capacity() < n {
        // Only sharded-slab's objects start empty (it builds them with
        // `Default`); they grow here once and keep the capacity.
        buf.reserve_exact(n);
    }
    black_box(buf);
}

#[inline(always)]
fn bare_round_trip(n: usize) {
    bare::by_value_round_trip(n, |buf| touch(buf, n));
}

#[inline(always)]
fn bare_boxed_round_trip(n: usize) {
    bare::boxed_round_trip(n, |buf| touch(buf, n));
}

#[inline(always)]
fn poolkit_round_trip(pool: &Pool<Vec<u8>>, n: usize) {
    let mut buf = pool.get();
    touch(&mut buf, n);
}

#[inline(always)]
fn no_pool_round_trip(n: usize) {
    let mut buf = Vec::with_capacity(n);
    touch(&mut buf, n);
}

#[inline(always)]
fn lockfree_round_trip(pool: &LinearObjectPool<Vec<u8>>, n: usize) {
    let mut buf = pool.pull();
    touch(&mut buf, n);
}

#[inline(always)]
fn slab_round_trip(slab: &sharded_slab::Pool<Vec<u8>>, n: usize) {
    let mut buf = slab.create().unwrap();
    touch(&mut buf, n);
    let key = buf.key();
    drop(buf);
    slab.clear(key);
}

fn poolkit_pool(n: usize) -> Pool<Vec<u8>> {
    Pool::new(move || Vec::with_capacity(n))
}

fn lockfree_pool(n: usize) -> LinearObjectPool<Vec<u8>> {
    LinearObjectPool::new(move || Vec::with_capacity(n), |v| v.clear())
}

/// Runs `op` `iters` times on each of `threads` threads started together;
/// returns the slowest thread's time, i.e. the time per op *per thread* once
/// divided by `iters`.
fn on_threads(threads: usize, iters: u64, op: impl Fn() + Sync) -> Duration {
    let barrier = Barrier::new(threads);
    thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    op(); // warm this thread's cache
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        op();
                    }
                    start.elapsed()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .max()
            .unwrap()
    })
}

fn get_return_1t(c: &mut Criterion) {
    for (n, label) in SIZES {
        let mut g = c.benchmark_group(format!("get_return_1t/{label}"));
        g.measurement_time(Duration::from_secs(2))
            .warm_up_time(Duration::from_millis(500));

        let pool = poolkit_pool(n);
        g.bench_function("poolkit", |b| b.iter(|| poolkit_round_trip(&pool, n)));
        bare::reset();
        g.bench_function("bare_thread_local", |b| b.iter(|| bare_round_trip(n)));
        g.bench_function("bare_thread_local_boxed", |b| {
            b.iter(|| bare_boxed_round_trip(n))
        });
        bare::reset();
        g.bench_function("no_pool_with_capacity", |b| {
            b.iter(|| no_pool_round_trip(n))
        });
        g.bench_function("no_pool_vec_zeroed", |b| {
            b.iter(|| {
                let mut buf = vec![0u8; n];
                buf.clear();
                touch(&mut buf, n);
            })
        });
        let lockfree = lockfree_pool(n);
        g.bench_function("lockfree_object_pool", |b| {
            b.iter(|| lockfree_round_trip(&lockfree, n))
        });
        let slab: sharded_slab::Pool<Vec<u8>> = sharded_slab::Pool::new();
        g.bench_function("sharded_slab", |b| b.iter(|| slab_round_trip(&slab, n)));
        g.finish();
    }
}

/// An object that is expensive to build: a map and several reserved vectors.
struct Session {
    headers: HashMap<String, Vec<u8>>,
    ids: Vec<u64>,
    body: Vec<u8>,
    names: Vec<String>,
}

impl Session {
    fn new() -> Self {
        Session {
            headers: HashMap::with_capacity(32),
            ids: Vec::with_capacity(256),
            body: Vec::with_capacity(4096),
            names: Vec::with_capacity(16),
        }
    }

    #[inline(always)]
    fn work(&mut self) {
        self.ids.extend(0..32u64);
        self.body.extend_from_slice(&[7u8; 128]);
        black_box(&self.headers);
        black_box(&self.names);
        black_box((&self.ids, &self.body));
    }
}

impl Reset for Session {
    fn reset(&mut self) {
        self.headers.reset();
        self.ids.reset();
        self.body.reset();
        self.names.reset();
    }
}

fn expensive_object(c: &mut Criterion) {
    let mut g = c.benchmark_group("expensive_object_1t");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let pool = Pool::new(Session::new);
    g.bench_function("poolkit", |b| b.iter(|| pool.get().work()));
    g.bench_function("no_pool", |b| b.iter(|| Session::new().work()));
    let lockfree = LinearObjectPool::new(Session::new, Session::reset);
    g.bench_function("lockfree_object_pool", |b| {
        b.iter(|| lockfree.pull().work())
    });
    g.finish();
}

fn get_return_2t(c: &mut Criterion) {
    let n = 4096;
    let mut g = c.benchmark_group("get_return_2t/4KiB");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(30);

    let pool = poolkit_pool(n);
    g.bench_function("poolkit", |b| {
        b.iter_custom(|iters| on_threads(2, iters, || poolkit_round_trip(&pool, n)))
    });
    g.bench_function("bare_thread_local", |b| {
        b.iter_custom(|iters| on_threads(2, iters, || bare_round_trip(n)))
    });
    g.bench_function("bare_thread_local_boxed", |b| {
        b.iter_custom(|iters| on_threads(2, iters, || bare_boxed_round_trip(n)))
    });
    g.bench_function("no_pool_with_capacity", |b| {
        b.iter_custom(|iters| on_threads(2, iters, || no_pool_round_trip(n)))
    });
    let lockfree = lockfree_pool(n);
    g.bench_function("lockfree_object_pool", |b| {
        b.iter_custom(|iters| on_threads(2, iters, || lockfree_round_trip(&lockfree, n)))
    });
    let slab: sharded_slab::Pool<Vec<u8>> = sharded_slab::Pool::new();
    g.bench_function("sharded_slab", |b| {
        b.iter_custom(|iters| on_threads(2, iters, || slab_round_trip(&slab, n)))
    });
    g.finish();
}

const CHANNEL_CAPACITY: usize = 1024;

/// Producer takes `iters` items with `make` and sends them through a
/// spinning queue (see `support/hand_off.rs`); the consumer drops them
/// (giving pooled ones back on its own thread).
fn cross_thread_run<T: Send>(
    iters: u64,
    make: impl Fn() -> T,
    consume: impl Fn(T) + Send,
) -> Duration {
    hand_off::hand_off(CHANNEL_CAPACITY, iters, make, consume)
}

/// One cross-thread row: `make` on this thread, `consume` on the other.
fn cross_row<T: Send>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    make: impl Fn() -> T,
    consume: impl Fn(T) + Sync,
) {
    g.bench_function(name, |b| {
        b.iter_custom(|iters| cross_thread_run(iters, &make, &consume))
    });
}

/// `buf`, after the same use as in every row.
fn used<B: std::ops::DerefMut<Target = Vec<u8>>>(mut buf: B, n: usize) -> B {
    touch(&mut buf, n);
    buf
}

fn drop_it<T>(item: T) {
    drop(black_box(item));
}

/// The floor row's buffer headers: one cache line each, like a boxed `Vec`.
struct FloorHeaders(Vec<CachePadded<[AtomicUsize; 3]>>);

impl FloorHeaders {
    fn new(count: usize, capacity: usize) -> Self {
        FloorHeaders(
            (0..count)
                .map(|_| {
                    CachePadded::new([
                        AtomicUsize::new(0),
                        AtomicUsize::new(capacity),
                        AtomicUsize::new(0),
                    ])
                })
                .collect(),
        )
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    /// The producer's side: check the capacity, use it, send the index.
    /// (Relaxed loads and stores are plain moves on x86: the cache-line
    /// traffic of a `Vec` header, with nothing added.)
    #[inline(always)]
    fn take(&self, i: usize, n: usize) -> usize {
        let header = &self.0[i];
        assert!(header[1].load(Relaxed) >= n);
        black_box(header);
        i
    }

    /// The consumer's side: the reset (`Vec::clear` stores the length).
    #[inline(always)]
    fn reset(&self, i: usize) {
        self.0[black_box(i)][2].store(0, Relaxed);
    }
}

fn cross_thread(c: &mut Criterion) {
    let n = 4096;
    let mut g = c.benchmark_group("cross_thread/4KiB");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(30);

    // The channel alone, carrying a pointer-sized token: the cost of the
    // hand-off itself, with no buffer at all.
    cross_row(&mut g, "channel_alone", || black_box(0usize), drop_it);
    // The floor: what a perfect pool's buffers cost on top of the channel.
    // Each buffer's header (pointer, capacity, length: the one cache line
    // of a `Vec` that a round trip touches) sits in a preallocated array;
    // the producer reads its capacity (as `touch` does) and sends its index
    // (pointer-sized, as a pool's guard carries a pointer); the consumer
    // clears it (writes its length, as a reset does). So each header's
    // cache line moves to the consumer and back exactly as a pooled
    // buffer's would, in round-robin order over twice the channel (no
    // buffer is reused before the consumer has had it), with no pool logic
    // at all: no thread lookup, no batching, no counters.
    let headers = FloorHeaders::new(2 * CHANNEL_CAPACITY, n);
    let next = std::cell::Cell::new(0usize);
    cross_row(
        &mut g,
        "floor_cache_lines_only",
        || {
            let i = next.get();
            next.set((i + 1) % headers.len());
            headers.take(i, n)
        },
        |i| headers.reset(i),
    );
    // Up to CHANNEL_CAPACITY objects are in flight at once: poolkit is
    // configured to keep that many (shared_capacity = 2 x the channel), or
    // returns overflow and gets miss (the stats' `dropped_full` and `misses`
    // say so). The peers have no bound and grow to whatever is in flight.
    let pool = Arc::new(
        Pool::builder(move || Vec::with_capacity(n))
            .shared_capacity(2 * CHANNEL_CAPACITY)
            .build()
            .unwrap(),
    );
    cross_row(&mut g, "poolkit", || used(pool.get_owned(), n), drop_it);
    // The same with the borrowing guard (`Pooled`, sent to a scoped
    // thread): no `Arc` reference count moves with each object.
    cross_row(
        &mut g,
        "poolkit_borrowed_guard",
        || used(pool.get(), n),
        drop_it,
    );
    cross_row(
        &mut g,
        "no_pool_with_capacity",
        || {
            let mut buf = Vec::with_capacity(n);
            touch(&mut buf, n);
            buf
        },
        drop_it,
    );
    let lockfree = Arc::new(lockfree_pool(n));
    cross_row(
        &mut g,
        "lockfree_object_pool",
        || used(lockfree.pull_owned(), n),
        drop_it,
    );
    let slab: sharded_slab::Pool<Vec<u8>> = sharded_slab::Pool::new();
    cross_row(
        &mut g,
        "sharded_slab",
        || {
            let mut buf = slab.create().unwrap();
            touch(&mut buf, n);
            buf.key()
        },
        |key| {
            slab.clear(key);
        },
    );
    g.finish();
}

criterion_group!(
    benches,
    get_return_1t,
    expensive_object,
    get_return_2t,
    cross_thread
);
criterion_main!(benches);
