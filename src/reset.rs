//! The [`Reset`] trait: "drop the contents, keep the allocation".

use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;

/// Returns an object to its empty state while keeping the memory it owns,
/// so that the next user of a pooled object gets a clean value without a
/// fresh allocation.
///
/// A [`Pool`](crate::Pool) built with [`Pool::new`](crate::Pool::new) calls
/// `reset` on every object that comes back, before the object is stored.
///
/// # Contract
///
/// - After `reset`, the value must be indistinguishable, through its public
///   API, from a freshly made empty value (no stale contents may leak to the
///   next user).
/// - `reset` should keep the heap memory the value owns: that is the point of
///   pooling. Types whose clearing gives memory back are listed below.
/// - `reset` may panic; the pool then drops that one object and stays usable.
///
/// # Which implementations keep their allocation
///
/// | type | keeps its allocation? |
/// |---|---|
/// | `Vec`, `String`, `VecDeque`, `HashMap`, `HashSet`, `BinaryHeap` | yes: `clear()` keeps the capacity, but **drops the elements**, and with them whatever they own |
/// | [`Slots<T>`](crate::Slots) | yes, and the elements too: each is reset in place and reused by the next push |
/// | `BTreeMap`, `BTreeSet` | **no**: a B-tree frees its nodes when cleared; pooling one saves only the (small) root value |
/// | `Box<T>` | the box itself is kept; the contents follow `T`'s rule |
/// | `Option<T>` | set to `None`: the inner value is dropped |
/// | integers (`u8` … `u128`, `i8` … `i128`, `usize`, `isize`) | set to `0` (nothing to keep) |
/// | `f32`, `f64` | set to `0.0` |
/// | `bool` | set to `false` |
/// | `char` | set to `'\0'` |
/// | `std::time::Duration` | set to `Duration::ZERO` |
/// | `bytes::BytesMut` (feature `bytes`) | yes, when the buffer is uniquely owned |
///
/// # Examples
///
/// ```
/// use poolkit::Reset;
///
/// let mut v = Vec::with_capacity(64);
/// v.extend_from_slice(b"request body");
/// v.reset();
/// assert!(v.is_empty());
/// assert!(v.capacity() >= 64); // the allocation is still there
///
/// // Your own types: reset every field, keep the buffers. (With the
/// // `derive` feature, `#[derive(Reset)]` writes this impl, and cannot
/// // forget a field added later.)
/// use poolkit::Slots;
///
/// #[derive(Default)]
/// struct Scratch {
///     words: Slots<String>, // not `Vec<String>`: see below
///     line: String,
/// }
/// impl Reset for Scratch {
///     fn reset(&mut self) {
///         self.words.reset();
///         self.line.reset();
///     }
/// }
///
/// let mut scratch = Scratch::default();
/// scratch.line.push_str("GET /index.html");
/// for word in scratch.line.split(' ') {
///     scratch.words.push_with(|w| w.push_str(word));
/// }
/// scratch.reset();
/// assert!(scratch.line.is_empty() && scratch.words.is_empty());
/// // The two Strings are kept, emptied, for the next line:
/// assert_eq!(scratch.words.retained(), 2);
/// ```
///
/// # Collections of owning values: `Vec<String>` versus `Slots<String>`
///
/// `Vec<T>::reset` keeps the `Vec`'s own buffer but drops every element: a
/// pooled `Vec<String>` frees all its `String`s on each reset, and every
/// field pushed into it next is a fresh allocation. When the elements own
/// memory, use [`Slots<T>`](crate::Slots), which resets them in place:
///
/// ```
/// use poolkit::{Reset, Slots};
///
/// let mut fields: Vec<String> = vec![String::with_capacity(64)];
/// fields.reset();
/// assert_eq!(fields.capacity(), 1); // the outer buffer is kept...
/// // ...but the String and its 64 bytes are gone.
///
/// let mut fields: Slots<String> = Slots::new();
/// fields.push(String::with_capacity(64));
/// fields.reset();
/// assert!(fields.is_empty());
/// assert!(fields.push_with(|_| {}).capacity() >= 64); // the String is kept
/// ```
///
/// # Plain values
///
/// Numbers, `bool`, `char`, `Option<_>` and `Duration` reset to their
/// `Default` (the table above), so that a struct of counters, flags and
/// buffers takes `#[derive(Reset)]` with no attribute. A field that must
/// keep its value (an id) or get another one (a counter back to 1) says so
/// with `#[reset(skip)]` or `#[reset(value = ...)]`:
///
/// ```
/// use std::time::Duration;
/// use poolkit::Reset;
///
/// let (mut hits, mut ratio, mut open, mut tag) = (7u64, 0.5f64, true, 'x');
/// let mut elapsed = Duration::from_millis(3);
/// hits.reset();
/// ratio.reset();
/// open.reset();
/// tag.reset();
/// elapsed.reset();
/// assert_eq!((hits, ratio, open, tag, elapsed), (0, 0.0, false, '\0', Duration::ZERO));
/// ```
///
/// A type without an impl is named in the compiler's error, with the two
/// attributes that settle it in a derived impl.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `poolkit::Reset`",
    label = "`{Self}` has no `Reset` impl",
    note = "in `#[derive(Reset)]`, mark the field `#[reset(skip)]` to keep its value, or `#[reset(value = EXPR)]` to assign `EXPR` at every reset",
    note = "or implement `poolkit::Reset` for `{Self}`"
)]
pub trait Reset {
    /// Clears the value's contents, keeping its allocation where the type
    /// allows.
    fn reset(&mut self);

    /// The heap bytes this value owns, as far as it can tell: what a pool
    /// that keeps it pins. A [`Pool`](crate::Pool) calls it on each returned
    /// object after `reset` (so for a collection, only its own buffers and
    /// whatever the reset kept), adds it up in
    /// [`PoolStats::retained_bytes`](crate::PoolStats::retained_bytes), and
    /// enforces [`PoolBuilder::max_retained_bytes`](crate::PoolBuilder::max_retained_bytes)
    /// with it.
    ///
    /// The default is 0 (the type owns nothing, or does not say). Override
    /// it for types that own buffers; it must not change while the value
    /// sits unused in a pool, and it should be cheap, as it runs on every
    /// return. Counts capacity, not length; allocator overhead is not
    /// counted, and for hash tables the figure is an estimate (buckets times
    /// entry size).
    ///
    /// ```
    /// use poolkit::Reset;
    ///
    /// struct Frame {
    ///     pixels: Vec<u32>,
    ///     caption: String,
    /// }
    /// impl Reset for Frame {
    ///     fn reset(&mut self) {
    ///         self.pixels.reset();
    ///         self.caption.reset();
    ///     }
    ///     fn heap_bytes(&self) -> usize {
    ///         self.pixels.heap_bytes() + self.caption.heap_bytes()
    ///     }
    /// }
    ///
    /// let frame = Frame { pixels: Vec::with_capacity(16), caption: String::with_capacity(8) };
    /// assert!(frame.heap_bytes() >= 16 * 4 + 8);
    /// ```
    #[inline]
    fn heap_bytes(&self) -> usize {
        0
    }
}

/// Bytes of a buffer of `capacity` elements of `T` (saturating).
#[inline]
fn buffer_bytes<T>(capacity: usize) -> usize {
    capacity.saturating_mul(std::mem::size_of::<T>())
}

impl<T> Reset for Vec<T> {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }

    /// The buffer: `capacity() × size_of::<T>()` (the elements' own heap
    /// memory is not counted; after `reset` there are none).
    #[inline]
    fn heap_bytes(&self) -> usize {
        buffer_bytes::<T>(self.capacity())
    }
}

impl Reset for String {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }

    #[inline]
    fn heap_bytes(&self) -> usize {
        self.capacity()
    }
}

impl<T> Reset for VecDeque<T> {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }

    #[inline]
    fn heap_bytes(&self) -> usize {
        buffer_bytes::<T>(self.capacity())
    }
}

impl<K, V, S: BuildHasher> Reset for HashMap<K, V, S> {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }

    /// An estimate: `capacity() × size_of::<(K, V)>()`.
    #[inline]
    fn heap_bytes(&self) -> usize {
        buffer_bytes::<(K, V)>(self.capacity())
    }
}

impl<T, S: BuildHasher> Reset for HashSet<T, S> {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }

    /// An estimate: `capacity() × size_of::<T>()`.
    #[inline]
    fn heap_bytes(&self) -> usize {
        buffer_bytes::<T>(self.capacity())
    }
}

impl<T> Reset for BinaryHeap<T> {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }

    #[inline]
    fn heap_bytes(&self) -> usize {
        buffer_bytes::<T>(self.capacity())
    }
}

/// Frees the tree's nodes: see the table on [`Reset`].
impl<K, V> Reset for BTreeMap<K, V> {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }
}

/// Frees the tree's nodes: see the table on [`Reset`].
impl<T> Reset for BTreeSet<T> {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }
}

impl<T: Reset + ?Sized> Reset for Box<T> {
    #[inline]
    fn reset(&mut self) {
        (**self).reset();
    }

    /// The box plus what its contents report.
    #[inline]
    fn heap_bytes(&self) -> usize {
        std::mem::size_of_val::<T>(self).saturating_add((**self).heap_bytes())
    }
}

impl<T> Reset for Option<T> {
    #[inline]
    fn reset(&mut self) {
        *self = None;
    }
}

/// `Reset` for plain values: each is set to `$zero`, its `Default`.
macro_rules! reset_to {
    ($zero:expr => $($ty:ty),* $(,)?) => {$(
        #[doc = concat!("Sets the value to `", stringify!($zero), "`.")]
        impl Reset for $ty {
            #[inline]
            fn reset(&mut self) {
                *self = $zero;
            }
        }
    )*};
}

reset_to!(0 => u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);
reset_to!(0.0 => f32, f64);
reset_to!(false => bool);
reset_to!('\0' => char);
reset_to!(std::time::Duration::ZERO => std::time::Duration);

/// Clears the buffer. The allocation is kept when this `BytesMut` is its
/// only owner (no `Bytes` split off from it is still alive).
#[cfg(feature = "bytes")]
impl Reset for bytes::BytesMut {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }

    #[inline]
    fn heap_bytes(&self) -> usize {
        self.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_keeps<T: Reset>(
        mut value: T,
        is_empty: impl Fn(&T) -> bool,
        cap: impl Fn(&T) -> usize,
    ) {
        let before = cap(&value);
        assert!(!is_empty(&value));
        value.reset();
        assert!(is_empty(&value));
        assert_eq!(cap(&value), before, "reset must keep the allocation");
    }

    #[test]
    fn std_collections_clear_and_keep_capacity() {
        check_keeps(vec![1u8; 100], |v| v.is_empty(), |v| v.capacity());
        check_keeps(
            String::from("hello world"),
            |s| s.is_empty(),
            |s| s.capacity(),
        );
        check_keeps(
            VecDeque::from(vec![1, 2, 3]),
            |v| v.is_empty(),
            |v| v.capacity(),
        );
        let map: HashMap<u32, u32> = (0..50).map(|i| (i, i)).collect();
        check_keeps(map, |m| m.is_empty(), |m| m.capacity());
        let set: HashSet<u32> = (0..50).collect();
        check_keeps(set, |s| s.is_empty(), |s| s.capacity());
        let heap: BinaryHeap<u32> = (0..50).collect();
        check_keeps(heap, |h| h.is_empty(), |h| h.capacity());
        check_keeps(Box::new(vec![7u64; 9]), |b| b.is_empty(), |b| b.capacity());
    }

    #[test]
    fn btree_and_option_are_emptied() {
        let mut map: BTreeMap<u32, u32> = (0..50).map(|i| (i, i)).collect();
        map.reset();
        assert!(map.is_empty());
        let mut set: BTreeSet<u32> = (0..50).collect();
        set.reset();
        assert!(set.is_empty());
        let mut opt = Some(String::from("x"));
        opt.reset();
        assert!(opt.is_none());
    }

    #[test]
    fn plain_values_reset_to_their_default() {
        fn check<T: Reset + Default + PartialEq + std::fmt::Debug>(mut value: T) {
            assert_ne!(value, T::default(), "pick a value that is not the default");
            value.reset();
            assert_eq!(value, T::default());
            assert_eq!(value.heap_bytes(), 0);
        }
        check(7u8);
        check(7u16);
        check(7u32);
        check(u64::MAX);
        check(7u128);
        check(7usize);
        check(-7i8);
        check(-7i16);
        check(-7i32);
        check(i64::MIN);
        check(-7i128);
        check(-7isize);
        check(1.5f32);
        check(2.5f64);
        check(true);
        check('x');
        check(std::time::Duration::from_nanos(1));
        let mut zero = -0.0f64;
        zero.reset();
        assert!(zero.is_sign_positive(), "0.0, not -0.0");
    }

    #[cfg(feature = "bytes")]
    #[test]
    fn bytes_mut_clears_and_keeps_capacity() {
        let mut b = bytes::BytesMut::with_capacity(256);
        b.extend_from_slice(b"abc");
        let cap = b.capacity();
        b.reset();
        assert!(b.is_empty());
        assert_eq!(b.capacity(), cap);
    }
}
