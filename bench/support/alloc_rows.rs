//! The rows measured under every global allocator: one criterion group per
//! benchmark binary, named `round_trip_<allocator>`, with one row per
//! contestant and size (`<row>/<size>`). `benches/pool.rs` runs it under
//! glibc's malloc (and adds the peer pools), `benches/pool_jemalloc.rs` and
//! `benches/pool_mimalloc.rs` under the allocator they install. Included
//! with `#[path]`.
//!
//! Every row takes a buffer with at least `n` bytes of capacity, writes 16
//! bytes into it, hands the bytes to `black_box` and lets it go; rows differ
//! only in where the buffer comes from and where it goes back.
//!
//! # Why the floor is measured the way it is
//!
//! The floor (a bare `thread_local!` `RefCell<Vec<Box<Vec<u8>>>>`, see
//! `bare.rs`) and every pool's get and return are inlined into the same
//! criterion loop (`Bencher::iter`): the floor through `#[inline(always)]`,
//! poolkit's code because the bench profile builds with thin LTO and one
//! codegen unit (root `Cargo.toml`), which is how a user's release binary
//! calling poolkit from its own hot loop is built. A floor behind a call
//! while the pool is inlined (or the reverse) adds a call and its register
//! spills to one side only, and the ratio then measures the call, not the
//! pool. No row here is behind `#[inline(never)]`. What the compiler
//! inlined shows in the disassembly of criterion's loops, e.g.
//! `objdump -d -C target/release/deps/pool_jemalloc-<hash>` and the `call`s
//! inside each `criterion::bencher::Bencher<M>::iter`: whatever of
//! poolkit's code is still called there (rather than inlined) is called
//! the same way from a user's loop.
//!
//! The size reaches every row through `black_box`, so no row is compiled
//! for a constant size that a real caller would not have.
#![allow(dead_code)]

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};
use poolkit::buf::BufPool;
use poolkit::Pool;

#[path = "bare.rs"]
pub mod bare;

/// The sizes measured under every allocator: small, a page, large, and one
/// above glibc's default mmap threshold.
pub const SIZES: [(usize, &str); 4] = [
    (64, "64B"),
    (4096, "4KiB"),
    (64 * 1024, "64KiB"),
    (1024 * 1024, "1MiB"),
];

/// Bytes written in every round trip.
pub const WRITTEN: usize = 16;

/// The same use of the buffer in every row: make sure it holds `n` bytes
/// (a branch that is never taken for the pools, whose buffers are built
/// with that capacity; it grows the empty objects of peers that build with
/// `Default`), write 16 bytes, pass them to `black_box`.
#[inline(always)]
pub fn write_16(buf: &mut Vec<u8>, n: usize) {
    if buf.capacity() < n {
        buf.reserve_exact(n);
    }
    buf.resize(WRITTEN, 0xAB);
    black_box(&mut buf[..]);
}

/// The floor: the bare boxed `thread_local!` pool, inlined.
#[inline(always)]
pub fn floor_round_trip(n: usize) {
    bare::boxed_round_trip(n, |buf| write_16(buf, n));
}

/// `Pool<Vec<u8>>`: get, write, return (the guard's drop clears it).
#[inline(always)]
pub fn pool_round_trip(pool: &Pool<Vec<u8>>, n: usize) {
    let mut buf = pool.get();
    write_16(&mut buf, n);
}

/// `BufPool::get`: the smallest class that holds `n` bytes.
#[inline(always)]
pub fn bufpool_round_trip(pool: &BufPool, n: usize) {
    let mut buf = pool.get(n);
    write_16(&mut buf, n);
}

/// `poolkit::buf::get`: the process-wide `BufPool`.
#[inline(always)]
pub fn buf_get_round_trip(n: usize) {
    let mut buf = poolkit::buf::get(n);
    write_16(&mut buf, n);
}

/// No pool: the global allocator's malloc and free.
#[inline(always)]
pub fn vec_round_trip(n: usize) {
    let mut buf = Vec::with_capacity(n);
    write_16(&mut buf, n);
}

/// Adds more rows to a size's part of the group (the peer pools in the
/// glibc binary); gets the size as read at run time, and its label.
pub type ExtraRows<'a> = &'a dyn Fn(&mut BenchmarkGroup<'_, WallTime>, usize, &str);

/// The group `round_trip_<allocator>`: rows `pool`, `bufpool`, `buf_get`,
/// `floor` and `vec_with_capacity` at each size, then `extra`'s rows.
/// Measurement times come from the command line
/// (`-- --warm-up-time 1 --measurement-time 2` for a quick run).
pub fn round_trip_group(c: &mut Criterion, allocator: &str, extra: ExtraRows<'_>) {
    let mut g = c.benchmark_group(format!("round_trip_{allocator}"));
    for (size, label) in SIZES {
        // Read at run time: no row is specialised for a constant size.
        let n = black_box(size);

        let pool = Pool::new(move || Vec::<u8>::with_capacity(n));
        g.bench_function(BenchmarkId::new("pool", label), |b| {
            b.iter(|| pool_round_trip(&pool, n))
        });
        drop(pool);

        let bufpool = BufPool::new();
        g.bench_function(BenchmarkId::new("bufpool", label), |b| {
            b.iter(|| bufpool_round_trip(&bufpool, n))
        });
        drop(bufpool);

        g.bench_function(BenchmarkId::new("buf_get", label), |b| {
            b.iter(|| buf_get_round_trip(n))
        });
        // Two trims give everything the process-wide pool kept back to the
        // allocator before the next rows run.
        poolkit::buf::default_pool().trim();
        poolkit::buf::default_pool().trim();

        // Empty first, so the floor's buffers have this size's capacity.
        bare::reset();
        g.bench_function(BenchmarkId::new("floor", label), |b| {
            b.iter(|| floor_round_trip(n))
        });
        bare::reset();

        g.bench_function(BenchmarkId::new("vec_with_capacity", label), |b| {
            b.iter(|| vec_round_trip(n))
        });

        extra(&mut g, n, label);
    }
    g.finish();
}
