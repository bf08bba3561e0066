//! `freeze`: a pooled buffer becomes `bytes::Bytes` without a copy, and its
//! storage goes back to the pool when the last clone or slice drops.
//!
//! `freeze` is a method (`buf.freeze()`): the guards dereference to
//! `Vec<u8>`, which has no `freeze` of its own, so nothing is shadowed.

use bytes::Bytes;

use super::{OwnedPooledBuf, PooledBuf};

impl PooledBuf<'static> {
    /// Turns the buffer into an immutable [`Bytes`] without copying. Clones
    /// and slices of it share the storage; when the last one drops, on
    /// whatever thread, the buffer goes back to its pool like a dropped
    /// guard.
    ///
    /// Cost: exactly one small allocation (the `Bytes` owner record, made by
    /// `Bytes::from_owner`: a reference count beside this guard), freed with
    /// the last clone; the buffer itself is not copied. An empty buffer
    /// freezes to `Bytes::new()` with no allocation (and goes back at once).
    /// Cloning and slicing allocate nothing. The count is checked by
    /// `tests/buf_alloc_freeze.rs`.
    ///
    /// ```
    /// let mut msg = poolkit::buf::get(4096);
    /// msg.extend_from_slice(b"frame payload");
    /// let frozen = msg.freeze();
    /// let header = frozen.slice(..5);
    /// let body = frozen.clone();
    /// drop(frozen);
    /// std::thread::spawn(move || assert_eq!(&body[..], b"frame payload"))
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(&header[..], b"frame"); // the storage is still alive
    /// drop(header); // last one: the buffer goes back to the default pool
    /// ```
    ///
    /// # Only for `'static` guards
    ///
    /// A `Bytes` may outlive any scope, so its storage must be able to go
    /// back to a pool that outlives it too: `freeze` exists for the guards
    /// of the default pool ([`get`](super::get)) and of a pool in a
    /// `static`. A guard borrowed from a local `BufPool` does not freeze;
    /// the compiler says the pool "does not live long enough" (E0597):
    ///
    /// ```compile_fail,E0597
    /// use poolkit::buf::BufPool;
    ///
    /// let pool = BufPool::new();
    /// let mut msg = pool.get(4096);
    /// msg.extend_from_slice(b"hello");
    /// let frozen = msg.freeze(); // error: `pool` does not live long enough
    /// # drop(frozen);
    /// ```
    ///
    /// The fix: put the pool in an `Arc` and take an owned guard with
    /// [`get_owned`](super::BufPool::get_owned); [`OwnedPooledBuf::freeze`]
    /// works for any pool.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use poolkit::buf::BufPool;
    ///
    /// let pool = Arc::new(BufPool::new());
    /// let mut msg = pool.get_owned(4096);
    /// msg.extend_from_slice(b"hello");
    /// let frozen = msg.freeze();
    /// assert_eq!(&frozen[..], b"hello");
    /// ```
    pub fn freeze(self) -> Bytes {
        if self.is_empty() {
            return Bytes::new();
        }
        Bytes::from_owner(self)
    }
}

impl OwnedPooledBuf {
    /// As [`PooledBuf::freeze`]: an immutable [`Bytes`] without a copy,
    /// whose storage goes back to this buffer's pool when the last clone or
    /// slice drops. Exactly one small allocation (the owner record), as for
    /// [`PooledBuf::freeze`]. Works for the guards of any pool, a local one
    /// included, since the guard holds an `Arc` of its pool.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use poolkit::buf::BufPool;
    ///
    /// let pool = Arc::new(BufPool::new());
    /// let mut msg = pool.get_owned(4096);
    /// msg.extend_from_slice(b"hello");
    /// let frozen = msg.freeze();
    /// let copy = frozen.clone();
    /// assert_eq!(pool.stats().retained, 0); // in use
    /// drop((frozen, copy));
    /// assert_eq!(pool.stats().retained, 1); // back
    /// ```
    pub fn freeze(self) -> Bytes {
        if self.is_empty() {
            return Bytes::new();
        }
        Bytes::from_owner(self)
    }
}
