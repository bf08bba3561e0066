//! `BufPool` against no pool at all, and against bare `thread_local!` pools
//! (the floor), from 64 B to 16 MiB; `freeze` into `Bytes` against
//! `Bytes::from(Vec)` and `BytesMut::freeze`, on one thread and across two.
//!
//! Run: `cargo bench -p poolkit-bench --bench buf` (about 5 minutes on 2
//! cores), or one group: `cargo bench -p poolkit-bench --bench buf -- get_return_16B/1MiB`.
//! Run it under both allocator settings the README quotes: glibc's default
//! (its mmap threshold rises after a large block is freed, so a steady loop
//! of big allocations reuses heap memory) and a fixed threshold, as services
//! often run (every allocation above 128 KiB is a fresh mapping, so writing
//! it pays page faults):
//! `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072 cargo bench -p poolkit-bench --bench buf`.
//!
//! Every `get_return_*` row takes a buffer of `n` bytes, writes `k` bytes
//! into it (`k` = 16, or `n` for the `full` form), hands the bytes to
//! `black_box` and lets it go; rows differ only in where the buffer comes
//! from and where it goes.
//!
//! The floor rows (`bare_thread_local*`, from `support/bare.rs`) and the
//! pool rows are inlined into the same criterion loop: the floor through
//! `#[inline(always)]`, `BufPool::get` and the guard's drop through the
//! bench profile's thin LTO and single codegen unit (root `Cargo.toml`), as
//! in a user's release binary. Were one side behind a call and the other
//! inlined, the ratio would measure the call rather than the pool. The size
//! and the bytes written reach every row through `black_box`, so no row is
//! specialised for a constant.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

#[path = "../support/bare.rs"]
mod bare;
#[path = "../support/hand_off.rs"]
mod hand_off;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion};
use poolkit::buf::{BufPool, OwnedPooledBuf};

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

const SIZES: [(usize, &str); 6] = [
    (64, "64B"),
    (4 * KIB, "4KiB"),
    (64 * KIB, "64KiB"),
    (MIB, "1MiB"),
    (4 * MIB, "4MiB"),
    (16 * MIB, "16MiB"),
];

/// `freeze` is for payloads worth sharing: 4 KiB and up.
const FREEZE_SIZES: [(usize, &str); 3] = [(4 * KIB, "4KiB"), (64 * KIB, "64KiB"), (MIB, "1MiB")];

/// The byte every row writes.
const FILL: u8 = 0xAB;

/// The same write in every row that gets an empty buffer: `k` bytes
/// appended (a `memset` of `k` bytes), then the bytes to `black_box` so the
/// write cannot be skipped.
#[inline(always)]
fn write_vec(buf: &mut Vec<u8>, k: usize) {
    buf.resize(k, FILL);
    black_box(&mut buf[..]);
}

#[inline(always)]
fn bare_round_trip(n: usize, k: usize) {
    bare::by_value_round_trip(n, |buf| write_vec(buf, k));
}

#[inline(always)]
fn bare_boxed_round_trip(n: usize, k: usize) {
    bare::boxed_round_trip(n, |buf| write_vec(buf, k));
}

/// One `get_return` group: every row for buffers of `n` bytes with `k`
/// bytes written.
fn get_return_group(c: &mut Criterion, form: &str, n: usize, label: &str, k: usize) {
    let (n, k) = black_box((n, k));
    let mut g = c.benchmark_group(format!("get_return_{form}/{label}"));
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1));
    if n >= MIB {
        g.sample_size(20);
    }

    let pool = BufPool::new();
    g.bench_function("bufpool", |b| {
        b.iter(|| {
            let mut buf = pool.get(n);
            write_vec(&mut buf, k);
        })
    });
    // The one-line replacement: the process-wide pool.
    g.bench_function("bufpool_default", |b| {
        b.iter(|| {
            let mut buf = poolkit::buf::get(n);
            write_vec(&mut buf, k);
        })
    });
    // Give the default pool's buffer of this class back to the allocator
    // before the no-pool rows run (two trims free everything kept).
    poolkit::buf::default_pool().trim();
    poolkit::buf::default_pool().trim();
    drop(pool);

    bare::reset();
    g.bench_function("bare_thread_local", |b| b.iter(|| bare_round_trip(n, k)));
    g.bench_function("bare_thread_local_boxed", |b| {
        b.iter(|| bare_boxed_round_trip(n, k))
    });
    bare::reset();

    g.bench_function("no_pool_vec_with_capacity", |b| {
        b.iter(|| {
            let mut buf = Vec::with_capacity(n);
            write_vec(&mut buf, k);
        })
    });
    // What Go's `make([]byte, n)` does: a zeroed buffer of length `n`; the
    // write overwrites its first `k` bytes.
    g.bench_function("no_pool_vec_zeroed", |b| {
        b.iter(|| {
            let mut buf = vec![0u8; n];
            buf[..k].fill(FILL);
            black_box(&mut buf[..]);
        })
    });
    g.bench_function("no_pool_bytesmut_with_capacity", |b| {
        b.iter(|| {
            let mut buf = BytesMut::with_capacity(n);
            buf.resize(k, FILL);
            black_box(&mut buf[..]);
        })
    });
    g.finish();
}

fn get_return_16b(c: &mut Criterion) {
    for (n, label) in SIZES {
        get_return_group(c, "16B", n, label, 16);
    }
}

fn get_return_full(c: &mut Criterion) {
    for (n, label) in SIZES {
        get_return_group(c, "full", n, label, n);
    }
}

/// What every freeze row does with its `Bytes`: a clone and a slice beside
/// the original, as a codec hands out a frame and its header.
#[inline(always)]
fn share(frozen: Bytes) -> (Bytes, Bytes, Bytes) {
    let clone = frozen.clone();
    let header = frozen.slice(..4);
    (frozen, clone, header)
}

/// The three ways to make a 16-byte message in an `n`-byte buffer and
/// freeze it.
#[derive(Clone, Copy)]
enum Frozen {
    Pooled,
    BytesFromVec,
    BytesMutFreeze,
}

impl Frozen {
    const ALL: [(Frozen, &'static str); 3] = [
        (Frozen::Pooled, "bufpool_freeze"),
        (Frozen::BytesFromVec, "bytes_from_vec_with_capacity"),
        (Frozen::BytesMutFreeze, "bytesmut_freeze"),
    ];

    #[inline(always)]
    fn make(self, pool: &Arc<BufPool>, n: usize) -> (Bytes, Bytes, Bytes) {
        let frozen = match self {
            Frozen::Pooled => {
                let mut buf = pool.get_owned(n);
                write_vec(&mut buf, 16);
                OwnedPooledBuf::freeze(buf)
            }
            Frozen::BytesFromVec => {
                let mut buf = Vec::with_capacity(n);
                write_vec(&mut buf, 16);
                Bytes::from(buf)
            }
            Frozen::BytesMutFreeze => {
                let mut buf = BytesMut::with_capacity(n);
                buf.resize(16, FILL);
                black_box(&mut buf[..]);
                buf.freeze()
            }
        };
        share(frozen)
    }
}

fn drop_all(parts: (Bytes, Bytes, Bytes)) {
    drop(black_box(parts));
}

fn freeze_1t(c: &mut Criterion) {
    for (n, label) in FREEZE_SIZES {
        let mut g = c.benchmark_group(format!("freeze_1t/{label}"));
        g.warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(1));
        let pool = Arc::new(BufPool::new());
        for (how, name) in Frozen::ALL {
            g.bench_function(name, |b| b.iter(|| drop_all(how.make(&pool, n))));
        }
        g.finish();
    }
}

/// Items in flight at most between the two threads. Small enough that the
/// pool keeps all of them at every size measured (its shared queue of a
/// class holds up to 64 buffers), so the pooled row measures reuse, not
/// misses.
const CHANNEL_CAPACITY: usize = 16;

/// Sends through a queue of [`CHANNEL_CAPACITY`] slots to a second thread.
fn hand_off<T: Send>(iters: u64, make: impl Fn() -> T, consume: impl Fn(T) + Sync) -> Duration {
    hand_off::hand_off(CHANNEL_CAPACITY, iters, make, &consume)
}

fn freeze_2t(c: &mut Criterion) {
    for (n, label) in FREEZE_SIZES {
        let mut g = c.benchmark_group(format!("freeze_2t/{label}"));
        g.warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .sample_size(30);
        let pool = Arc::new(BufPool::new());
        // The hand-off alone, carrying three empty `Bytes`: the channel's
        // own cost, with no buffer.
        g.bench_function("channel_alone", |b| {
            b.iter_custom(|iters| {
                hand_off(
                    iters,
                    || black_box((Bytes::new(), Bytes::new(), Bytes::new())),
                    drop_all,
                )
            })
        });
        for (how, name) in Frozen::ALL {
            g.bench_function(name, |b| {
                b.iter_custom(|iters| hand_off(iters, || how.make(&pool, n), drop_all))
            });
        }
        g.finish();
    }
}

criterion_group!(
    benches,
    get_return_16b,
    get_return_full,
    freeze_1t,
    freeze_2t
);
criterion_main!(benches);
