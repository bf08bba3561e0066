//! The guards that give pooled buffers back when dropped.

use std::fmt;
use std::io;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::{Buf, BufPool};

/// A pooled byte buffer borrowed from a [`BufPool`]: a `Vec<u8>` that goes
/// back to the pool when the guard drops.
///
/// It dereferences to `Vec<u8>`, so every `Vec` method works, and it
/// implements [`io::Write`], `AsRef<[u8]>`, `AsMut<[u8]>`, `Debug` and, with
/// feature `bytes`, `bytes::BufMut`. Guard operations that a `Vec` could
/// also have are associated functions ([`PooledBuf::detach`],
/// [`PooledBuf::pool`]) so they never shadow a `Vec` method; `freeze`
/// (feature `bytes`, on `'static` guards) is a method, as `Vec<u8>` has
/// none.
///
/// On drop the buffer is cleared and kept in the class of its *current*
/// capacity (a buffer that grew moves up a class; one larger than the top
/// class is freed), within the pool's byte budget. If the guard drops while
/// its thread is panicking, the buffer is freed instead (it may hold
/// half-written data).
///
/// It is `Send`: it may be dropped on another (scoped) thread. For a
/// `'static` guard see [`OwnedPooledBuf`], or the default pool's
/// [`get`](super::get).
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use poolkit::buf::{BufPool, PooledBuf};
///
/// let pool = BufPool::new();
/// let mut buf: PooledBuf<'_> = pool.get(1000);
/// assert!(buf.is_empty() && buf.capacity() >= 1000); // 1024 in fact
/// write!(buf, "GET /{} HTTP/1.1\r\n", 42)?;
/// assert_eq!(&buf[..], b"GET /42 HTTP/1.1\r\n");
/// drop(buf); // cleared, kept in the 1 KiB class
///
/// let kept: Vec<u8> = PooledBuf::detach(pool.get(1000)); // or keep it for good
/// assert_eq!(kept.capacity(), 1024); // the same buffer again
/// let stats = pool.stats();
/// assert_eq!((stats.hits, stats.detached, stats.retained), (1, 1, 0));
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "dropping the guard gives the buffer straight back to the pool"]
pub struct PooledBuf<'a> {
    /// `None` only once `detach` or `drop` took the buffer out.
    buf: Option<Buf>,
    pool: &'a BufPool,
    /// The class the buffer was taken for: `give_back`'s hint.
    class: usize,
}

impl<'a> PooledBuf<'a> {
    #[inline]
    pub(super) fn new(pool: &'a BufPool, buf: Buf, class: usize) -> Self {
        PooledBuf {
            buf: Some(buf),
            pool,
            class,
        }
    }

    /// The pool this buffer goes back to.
    ///
    /// ```
    /// let pool = poolkit::buf::BufPool::new();
    /// let buf = pool.get(64);
    /// assert!(std::ptr::eq(poolkit::buf::PooledBuf::pool(&buf), &pool));
    /// ```
    pub fn pool(this: &Self) -> &'a BufPool {
        this.pool
    }
}

/// A pooled byte buffer that owns a handle to its pool: `Send + 'static`, so
/// it can move into spawned tasks, live across `.await` and cross threads.
/// Made by [`BufPool::get_owned`] and [`get_owned`](super::get_owned).
///
/// Everything else is as for [`PooledBuf`]: it dereferences to `Vec<u8>`
/// and goes back to the pool (on whichever thread drops it) when dropped.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use poolkit::buf::{BufPool, OwnedPooledBuf};
///
/// let pool = Arc::new(BufPool::new());
/// let mut buf: OwnedPooledBuf = pool.get_owned(4096);
/// buf.extend_from_slice(b"made here");
/// let len = std::thread::spawn(move || buf.len()).join().unwrap(); // returned there
/// assert_eq!(len, 9);
/// assert_eq!(pool.stats().retained, 1);
/// ```
#[must_use = "dropping the guard gives the buffer straight back to the pool"]
pub struct OwnedPooledBuf {
    /// `None` only once `detach` or `drop` took the buffer out.
    buf: Option<Buf>,
    pool: Arc<BufPool>,
    /// The class the buffer was taken for: `give_back`'s hint.
    class: usize,
}

impl OwnedPooledBuf {
    #[inline]
    pub(super) fn new(pool: Arc<BufPool>, buf: Buf, class: usize) -> Self {
        OwnedPooledBuf {
            buf: Some(buf),
            pool,
            class,
        }
    }

    /// The pool this buffer goes back to.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let pool = Arc::new(poolkit::buf::BufPool::new());
    /// let buf = pool.get_owned(64);
    /// assert!(Arc::ptr_eq(poolkit::buf::OwnedPooledBuf::pool(&buf), &pool));
    /// ```
    pub fn pool(this: &Self) -> &Arc<BufPool> {
        &this.pool
    }
}

macro_rules! buf_guard_traits {
    ($($guard:ident$(<$lt:lifetime>)?),*) => {$(
        impl$(<$lt>)? $guard$(<$lt>)? {
            /// Keeps the buffer for good: it is not given back to the pool
            /// (counted as `detached` in the stats). No allocation, no copy.
            #[inline]
            #[must_use = "the buffer is not given back: dropping it frees it"]
            pub fn detach(mut this: Self) -> Vec<u8> {
                this.pool.note_detached();
                // The box (a `Vec` header) is freed; the storage is kept.
                this.buf.take().map_or_else(Vec::new, |buf| *buf)
            }

            /// The guard's vector. Present from `new` until `detach` or
            /// `drop` consumes the guard, so no caller sees `None`.
            #[inline]
            fn vec(&self) -> &Vec<u8> {
                match &self.buf {
                    Some(buf) => buf,
                    None => &EMPTY,
                }
            }

            #[inline]
            fn vec_mut(&mut self) -> &mut Vec<u8> {
                self.buf.get_or_insert_with(missing_buffer)
            }
        }

        impl$(<$lt>)? Drop for $guard$(<$lt>)? {
            #[inline(always)]
            fn drop(&mut self) {
                // `None`: detached. (A capacity of 0, the storage taken out
                // by the user, is freed uncounted by `give_back`.)
                if let Some(buf) = self.buf.take() {
                    self.pool.give_back(buf, self.class);
                }
            }
        }

        impl$(<$lt>)? Deref for $guard$(<$lt>)? {
            type Target = Vec<u8>;
            #[inline]
            fn deref(&self) -> &Vec<u8> {
                self.vec()
            }
        }

        impl$(<$lt>)? DerefMut for $guard$(<$lt>)? {
            #[inline]
            fn deref_mut(&mut self) -> &mut Vec<u8> {
                self.vec_mut()
            }
        }

        impl$(<$lt>)? AsRef<[u8]> for $guard$(<$lt>)? {
            #[inline]
            fn as_ref(&self) -> &[u8] {
                self.vec()
            }
        }

        impl$(<$lt>)? AsMut<[u8]> for $guard$(<$lt>)? {
            #[inline]
            fn as_mut(&mut self) -> &mut [u8] {
                self.vec_mut()
            }
        }

        impl$(<$lt>)? std::borrow::Borrow<[u8]> for $guard$(<$lt>)? {
            fn borrow(&self) -> &[u8] {
                self.vec()
            }
        }

        impl$(<$lt>)? fmt::Debug for $guard$(<$lt>)? {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self.vec(), f)
            }
        }

        impl$(<$lt>)? io::Write for $guard$(<$lt>)? {
            #[inline]
            fn write(&mut self, data: &[u8]) -> io::Result<usize> {
                self.vec_mut().extend_from_slice(data);
                Ok(data.len())
            }

            #[inline]
            fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
                self.vec_mut().extend_from_slice(data);
                Ok(())
            }

            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }

        impl$(<$lt>)? PartialEq<[u8]> for $guard$(<$lt>)? {
            fn eq(&self, other: &[u8]) -> bool {
                self.vec()[..] == *other
            }
        }
    )*};
}

/// What a guard dereferences to in the state it is never observed in
/// (after `detach` or `drop` took its buffer).
static EMPTY: Vec<u8> = Vec::new();

/// The mutable counterpart of [`EMPTY`]: a fresh empty vector (no
/// allocation of storage). Never called: see the guards' `vec`.
#[cold]
fn missing_buffer() -> Buf {
    Box::default()
}

buf_guard_traits!(PooledBuf<'a>, OwnedPooledBuf);

// The owned guard crosses threads and lives in spawned tasks; the borrowed
// one may be dropped on a scoped thread.
const _: () = {
    const fn send_static<T: Send + 'static>() {}
    const fn send<T: Send>() {}
    send_static::<OwnedPooledBuf>();
    send_static::<PooledBuf<'static>>();
    send::<PooledBuf<'_>>();
};
