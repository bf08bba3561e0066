//! The guards that give pooled objects back when dropped.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::Pool;

/// A pooled object borrowed from a [`Pool`]; dropping it gives the object
/// back (reset, then kept or dropped, see [`Pool`]).
///
/// It borrows the pool, so it cannot outlive it. It is `Send` when `T` is:
/// it may be dropped on another (scoped) thread, whose cache then takes the
/// object. For a guard that owns its pool (`'static`, for `.await` and
/// spawned tasks) see [`OwnedPooled`].
///
/// If the guard is dropped while its thread is panicking, the object is
/// dropped instead of reset and reused: it may be half-updated.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use poolkit::{Pool, Pooled};
///
/// let pool: Pool<Vec<u8>> = Pool::new(Vec::new);
/// let mut body = pool.get();
/// write!(body, "hello {}", 42).unwrap();
/// assert_eq!(&body[..], b"hello 42");
/// drop(body); // cleared and kept for the next get
///
/// let kept = Pooled::detach(pool.get()); // or keep it for good
/// assert!(kept.is_empty());
/// assert_eq!(pool.stats().detached, 1);
/// ```
#[must_use = "dropping the guard gives the object straight back to the pool"]
pub struct Pooled<'a, T: Send> {
    // Always `Some` until `drop` or `detach` takes it.
    value: Option<Box<T>>,
    pool: &'a Pool<T>,
}

impl<'a, T: Send> Pooled<'a, T> {
    #[inline]
    pub(crate) fn new(pool: &'a Pool<T>, value: Box<T>) -> Self {
        Pooled {
            value: Some(value),
            pool,
        }
    }

    /// The pool this object came from.
    ///
    /// An associated function (`Pooled::pool(&guard)`), not a method, so
    /// that it never hides a method of the same name on `T` (as
    /// [`Box::leak`] and [`Arc::strong_count`] do).
    ///
    /// ```
    /// use poolkit::{Pool, Pooled};
    ///
    /// let pool = Pool::new(Vec::<u8>::new);
    /// let guard = pool.get();
    /// assert!(std::ptr::eq(Pooled::pool(&guard), &pool));
    /// ```
    pub fn pool(this: &Self) -> &'a Pool<T> {
        this.pool
    }
}

/// A pooled object that owns a handle to its pool: `Send + 'static` when `T`
/// is `Send + 'static`, so it can cross threads, move into spawned tasks and
/// live across `.await`. Made by [`Pool::get_owned`].
///
/// Dropping it gives the object back on whichever thread drops it, exactly
/// like [`Pooled`]. It keeps the pool alive until then.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use poolkit::{OwnedPooled, Pool};
///
/// let pool: Arc<Pool<String>> = Arc::new(Pool::new(String::new));
/// let mut line: OwnedPooled<String> = pool.get_owned();
/// line.push_str("made on one thread");
/// let len = std::thread::spawn(move || line.len()) // returned on another
///     .join()
///     .unwrap();
/// assert_eq!(len, 18);
/// assert_eq!(pool.stats().retained, 1);
/// ```
#[must_use = "dropping the guard gives the object straight back to the pool"]
pub struct OwnedPooled<T: Send> {
    // Always `Some` until `drop` or `detach` takes it.
    value: Option<Box<T>>,
    pool: Arc<Pool<T>>,
}

impl<T: Send> OwnedPooled<T> {
    #[inline]
    pub(crate) fn new(pool: Arc<Pool<T>>, value: Box<T>) -> Self {
        OwnedPooled {
            value: Some(value),
            pool,
        }
    }

    /// The pool this object came from.
    ///
    /// An associated function (`OwnedPooled::pool(&guard)`), not a method,
    /// so that it never hides a method of the same name on `T`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use poolkit::{OwnedPooled, Pool};
    ///
    /// let pool = Arc::new(Pool::new(Vec::<u8>::new));
    /// let guard = pool.get_owned();
    /// assert!(Arc::ptr_eq(OwnedPooled::pool(&guard), &pool));
    /// ```
    pub fn pool(this: &Self) -> &Arc<Pool<T>> {
        &this.pool
    }
}

#[inline]
fn take<T>(slot: &mut Option<Box<T>>) -> Box<T> {
    slot.take()
        .expect("a guard's value is present until drop or detach")
}

#[inline]
fn get<T>(slot: &Option<Box<T>>) -> &T {
    slot.as_ref()
        .expect("a guard's value is present until drop or detach")
}

#[inline]
fn get_mut<T>(slot: &mut Option<Box<T>>) -> &mut T {
    slot.as_mut()
        .expect("a guard's value is present until drop or detach")
}

macro_rules! guard_traits {
    ($($guard:ident$(<$lt:lifetime>)?),*) => {$(
        impl<$($lt,)? T: Send> $guard<$($lt,)? T> {
            /// Keeps the object for good: it is not given back to the pool.
            /// Frees the small box the pool kept the object in (see
            /// [`Pool::put`]).
            ///
            /// An associated function (`Pooled::detach(guard)`), not a
            /// method, so that it never hides a method of the same name on
            /// `T` (as [`Box::into_inner`] does).
            #[inline]
            #[must_use = "the object is not given back: dropping it frees it"]
            pub fn detach(mut this: Self) -> T {
                let value = take(&mut this.value);
                this.pool.note_detached();
                *value
            }
        }

        impl<$($lt,)? T: Send> Drop for $guard<$($lt,)? T> {
            #[inline(always)]
            fn drop(&mut self) {
                if let Some(value) = self.value.take() {
                    self.pool.give_back(value);
                }
            }
        }

        impl<$($lt,)? T: Send> Deref for $guard<$($lt,)? T> {
            type Target = T;
            #[inline]
            fn deref(&self) -> &T {
                get(&self.value)
            }
        }

        impl<$($lt,)? T: Send> DerefMut for $guard<$($lt,)? T> {
            #[inline]
            fn deref_mut(&mut self) -> &mut T {
                get_mut(&mut self.value)
            }
        }

        impl<$($lt,)? T: Send> AsRef<T> for $guard<$($lt,)? T> {
            fn as_ref(&self) -> &T {
                self
            }
        }

        impl<$($lt,)? T: Send> AsMut<T> for $guard<$($lt,)? T> {
            fn as_mut(&mut self) -> &mut T {
                self
            }
        }

        impl<$($lt,)? T: Send + fmt::Debug> fmt::Debug for $guard<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(get(&self.value), f)
            }
        }
    )*};
}

guard_traits!(Pooled<'a>, OwnedPooled);

// The owned guard must be able to cross threads and live in spawned tasks.
const _: () = {
    const fn send_static<T: Send + 'static>() {}
    send_static::<OwnedPooled<Vec<u8>>>();
};
