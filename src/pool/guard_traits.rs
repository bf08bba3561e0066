//! Guards act like the value they hold: the standard traits that `Box<T>`
//! forwards to its contents, forwarded for [`Pooled`] and [`OwnedPooled`].
//!
//! Every impl goes through `Deref`/`DerefMut` only: it sees the value, never
//! the pool, so a guard compares, hashes, prints, reads and writes exactly as
//! its value does. Comparisons are between two guards of the same kind, as
//! for `Box` (compare with a plain value through `*guard`).
//!
//! Clippy's `mutable_key_type` lint flags a guard used as a map or set key,
//! because the pool behind it has interior mutability. The guard's `Hash`,
//! `Eq` and `Ord` read only the value, so a key cannot change while it is in
//! a map unless the value itself can: allow the lint, or list the guards
//! under `ignore-interior-mutability` in `clippy.toml`.

use std::borrow::{Borrow, BorrowMut};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::io;

use super::{OwnedPooled, Pooled};

macro_rules! forward_value_traits {
    ($($guard:ident$(<$lt:lifetime>)?),*) => {$(
        /// Prints the value.
        impl<$($lt,)? T: Send + fmt::Display> fmt::Display for $guard<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }

        /// Compares the values.
        impl<$($lt,)? T: Send + PartialEq> PartialEq for $guard<$($lt,)? T> {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                **self == **other
            }
        }

        impl<$($lt,)? T: Send + Eq> Eq for $guard<$($lt,)? T> {}

        /// Orders by the values.
        impl<$($lt,)? T: Send + PartialOrd> PartialOrd for $guard<$($lt,)? T> {
            #[inline]
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                (**self).partial_cmp(&**other)
            }
            #[inline]
            fn lt(&self, other: &Self) -> bool {
                **self < **other
            }
            #[inline]
            fn le(&self, other: &Self) -> bool {
                **self <= **other
            }
            #[inline]
            fn gt(&self, other: &Self) -> bool {
                **self > **other
            }
            #[inline]
            fn ge(&self, other: &Self) -> bool {
                **self >= **other
            }
        }

        /// Orders by the values.
        impl<$($lt,)? T: Send + Ord> Ord for $guard<$($lt,)? T> {
            #[inline]
            fn cmp(&self, other: &Self) -> Ordering {
                (**self).cmp(&**other)
            }
        }

        /// Hashes the value, as `T` does: a guard and its value hash alike,
        /// so a set of guards can be searched with a `&T` (see `Borrow`).
        impl<$($lt,)? T: Send + Hash> Hash for $guard<$($lt,)? T> {
            #[inline]
            fn hash<H: Hasher>(&self, state: &mut H) {
                (**self).hash(state);
            }
        }

        impl<$($lt,)? T: Send> Borrow<T> for $guard<$($lt,)? T> {
            #[inline]
            fn borrow(&self) -> &T {
                self
            }
        }

        impl<$($lt,)? T: Send> BorrowMut<T> for $guard<$($lt,)? T> {
            #[inline]
            fn borrow_mut(&mut self) -> &mut T {
                self
            }
        }

        /// Writes into the value (a pooled `Vec<u8>`, a pooled file...).
        impl<$($lt,)? T: Send + io::Write> io::Write for $guard<$($lt,)? T> {
            #[inline]
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                (**self).write(buf)
            }
            #[inline]
            fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
                (**self).write_vectored(bufs)
            }
            #[inline]
            fn flush(&mut self) -> io::Result<()> {
                (**self).flush()
            }
            #[inline]
            fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
                (**self).write_all(buf)
            }
            #[inline]
            fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> io::Result<()> {
                (**self).write_fmt(args)
            }
        }

        /// Reads from the value.
        impl<$($lt,)? T: Send + io::Read> io::Read for $guard<$($lt,)? T> {
            #[inline]
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                (**self).read(buf)
            }
            #[inline]
            fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
                (**self).read_vectored(bufs)
            }
            #[inline]
            fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
                (**self).read_to_end(buf)
            }
            #[inline]
            fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
                (**self).read_to_string(buf)
            }
            #[inline]
            fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
                (**self).read_exact(buf)
            }
        }
    )*};
}

forward_value_traits!(Pooled<'a>, OwnedPooled);
