//! The process-wide default [`BufPool`] and its free functions.

use std::sync::{Arc, OnceLock};

use super::{BufPool, OwnedPooledBuf, PooledBuf};

static DEFAULT_POOL: OnceLock<Arc<BufPool>> = OnceLock::new();

/// The process-wide pool behind [`get`] and [`get_owned`], made on first
/// use with the default configuration: classes from 64 B to 16 MiB, a
/// 64 MiB budget over all threads, at most 32 MiB per thread. It lives until
/// the process exits; call [`BufPool::trim`] on it from a timer to give idle
/// memory back.
///
/// ```
/// let pool = poolkit::buf::default_pool();
/// assert_eq!(pool.max_retained_bytes(), 64 << 20);
/// assert_eq!(pool.max_class(), 16 << 20);
/// let owned = pool.get_owned(100); // an `Arc<BufPool>`: owned guards too
/// assert!(owned.capacity() >= 100);
/// ```
pub fn default_pool() -> &'static Arc<BufPool> {
    DEFAULT_POOL.get_or_init(|| Arc::new(BufPool::new()))
}

/// A buffer from the [`default_pool`]: empty, capacity ≥ `min_capacity`,
/// back to the pool when dropped. The one-line replacement of
/// `Vec::with_capacity(min_capacity)`.
///
/// ```
/// let mut buf = poolkit::buf::get(4096);
/// buf.extend_from_slice(b"hello");
/// assert!(buf.capacity() >= 4096);
/// ```
///
/// # Panics
///
/// If the allocation fails (see [`BufPool::get`]).
#[inline]
#[track_caller]
pub fn get(min_capacity: usize) -> PooledBuf<'static> {
    let pool: &'static BufPool = default_pool();
    pool.get(min_capacity)
}

/// An owned buffer from the [`default_pool`] (`Send + 'static`; one atomic
/// reference-count increment more than [`get`]).
///
/// ```
/// let mut buf = poolkit::buf::get_owned(64);
/// buf.push(1);
/// std::thread::spawn(move || assert_eq!(buf[..], [1])).join().unwrap();
/// ```
///
/// # Panics
///
/// If the allocation fails (see [`BufPool::get`]).
#[inline]
#[track_caller]
pub fn get_owned(min_capacity: usize) -> OwnedPooledBuf {
    default_pool().get_owned(min_capacity)
}
