//! The round trips of `support/alloc_rows.rs` with mimalloc
//! (the `mimalloc` crate) as the global allocator: poolkit's pools, the bare
//! floor and `Vec::with_capacity` + free, from 64 B to 1 MiB, in one group
//! (`round_trip_mimalloc`).
//!
//! Run: `cargo bench -p poolkit-bench --bench pool_mimalloc -- --warm-up-time 1 --measurement-time 2`.

use criterion::{criterion_group, criterion_main, Criterion};

#[path = "../support/alloc_rows.rs"]
mod alloc_rows;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn round_trip(c: &mut Criterion) {
    alloc_rows::round_trip_group(c, "mimalloc", &|_, _, _| {});
}

criterion_group!(benches, round_trip);
criterion_main!(benches);
