//! `freeze`: a pooled buffer becomes `bytes::Bytes` without a copy, and its
//! storage goes back to the pool when the last clone or slice drops.

use bytes::Bytes;

use super::{OwnedPooledBuf, PooledBuf};

impl PooledBuf<'static> {
    /// Turns the buffer into an immutable [`Bytes`] without copying. Clones
    /// and slices of it share the storage; when the last one drops, on
    /// whatever thread, the buffer goes back to its pool like a dropped
    /// guard. Available for `'static` guards: those of the default pool
    /// ([`get`](super::get)) and of a pool in a `static`; see
    /// [`OwnedPooledBuf::freeze`] for the others.
    ///
    /// Cost: exactly one small allocation (the `Bytes` owner record, made by
    /// `Bytes::from_owner`: a reference count beside this guard), freed with the last clone; the buffer itself is not copied.
    /// An empty buffer freezes to `Bytes::new()` with no allocation (and
    /// goes back at once). Cloning and slicing allocate nothing. The count is
    /// checked by `tests/buf_alloc_freeze.rs`.
    ///
    /// ```
    /// use poolkit::buf::{self, PooledBuf};
    ///
    /// let mut msg = buf::get(4096);
    /// msg.extend_from_slice(b"frame payload");
    /// let frozen = PooledBuf::freeze(msg);
    /// let header = frozen.slice(..5);
    /// let body = frozen.clone();
    /// drop(frozen);
    /// std::thread::spawn(move || assert_eq!(&body[..], b"frame payload"))
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(&header[..], b"frame"); // the storage is still alive
    /// drop(header); // last one: the buffer goes back to the default pool
    /// ```
    pub fn freeze(this: Self) -> Bytes {
        if this.is_empty() {
            return Bytes::new();
        }
        Bytes::from_owner(this)
    }
}

impl OwnedPooledBuf {
    /// As [`PooledBuf::freeze`]: an immutable [`Bytes`] without a copy,
    /// whose storage goes back to this buffer's pool when the last clone or
    /// slice drops. Exactly one small allocation (the owner record), as for
    /// [`PooledBuf::freeze`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use poolkit::buf::{BufPool, OwnedPooledBuf};
    ///
    /// let pool = Arc::new(BufPool::new());
    /// let mut msg = pool.get_owned(4096);
    /// msg.extend_from_slice(b"hello");
    /// let frozen = OwnedPooledBuf::freeze(msg);
    /// let copy = frozen.clone();
    /// assert_eq!(pool.stats().retained_buffers, 0); // in use
    /// drop((frozen, copy));
    /// assert_eq!(pool.stats().retained_buffers, 1); // back
    /// ```
    pub fn freeze(this: Self) -> Bytes {
        if this.is_empty() {
            return Bytes::new();
        }
        Bytes::from_owner(this)
    }
}
