//! Where a [`StackBuf`](super::StackBuf) puts its bytes when they outgrow
//! the inline space: a buffer from a [`BufPool`].

use super::{default_pool, BufPool, PooledBuf};

/// The buffer a spilled `StackBuf` writes into.
pub(super) type Spill = PooledBuf<'static>;

/// The pool a `StackBuf` spills into: the given one, or the process-wide
/// default pool (looked up only when a spill happens).
#[inline]
pub(super) fn pool_or_default(pool: Option<&'static BufPool>) -> &'static BufPool {
    match pool {
        Some(pool) => pool,
        None => default_pool(),
    }
}

/// An empty pooled buffer with capacity at least `min_capacity`.
#[inline]
#[track_caller]
pub(super) fn take(pool: Option<&'static BufPool>, min_capacity: usize) -> Spill {
    pool_or_default(pool).get(min_capacity)
}

/// An empty buffer from `spilled`'s own pool for `needed` bytes and room to
/// grow: at least twice `spilled`'s capacity, so that a buffer of one class
/// is followed by one of the next class up.
#[inline]
#[track_caller]
pub(super) fn grow(spilled: &Spill, needed: usize) -> Spill {
    let pool: &'static BufPool = PooledBuf::pool(spilled);
    pool.get(needed.max(spilled.capacity().saturating_mul(2)))
}

/// The spilled bytes as a plain `Vec<u8>`, without copying.
#[inline]
pub(super) fn detach(spilled: Spill) -> Vec<u8> {
    PooledBuf::detach(spilled)
}
