//! poolkit takes allocation pressure off hot paths and keeps memory bounded.
//!
//! - [`Pool<T>`]: `sync.Pool` for Rust. Per-thread caches over a bounded
//!   depot that moves objects between threads in batches, a [`Reset`] hook on return, an `accept` hook to refuse
//!   objects that grew too large, two-generation aging with
//!   [`Pool::trim`], statistics, borrowed ([`Pooled`]) and owned
//!   ([`OwnedPooled`], `Send + 'static`) guards.
//! - [`Reset`]: "clear the contents, keep the allocation", for the std
//!   collections, plain values (numbers, `bool`, `char`, `Duration`: back
//!   to their default) and your own types (`#[derive(Reset)]`).
//! - [`Slots<T>`]: a list that keeps its elements' allocations across
//!   clears, for the pooled `Vec<String>` that should not free its strings.
//! - [`TtlCache`] and [`ShardedTtlCache`] ([`cache`]): the bounded cache an
//!   unbounded `HashMap` cache should have been: bounded by entries and
//!   optionally weight, per-entry TTL and time-to-idle, S3-FIFO eviction
//!   behind a TinyLFU admission filter, an
//!   eviction listener with a cause, single-flight loading.
//! - [`buf`]: escape-avoiding byte buffers. [`BufPool`](buf::BufPool) keeps
//!   buffers in power-of-two size classes under one byte budget across all
//!   threads; `poolkit::buf::get(n)` replaces `Vec::with_capacity(n)` in one
//!   line; pooled buffers freeze into `bytes::Bytes` without a copy and come
//!   back when the last clone drops.
//! - [`buf::StackBuf`] and [`buf::with_scratch`]: bytes inline on the stack
//!   up to `N`, spilling into the buffer pool past it, and a per-thread
//!   scratch buffer lent for the length of a closure; both allocate nothing
//!   in steady state.
//!
//! # Quick start
//!
//! ```
//! use poolkit::Pool;
//!
//! // Before: `let mut body = Vec::with_capacity(4096);` on every request.
//! let pool = Pool::new(|| Vec::<u8>::with_capacity(4096));
//! for request in 0..1000 {
//!     let mut body = pool.get(); // warm buffer after the first request
//!     body.extend_from_slice(b"response ");
//!     body.extend_from_slice(request.to_string().as_bytes());
//! } // returned (cleared) when the guard drops
//! assert_eq!(pool.stats().misses, 1); // one buffer served 1000 requests
//! ```
//!
//! A cache that cannot grow without limit:
//!
//! ```
//! use std::time::Duration;
//! use poolkit::TtlCache;
//!
//! let mut cache = TtlCache::builder(10_000) // at most 10,000 entries
//!     .time_to_live(Duration::from_secs(30))
//!     .build()
//!     .expect("valid configuration");
//! cache.insert("user:42", "profile").unwrap();
//! assert_eq!(cache.get("user:42"), Some(&"profile"));
//! ```
//!
//! # Guarantees
//!
//! - **Bounded**: a pool keeps at most `threads × local_capacity +
//!   shared_capacity` objects (`threads`: threads with a cache alive at
//!   once); an `accept` hook can refuse oversized ones.
//! - **Memory goes back**: an object not reused between two [`Pool::trim`]
//!   calls is freed: at once in the depot, the calling thread's cache and
//!   the caches of exited threads, at their next use of the pool in other
//!   live threads' caches.
//! - **No allocation in steady state**: a warm get/return round trip
//!   allocates nothing, checked by dhat tests in `tests/pool_alloc_*.rs`.
//! - **No surprises from hooks**: factory, reset and accept run outside any
//!   borrow or lock and may use the same pool; a panicking hook loses only
//!   the object at hand; a guard dropped while panicking drops its object.
//!
//! # Threads
//!
//! A thread's cache outlives the thread: `trim` ages it from then on, and a
//! later thread given the same thread id takes over what is left. A live
//! thread that stops using the pool keeps at most `local_capacity` objects
//! until it uses it again or exits. See [`pool`] for the details.
//!
//! # Features
//!
//! | feature | default | what it adds | cost |
//! |---|---|---|---|
//! | `bytes` | yes | [`Reset`] for `bytes::BytesMut`; `bytes::BufMut` for the buffer guards and `freeze` into `bytes::Bytes` | the `bytes` dependency |
//! | `derive` | no | `#[derive(Reset)]`: resets every field, with `#[reset(skip)]` and `#[reset(value = ...)]` for the exceptions | the `poolkit-derive` proc-macro crate and `syn` |
//! | `serde` | no | `Serialize` for [`PoolStats`], [`BufStats`](buf::BufStats) and [`CacheStats`](cache::CacheStats) (each with a derived `hit_ratio`; the cache's with the `evictions` total beside the evictions by cause), the eviction and refusal causes and the configuration errors | the `serde` dependency (with `derive`) |
//! | `metrics` | no | `poolkit::metrics`: publish pool, buffer pool and cache snapshots through the `metrics` facade under stable `poolkit_*` names | the `metrics` dependency; nothing on the hot path (snapshots are polled) |
#![warn(
    missing_docs,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]
// `deny`, not `forbid`: `unsafe` is allowed where it is needed or measured
// to pay, each block with a `// SAFETY:` comment: `buf`'s `bytes::BufMut`
// impls (an unsafe trait); the per-thread memo that finds a thread's cache
// with one compare (`Pool::memoized`, `BufPool::memoized`); the pools'
// registry of caches that `trim` reaches once their thread exited
// (`src/tiers/ownership.rs`); the cache's zeroed sketch table, allocated
// fallibly without touching its pages (`src/cache/core/sketch.rs`).
#![deny(unsafe_code)]

pub mod buf;
pub mod cache;
pub mod implementation;
#[cfg(feature = "metrics")]
pub mod metrics;
pub mod pool;
mod reset;
pub mod slots;
#[cfg(feature = "serde")]
mod stats_serde;
mod sync;
mod tiers;

pub use cache::{ManualClock, ShardedTtlCache, TtlCache};
pub use pool::{OwnedPooled, Pool, PoolBuilder, PoolConfigError, PoolStats, Pooled};
/// `#[derive(Reset)]`: resets every field (feature `derive`).
#[cfg(feature = "derive")]
pub use poolkit_derive::Reset;
pub use reset::Reset;
pub use slots::Slots;

/// The `bytes` crate poolkit is built against (feature `bytes`): name
/// `poolkit::bytes::Bytes` to be sure to get the type that
/// [`freeze`](buf::PooledBuf::freeze) returns, without a second `bytes`
/// version in the build.
///
/// ```
/// let frozen: poolkit::bytes::Bytes = poolkit::buf::get(64).freeze();
/// assert!(frozen.is_empty());
/// ```
#[cfg(feature = "bytes")]
pub use bytes;
