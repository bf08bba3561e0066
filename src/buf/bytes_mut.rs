//! Pooled `bytes::BytesMut` for codecs: the storage of a [`BufPool`] buffer
//! behind a `BytesMut`, given back to the pool when the guard drops if the
//! `BytesMut` still owns it alone.
//!
//! See [`PooledBytesMut`] for the design, its cost and its limits.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use super::{Buf, BufPool, NO_CLASS};

impl BufPool {
    /// An empty [`BytesMut`] with capacity ≥ `min_capacity`, on storage from
    /// this pool, behind a guard that gives the storage back when dropped
    /// (see [`PooledBytesMut`]). Same classes, budget and statistics as
    /// [`get`](Self::get).
    ///
    /// Cost when warm: no buffer allocation; one transient allocation of a
    /// few dozen bytes, freed before this returns (see [`PooledBytesMut`]).
    ///
    /// # Panics
    ///
    /// As [`get`](Self::get); see [`try_get_bytes_mut`](Self::try_get_bytes_mut).
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BufMut;
    /// use poolkit::buf::BufPool;
    ///
    /// let pool = BufPool::new();
    /// let mut frame = pool.get_bytes_mut(1000);
    /// frame.put_u32(5); // length prefix
    /// frame.put_slice(b"hello");
    /// assert_eq!(&frame[..], b"\0\0\0\x05hello");
    /// let storage = frame.as_ptr();
    /// drop(frame); // the storage goes back to the 1 KiB class
    ///
    /// let again = pool.get_bytes_mut(1000);
    /// assert!(again.is_empty());
    /// assert_eq!(again.as_ptr(), storage); // the same storage
    /// assert_eq!(pool.stats().hits, 1);
    /// ```
    #[inline]
    #[track_caller]
    pub fn get_bytes_mut(&self, min_capacity: usize) -> PooledBytesMut<'_> {
        match self.take(min_capacity) {
            Ok(buf) => {
                let (bytes, shell) = unbox(buf);
                PooledBytesMut {
                    bytes,
                    shell,
                    pool: self,
                }
            }
            Err(error) => super::alloc_failed(min_capacity, error),
        }
    }

    /// Like [`get_bytes_mut`](Self::get_bytes_mut), but a failed allocation
    /// is an error.
    ///
    /// ```
    /// let pool = poolkit::buf::BufPool::new();
    /// assert!(pool.try_get_bytes_mut(usize::MAX).is_err());
    /// assert!(pool.try_get_bytes_mut(100).unwrap().capacity() >= 100);
    /// ```
    pub fn try_get_bytes_mut(
        &self,
        min_capacity: usize,
    ) -> Result<PooledBytesMut<'_>, std::collections::TryReserveError> {
        let (bytes, shell) = unbox(self.take(min_capacity)?);
        Ok(PooledBytesMut {
            bytes,
            shell,
            pool: self,
        })
    }

    /// Like [`get_bytes_mut`](Self::get_bytes_mut), but the guard holds an
    /// `Arc` of the pool: it is `Send + 'static` (for tasks and `.await`).
    ///
    /// # Panics
    ///
    /// As [`get`](Self::get).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use poolkit::buf::BufPool;
    ///
    /// let pool = Arc::new(BufPool::new());
    /// let mut buf = pool.get_bytes_mut_owned(64);
    /// buf.extend_from_slice(b"encoded");
    /// std::thread::spawn(move || assert_eq!(&buf[..], b"encoded")).join().unwrap();
    /// assert_eq!(pool.stats().retained, 1); // back, from the other thread
    /// ```
    #[inline]
    #[track_caller]
    pub fn get_bytes_mut_owned(self: &Arc<Self>, min_capacity: usize) -> OwnedPooledBytesMut {
        match self.take(min_capacity) {
            Ok(buf) => {
                let (bytes, shell) = unbox(buf);
                OwnedPooledBytesMut {
                    bytes,
                    shell,
                    pool: Arc::clone(self),
                }
            }
            Err(error) => super::alloc_failed(min_capacity, error),
        }
    }
}

/// `Vec` → `BytesMut` without copying: through a `Bytes` (a small shared
/// record, freed again by the conversion to `BytesMut`, which finds it
/// unique).
#[inline]
fn into_bytes_mut(vec: Vec<u8>) -> BytesMut {
    BytesMut::from(Bytes::from(vec))
}

/// The pool's buffer as a `BytesMut`, and the (now empty) box it came in,
/// kept by the guard to give the storage back in without allocating.
#[inline]
fn unbox(mut buf: Buf) -> (BytesMut, Option<Buf>) {
    let vec = std::mem::take(&mut *buf);
    (into_bytes_mut(vec), Some(buf))
}

/// A pooled [`BytesMut`] borrowed from a [`BufPool`], made by
/// [`BufPool::get_bytes_mut`]: it dereferences to `BytesMut` (so `BufMut`,
/// `Buf`, `split_to`, `freeze` of a part… all work) and gives the storage
/// back to the pool when dropped, if the `BytesMut` still owns it alone.
/// If the guard drops while its thread panics, the storage is freed instead.
///
/// # Design and cost
///
/// `bytes` can turn a `Vec<u8>` into a `BytesMut` without copying, and a
/// `BytesMut` that owns its whole storage back into that `Vec` without
/// copying (`Vec::from(BytesMut)`). So the guard takes a buffer from the
/// pool exactly as [`BufPool::get`] does (same classes, same byte budget,
/// same statistics, same thread caches and trims) and gives it back the same
/// way. The one cost: for a `Vec` with spare capacity the only safe
/// conversion goes through `Bytes`, which allocates a small shared record
/// that `BytesMut` frees again at once. So each `get_bytes_mut` makes one
/// short-lived allocation of a few dozen bytes (gone before it returns); the
/// buffer storage itself is reused with no allocation. (The alternative, a
/// separate pool of `BytesMut` objects, would need a second budget, second
/// classes, trims and statistics beside the buffers'.)
///
/// # Limits
///
/// - Storage goes back only if the `BytesMut` still owns it alone when the
///   guard drops. After `split_to`/`split_off`/`split` with a part still
///   alive (for example frozen into `Bytes` and sent away), the storage is
///   shared: the guard gives nothing back (counted as `detached`), and the
///   storage is freed by `bytes` when the last part drops. Once the other
///   parts are gone the storage is whole again and does go back.
/// - `BytesMut` may move its data to new storage when it grows (`reserve`);
///   the new storage is what goes back, to the class of its capacity.
/// - Passing the guard where a `&mut BytesMut` is expected needs `&mut *guard`
///   (a codec's `encode(item, &mut *buf)`).
///
/// # Examples
///
/// ```
/// use bytes::BufMut;
/// use poolkit::buf::BufPool;
///
/// let pool = BufPool::new();
/// let mut out = pool.get_bytes_mut(4096);
/// out.put_slice(b"header|body");
/// let header = out.split_to(7).freeze(); // shares the storage
/// drop(out); // not given back: `header` still uses the storage
/// assert_eq!((pool.stats().retained, pool.stats().detached), (0, 1));
/// assert_eq!(&header[..], b"header|");
/// ```
#[must_use = "dropping the guard gives the storage straight back to the pool"]
pub struct PooledBytesMut<'a> {
    bytes: BytesMut,
    /// The box the storage goes back in (see `unbox`).
    shell: Option<Buf>,
    pool: &'a BufPool,
}

/// A pooled [`BytesMut`] that owns a handle to its pool: `Send + 'static`.
/// Made by [`BufPool::get_bytes_mut_owned`]; otherwise as [`PooledBytesMut`].
#[must_use = "dropping the guard gives the storage straight back to the pool"]
pub struct OwnedPooledBytesMut {
    bytes: BytesMut,
    /// The box the storage goes back in (see `unbox`).
    shell: Option<Buf>,
    pool: Arc<BufPool>,
}

macro_rules! bytes_mut_guard {
    ($($guard:ident$(<$lt:lifetime>)?),*) => {$(
        impl$(<$lt>)? $guard$(<$lt>)? {
            /// Keeps the `BytesMut` for good: its storage is not given back
            /// (counted as `detached` in the stats). No copy.
            #[must_use = "the storage is not given back: dropping it frees it"]
            pub fn detach(mut this: Self) -> BytesMut {
                this.pool.note_detached();
                std::mem::take(&mut this.bytes)
            }
        }

        impl$(<$lt>)? Drop for $guard$(<$lt>)? {
            fn drop(&mut self) {
                let mut bytes = std::mem::take(&mut self.bytes);
                if bytes.capacity() == 0 {
                    return; // detached, or taken out by the user
                }
                // Emptied first: if the storage is shared the conversion
                // below copies nothing (it makes an empty, unallocated
                // `Vec`); if it is owned alone it is the whole original
                // storage, with no copy either.
                bytes.clear();
                let vec = Vec::from(bytes);
                if vec.capacity() == 0 {
                    self.pool.note_detached(); // shared: `bytes` frees it later
                } else {
                    // The shell is always there (taken only here); boxing
                    // anew is the never-taken fallback.
                    let buf = match self.shell.take() {
                        Some(mut shell) => {
                            *shell = vec;
                            shell
                        }
                        None => Box::new(vec),
                    };
                    self.pool.give_back(buf, NO_CLASS);
                }
            }
        }

        impl$(<$lt>)? Deref for $guard$(<$lt>)? {
            type Target = BytesMut;
            #[inline]
            fn deref(&self) -> &BytesMut {
                &self.bytes
            }
        }

        impl$(<$lt>)? DerefMut for $guard$(<$lt>)? {
            #[inline]
            fn deref_mut(&mut self) -> &mut BytesMut {
                &mut self.bytes
            }
        }

        impl$(<$lt>)? AsRef<[u8]> for $guard$(<$lt>)? {
            fn as_ref(&self) -> &[u8] {
                &self.bytes
            }
        }

        impl$(<$lt>)? AsMut<[u8]> for $guard$(<$lt>)? {
            fn as_mut(&mut self) -> &mut [u8] {
                &mut self.bytes
            }
        }

        impl$(<$lt>)? fmt::Debug for $guard$(<$lt>)? {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.bytes, f)
            }
        }
    )*};
}

bytes_mut_guard!(PooledBytesMut<'a>, OwnedPooledBytesMut);

const _: () = {
    const fn send_static<T: Send + 'static>() {}
    send_static::<OwnedPooledBytesMut>();
    send_static::<PooledBytesMut<'static>>();
};
