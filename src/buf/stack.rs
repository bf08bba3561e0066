//! `StackBuf<N>`: up to `N` bytes inline, past that a pooled buffer.

use std::borrow::{Borrow, BorrowMut};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::io;
use std::ops::{Deref, DerefMut};
use std::str::Utf8Error;

use super::stack_spill::{self as spill, Spill};
use super::{BufPool, PooledBuf};

/// A byte buffer that keeps up to `N` bytes inline (on the stack, or
/// wherever the `StackBuf` itself lives) and moves them into a pooled
/// buffer when it outgrows `N`.
///
/// It is the buffer for short, bounded output on a hot path (a cache key,
/// a log prefix, a small header) that a `format!` or `Vec::new()` would put
/// on the heap every time.
///
/// # Guarantees
///
/// - **Inline**: while `len() <= N` nothing is allocated (checked by
///   `tests/buf_stack_alloc_inline.rs` with dhat). `N = 0` is allowed and
///   spills on the first byte.
/// - **Spilling**: the first write past `N` takes a buffer of capacity at
///   least `max(2 × N, needed)` from a [`BufPool`] (the process-wide
///   [`default_pool`](super::default_pool), or the one given to
///   [`StackBuf::new_in`]) and copies the inline bytes into it; from then on
///   the `StackBuf` writes into that buffer, which goes back to the pool
///   when the `StackBuf` drops. Once the pool is warm, spilling allocates
///   nothing (checked by `tests/buf_stack_alloc_spill.rs`).
/// - **Growing**: a spilled buffer that is full grows through the same pool:
///   the `StackBuf` takes a buffer of at least `max(2 × capacity, needed)`
///   (the next class up), copies its bytes and gives the old buffer back to
///   its class. A warm loop that spills and grows allocates nothing (checked
///   by `tests/buf_stack_alloc_grow.rs`), where a `Vec`-style reallocation
///   would leave the smaller classes empty and miss on every round.
/// - [`clear`](StackBuf::clear) keeps the spilled buffer: a `StackBuf`
///   reused in a loop spills at most once.
/// - **Size**: on 64-bit targets, `size_of::<StackBuf<N>>()` is `N + 1`
///   (the bytes and a one-byte tag) rounded up to a multiple of 8, plus 16
///   (the length and the pool to spill into), for every `N >= 8`:
///   `StackBuf<255>` is 272 bytes, `StackBuf<256>` 280 (checked by a test
///   for several `N`). Moving a `StackBuf` copies all of it: pass it by
///   reference.
/// - Safe code only: `[u8; N]` and a length; a new `StackBuf` zeroes its
///   `N` inline bytes (a `memset`, a few nanoseconds at `N = 256`).
///
/// # Panics
///
/// A write that spills or grows a spilled buffer panics if the allocation
/// it needs fails, as [`BufPool::get`] does (a `Vec` would abort).
///
/// # Examples
///
/// ```
/// use poolkit::buf::StackBuf;
///
/// let mut key = StackBuf::<32>::new();
/// write!(key, "user:{}:{}", 42, "email").unwrap(); // no trait import needed
/// assert_eq!(key.as_str(), Ok("user:42:email"));
/// assert!(key.is_inline());
/// assert_eq!(key.capacity(), 32);
///
/// // Past 32 bytes the content moves to a pooled buffer.
/// key.extend_from_slice(&[b'x'; 40]);
/// assert!(!key.is_inline());
/// assert_eq!(key.len(), 53);
/// assert!(key.capacity() >= 64);
/// assert_eq!(&key[..13], b"user:42:email");
///
/// // Bytes that are not UTF-8 are reported, not hidden.
/// key.clear();
/// key.push(0xff);
/// assert!(key.as_str().is_err());
/// ```
pub struct StackBuf<const N: usize> {
    storage: Storage<N>,
}

enum Storage<const N: usize> {
    Inline {
        len: usize,
        /// `None`: the default pool.
        pool: Option<&'static BufPool>,
        bytes: [u8; N],
    },
    Spilled(Spill),
}

impl<const N: usize> StackBuf<N> {
    /// An empty buffer that spills into the process-wide default buffer
    /// pool. Allocates nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::buf::StackBuf;
    ///
    /// let buf = StackBuf::<64>::new();
    /// assert!(buf.is_empty() && buf.is_inline());
    /// assert_eq!(buf.capacity(), 64);
    /// ```
    #[inline]
    #[must_use]
    pub const fn new() -> Self {
        StackBuf {
            storage: Storage::Inline {
                len: 0,
                pool: None,
                bytes: [0; N],
            },
        }
    }

    /// An empty buffer that spills into `pool` instead of the default one.
    /// Allocates nothing.
    ///
    /// The pool must live for the rest of the program: a `static`, a leaked
    /// `Box`, or [`default_pool`](super::default_pool) itself. This keeps
    /// `StackBuf` free of a lifetime parameter.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::LazyLock;
    /// use poolkit::buf::{BufPool, StackBuf};
    ///
    /// static KEYS: LazyLock<BufPool> = LazyLock::new(BufPool::new);
    ///
    /// let mut key = StackBuf::<8>::new_in(&KEYS);
    /// key.extend_from_slice(b"more than eight bytes");
    /// assert!(!key.is_inline());
    /// drop(key); // its buffer goes back to KEYS
    /// assert_eq!(KEYS.stats().retained, 1);
    /// ```
    #[inline]
    #[must_use]
    pub const fn new_in(pool: &'static BufPool) -> Self {
        StackBuf {
            storage: Storage::Inline {
                len: 0,
                pool: Some(pool),
                bytes: [0; N],
            },
        }
    }

    /// The number of bytes written.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::buf::StackBuf;
    ///
    /// let mut buf = StackBuf::<8>::new();
    /// buf.extend_from_slice(b"abc");
    /// assert_eq!(buf.len(), 3);
    /// ```
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        match &self.storage {
            Storage::Inline { len, .. } => *len,
            Storage::Spilled(spilled) => spilled.len(),
        }
    }

    /// `true` if no bytes are written.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::buf::StackBuf;
    ///
    /// let mut buf = StackBuf::<8>::new();
    /// assert!(buf.is_empty());
    /// buf.push(b'a');
    /// assert!(!buf.is_empty());
    /// ```
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many bytes fit without growing: `N` while inline, the pooled
    /// buffer's capacity once spilled.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::buf::StackBuf;
    ///
    /// let mut buf = StackBuf::<4>::new();
    /// assert_eq!(buf.capacity(), 4);
    /// buf.extend_from_slice(b"12345");
    /// assert!(buf.capacity() >= 8);
    /// ```
    #[inline]
    #[must_use]
    pub fn capacity(&self) -> usize {
        match &self.storage {
            Storage::Inline { .. } => N,
            Storage::Spilled(spilled) => spilled.capacity(),
        }
    }

    /// `true` while the bytes are stored inline, `false` once the buffer has
    /// spilled into a pooled buffer (it stays spilled until dropped, even
    /// after [`clear`](Self::clear)).
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::buf::StackBuf;
    ///
    /// let mut buf = StackBuf::<2>::new();
    /// buf.extend_from_slice(b"ab");
    /// assert!(buf.is_inline()); // exactly N bytes still fit
    /// buf.push(b'c');
    /// assert!(!buf.is_inline());
    /// buf.clear();
    /// assert!(!buf.is_inline());
    /// ```
    #[inline]
    #[must_use]
    pub fn is_inline(&self) -> bool {
        matches!(self.storage, Storage::Inline { .. })
    }

    /// The written bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::buf::StackBuf;
    ///
    /// let mut buf = StackBuf::<8>::new();
    /// buf.extend_from_slice(b"ab");
    /// assert_eq!(buf.as_slice(), b"ab");
    /// ```
    #[inline]
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        match &self.storage {
            Storage::Inline { len, bytes, .. } => &bytes[..*len],
            Storage::Spilled(spilled) => spilled,
        }
    }

    /// The written bytes, mutable (the length cannot change through it).
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::buf::StackBuf;
    ///
    /// let mut buf = StackBuf::<8>::new();
    /// buf.extend_from_slice(b"ab");
    /// buf.as_mut_slice()[0] = b'A';
    /// assert_eq!(&buf[..], b"Ab");
    /// ```
    #[inline]
    #[must_use]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        match &mut self.storage {
            Storage::Inline { len, bytes, .. } => &mut bytes[..*len],
            Storage::Spilled(spilled) => spilled,
        }
    }

    /// The written bytes as a `&str`, or the UTF-8 error if they are not
    /// valid UTF-8 (for example after a multi-byte character was cut by a
    /// raw write).
    ///
    /// # Errors
    ///
    /// [`Utf8Error`] when the bytes are not valid UTF-8.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::buf::StackBuf;
    ///
    /// let mut buf = StackBuf::<8>::new();
    /// buf.extend_from_slice("é".as_bytes());
    /// assert_eq!(buf.as_str(), Ok("é"));
    /// buf.extend_from_slice(&"é".as_bytes()[..1]);
    /// assert_eq!(buf.as_str().unwrap_err().valid_up_to(), 2);
    /// ```
    #[inline]
    pub fn as_str(&self) -> Result<&str, Utf8Error> {
        std::str::from_utf8(self.as_slice())
    }

    /// Appends one byte, spilling if the inline space is full.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::buf::StackBuf;
    ///
    /// let mut buf = StackBuf::<1>::new();
    /// buf.push(b'a');
    /// buf.push(b'b');
    /// assert_eq!(&buf[..], b"ab");
    /// ```
    #[inline]
    pub fn push(&mut self, byte: u8) {
        match &mut self.storage {
            Storage::Inline { len, bytes, .. } if *len < N => {
                bytes[*len] = byte;
                *len += 1;
            }
            Storage::Spilled(spilled) if spilled.len() < spilled.capacity() => spilled.push(byte),
            Storage::Spilled(_) => self.grow_and_extend(&[byte]),
            Storage::Inline { .. } => self.spill_and_extend(&[byte]),
        }
    }

    /// Appends `data`, spilling if it does not fit inline.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::buf::StackBuf;
    ///
    /// let mut buf = StackBuf::<4>::new();
    /// buf.extend_from_slice(b"abcd");
    /// assert!(buf.is_inline());
    /// buf.extend_from_slice(b"e");
    /// assert!(!buf.is_inline());
    /// assert_eq!(&buf[..], b"abcde");
    /// ```
    #[inline]
    pub fn extend_from_slice(&mut self, data: &[u8]) {
        match &mut self.storage {
            Storage::Inline { len, bytes, .. } if data.len() <= N - *len => {
                let end = *len + data.len();
                bytes[*len..end].copy_from_slice(data);
                *len = end;
            }
            Storage::Spilled(spilled) if data.len() <= spilled.capacity() - spilled.len() => {
                spilled.extend_from_slice(data)
            }
            Storage::Spilled(_) => self.grow_and_extend(data),
            Storage::Inline { .. } => self.spill_and_extend(data),
        }
    }

    /// Writes formatted text, as `write!(buf, ...)` does: an inherent
    /// method, so `write!` works on a `StackBuf` with `std::fmt::Write`,
    /// `std::io::Write`, both or neither in scope (with both, and no
    /// inherent method, the call would be ambiguous). Spills like
    /// [`extend_from_slice`](Self::extend_from_slice).
    ///
    /// # Errors
    ///
    /// Never: the `Result` is there so that `write!(..).unwrap()` and `?`
    /// in a function returning `fmt::Result` read as usual. (A `Display`
    /// impl that itself returns an error is passed on.)
    ///
    /// # Examples
    ///
    /// ```
    /// use std::fmt::Write as _;
    /// use std::io::Write as _; // both in scope: `write!` still resolves
    /// use poolkit::buf::StackBuf;
    ///
    /// let mut line = StackBuf::<32>::new();
    /// write!(line, "{} {}", "GET", "/index.html")?;
    /// assert_eq!(line.as_str(), Ok("GET /index.html"));
    /// # Ok::<(), std::fmt::Error>(())
    /// ```
    #[inline]
    pub fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> fmt::Result {
        fmt::Write::write_fmt(self, args)
    }

    /// Shortens the buffer to `new_len` bytes; does nothing if it is not
    /// longer than that. Keeps the storage (inline or spilled).
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::buf::StackBuf;
    ///
    /// let mut buf = StackBuf::<8>::new();
    /// buf.extend_from_slice(b"abc");
    /// buf.truncate(1);
    /// assert_eq!(&buf[..], b"a");
    /// ```
    #[inline]
    pub fn truncate(&mut self, new_len: usize) {
        match &mut self.storage {
            Storage::Inline { len, .. } => *len = new_len.min(*len),
            Storage::Spilled(spilled) => spilled.truncate(new_len),
        }
    }

    /// Removes every byte. A spilled buffer is kept (not returned to the
    /// pool), so a `StackBuf` reused in a loop spills at most once.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::buf::StackBuf;
    ///
    /// let mut buf = StackBuf::<8>::new();
    /// buf.extend_from_slice(b"abc");
    /// buf.clear();
    /// assert!(buf.is_empty());
    /// ```
    #[inline]
    pub fn clear(&mut self) {
        self.truncate(0);
    }

    /// Moves the inline bytes and `data` into a pooled buffer. Only called
    /// when inline and `data` does not fit.
    #[cold]
    #[inline(never)]
    fn spill_and_extend(&mut self, data: &[u8]) {
        let Storage::Inline { len, pool, bytes } = &self.storage else {
            unreachable!("spill_and_extend is only called on an inline buffer");
        };
        let needed = len
            .checked_add(data.len())
            .expect("a slice's length plus at most N bytes fits in usize");
        let mut spilled = spill::take(*pool, needed.max(N.saturating_mul(2)));
        spilled.extend_from_slice(&bytes[..*len]);
        spilled.extend_from_slice(data);
        self.storage = Storage::Spilled(spilled);
    }

    /// Moves the spilled bytes and `data` into a larger buffer from the same
    /// pool; the old buffer goes back to its class. Only called when spilled
    /// and `data` does not fit.
    #[cold]
    #[inline(never)]
    fn grow_and_extend(&mut self, data: &[u8]) {
        let Storage::Spilled(old) = &self.storage else {
            unreachable!("grow_and_extend is only called on a spilled buffer");
        };
        let needed = old
            .len()
            .checked_add(data.len())
            .expect("two slices' lengths fit in usize");
        let mut grown = spill::grow(old, needed);
        grown.extend_from_slice(old);
        grown.extend_from_slice(data);
        // The old buffer drops here: back to the class of its capacity.
        self.storage = Storage::Spilled(grown);
    }

    /// The bytes as a plain `Vec<u8>`. A spilled buffer is detached from its
    /// pool and returned without copying; inline bytes are copied into a new
    /// `Vec` of exactly `len()` bytes (one allocation, none when empty).
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::buf::StackBuf;
    ///
    /// let mut buf = StackBuf::<8>::new();
    /// buf.extend_from_slice(b"abc");
    /// assert_eq!(buf.into_vec(), b"abc".to_vec());
    /// ```
    #[must_use]
    pub fn into_vec(self) -> Vec<u8> {
        match self.storage {
            Storage::Inline { len, bytes, .. } => bytes[..len].to_vec(),
            Storage::Spilled(spilled) => spill::detach(spilled),
        }
    }

    /// The bytes in a pooled buffer (from the pool this `StackBuf` spills
    /// into). A spilled buffer is handed over as it is; inline bytes are
    /// copied into a buffer taken from the pool (no allocation once the
    /// pool is warm).
    ///
    /// # Panics
    ///
    /// If inline and the pool must allocate and the allocation fails (see
    /// [`BufPool::get`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::buf::{PooledBuf, StackBuf};
    ///
    /// let mut buf = StackBuf::<8>::new();
    /// buf.extend_from_slice(b"abc");
    /// let mut pooled: PooledBuf<'static> = buf.into_pooled();
    /// pooled.extend_from_slice(b"def"); // a Vec<u8> from here on
    /// assert_eq!(&pooled[..], b"abcdef");
    /// ```
    #[must_use = "dropping the buffer gives it straight back to the pool"]
    #[track_caller]
    pub fn into_pooled(self) -> PooledBuf<'static> {
        match self.storage {
            Storage::Inline { len, pool, bytes } => {
                let mut pooled = spill::take(pool, len);
                pooled.extend_from_slice(&bytes[..len]);
                pooled
            }
            Storage::Spilled(spilled) => spilled,
        }
    }
}

impl<const N: usize> Default for StackBuf<N> {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Deref for StackBuf<N> {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl<const N: usize> DerefMut for StackBuf<N> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl<const N: usize> AsRef<[u8]> for StackBuf<N> {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl<const N: usize> AsMut<[u8]> for StackBuf<N> {
    #[inline]
    fn as_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl<const N: usize> Borrow<[u8]> for StackBuf<N> {
    #[inline]
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl<const N: usize> BorrowMut<[u8]> for StackBuf<N> {
    #[inline]
    fn borrow_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

/// Compares the written bytes only: where they are stored does not matter.
impl<const N: usize, const M: usize> PartialEq<StackBuf<M>> for StackBuf<N> {
    fn eq(&self, other: &StackBuf<M>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<const N: usize> Eq for StackBuf<N> {}

impl<const N: usize> PartialEq<[u8]> for StackBuf<N> {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl<const N: usize> Hash for StackBuf<N> {
    /// Hashes like the `[u8]` it derefs to (as [`Borrow`] requires).
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

/// Shows the bytes like a `b"..."` string literal, and where they live.
impl<const N: usize> fmt::Debug for StackBuf<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StackBuf")
            .field("inline", &self.is_inline())
            .field("bytes", &self.as_slice().escape_ascii().to_string())
            .finish()
    }
}

impl<const N: usize> Extend<u8> for StackBuf<N> {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, iter: I) {
        for byte in iter {
            self.push(byte);
        }
    }
}

impl<'a, const N: usize> Extend<&'a u8> for StackBuf<N> {
    fn extend<I: IntoIterator<Item = &'a u8>>(&mut self, iter: I) {
        for &byte in iter {
            self.push(byte);
        }
    }
}

/// Never fails: writes everything, spilling if needed.
impl<const N: usize> io::Write for StackBuf<N> {
    #[inline]
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.extend_from_slice(data);
        Ok(data.len())
    }

    #[inline]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.extend_from_slice(data);
        Ok(())
    }

    #[inline]
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Never fails: writes everything, spilling if needed.
impl<const N: usize> fmt::Write for StackBuf<N> {
    #[inline]
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

impl<const N: usize> From<StackBuf<N>> for Vec<u8> {
    /// See [`StackBuf::into_vec`].
    fn from(buf: StackBuf<N>) -> Vec<u8> {
        buf.into_vec()
    }
}
