//! Pool versus no pool, and versus the strongest peers.
//!
//! Run: `cargo bench -p poolkit-bench --bench pool -- --warm-up-time 1 --measurement-time 2`,
//! or a group: `cargo bench -p poolkit-bench --bench pool -- round_trip_glibc`.
//! The same round trips under jemalloc and mimalloc: `--bench pool_jemalloc`,
//! `--bench pool_mimalloc`.
//!
//! Every operation is "take a buffer with `n` bytes of capacity, check the
//! capacity, use it, give it back", so each row differs only in where the
//! buffer comes from and how it goes back. Every row's code is inlined into
//! criterion's loop the same way: the floor (`support/bare.rs`) through
//! `#[inline(always)]`, poolkit's get and return through the bench
//! profile's thin LTO and single codegen unit (see `support/alloc_rows.rs`
//! for why that matters).

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

#[path = "../support/alloc_rows.rs"]
mod alloc_rows;
// The floor's module, through the rows shared with the other allocators'
// binaries (one copy of the bare pools per binary).
use alloc_rows::bare;
#[path = "../support/hand_off.rs"]
mod hand_off;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion};
use crossbeam_utils::CachePadded;
use lockfree_object_pool::LinearObjectPool;
use poolkit::{Pool, Reset};

/// The cross-thread rows' (deliberately tiny) use of the buffer.
#[inline(always)]
fn touch(buf: &mut Vec<u8>, n: usize) {
    if buf.capacity() < n {
        // Only sharded-slab's objects start empty (it builds them with
        // `Default`); they grow here once and keep the capacity.
        buf.reserve_exact(n);
    }
    black_box(buf);
}

// The two-thread rows: the same write as the one-thread group
// (`alloc_rows::write_16`), each inlined into its thread's loop.

#[inline(always)]
fn bare_round_trip(n: usize) {
    bare::by_value_round_trip(n, |buf| alloc_rows::write_16(buf, n));
}

#[inline(always)]
fn bare_boxed_round_trip(n: usize) {
    bare::boxed_round_trip(n, |buf| alloc_rows::write_16(buf, n));
}

#[inline(always)]
fn poolkit_round_trip(pool: &Pool<Vec<u8>>, n: usize) {
    let mut buf = pool.get();
    alloc_rows::write_16(&mut buf, n);
}

#[inline(always)]
fn no_pool_round_trip(n: usize) {
    let mut buf = Vec::with_capacity(n);
    alloc_rows::write_16(&mut buf, n);
}

#[inline(always)]
fn lockfree_round_trip(pool: &LinearObjectPool<Vec<u8>>, n: usize) {
    let mut buf = pool.pull();
    alloc_rows::write_16(&mut buf, n);
}

#[inline(always)]
fn slab_round_trip(slab: &sharded_slab::Pool<Vec<u8>>, n: usize) {
    let mut buf = slab.create().unwrap();
    alloc_rows::write_16(&mut buf, n);
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

/// The round trips under glibc's malloc (the system allocator): the rows
/// every allocator binary measures (`support/alloc_rows.rs`: poolkit's
/// `Pool`, `BufPool`, `buf::get`, the floor, `Vec::with_capacity`), plus
/// the peer pools, in the one group `round_trip_glibc`. The peers' rows use
/// the same write (`alloc_rows::write_16`) and are inlined into the same
/// criterion loop as the floor and poolkit's rows.
fn round_trip_glibc(c: &mut Criterion) {
    alloc_rows::round_trip_group(c, "glibc", &|g, n, label| {
        let lockfree = lockfree_pool(n);
        g.bench_function(BenchmarkId::new("lockfree_object_pool", label), |b| {
            b.iter(|| {
                let mut buf = lockfree.pull();
                alloc_rows::write_16(&mut buf, n);
            })
        });
        let slab: sharded_slab::Pool<Vec<u8>> = sharded_slab::Pool::new();
        g.bench_function(BenchmarkId::new("sharded_slab", label), |b| {
            b.iter(|| {
                let mut buf = slab.create().unwrap();
                alloc_rows::write_16(&mut buf, n);
                let key = buf.key();
                drop(buf);
                slab.clear(key);
            })
        });
    });
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
    let n = black_box(4096);
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
    round_trip_glibc,
    expensive_object,
    get_return_2t,
    cross_thread
);
criterion_main!(benches);
