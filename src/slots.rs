//! [`Slots<T>`]: a growable list that keeps its elements, and their
//! allocations, across clears.

use std::fmt;
use std::ops::{Deref, DerefMut, Index, IndexMut};
use std::slice::{self, SliceIndex};

use crate::Reset;

/// How many slots [`Slots::new`] keeps across a [`clear`](Slots::clear).
pub const DEFAULT_MAX_RETAINED: usize = 1024;

/// A list whose elements survive [`clear`](Self::clear): they are reset in
/// place and handed out again by the next pushes, so the allocations they
/// own (a `String`'s buffer, an inner `Vec`) are reused instead of freed and
/// made again.
///
/// # When to use it instead of `Vec<T>`
///
/// `Vec::clear` drops every element, so a pooled `Vec<String>` keeps only its
/// outer buffer: every `String` pushed after a reset is a fresh allocation.
/// Use `Slots<T>` when the elements own heap memory and the list is refilled
/// over and over (a line split into owned fields, a batch of rows, a list of
/// headers), typically inside a [`Pool`](crate::Pool). For elements that own
/// nothing (`u32`, `(usize, usize)`, `&str`) a `Vec<T>` is as good and simpler.
///
/// # What it keeps (the bound)
///
/// Elements at positions `len()..` are *spare slots*: reset, not visible
/// through the list, waiting for the next push. After `clear` (or
/// [`Reset::reset`]) at most [`max_retained`](Self::max_retained) slots are
/// kept ([`DEFAULT_MAX_RETAINED`] unless set with
/// [`with_max_retained`](Self::with_max_retained)); the rest are dropped.
/// Between clears the list holds as many slots as it has ever held since the
/// last clear. How much heap each slot keeps is the element type's business:
/// a `String` keeps the largest capacity it reached. To bound the bytes too,
/// refuse oversized lists on return to a pool with
/// [`PoolBuilder::accept`](crate::PoolBuilder::accept).
///
/// # Guarantees
///
/// - **No stale contents**: a slot is reset before it is handed out again,
///   so no element of an earlier fill is visible after `clear`, `truncate`
///   or `reset`.
/// - **No allocation once warm**: when the spare slots are enough and each
///   element's own capacity is enough, pushes allocate nothing (checked by
///   `tests/slots_alloc_parse_loop.rs`).
/// - **Panics**: if an element's `reset` panics during `clear`, the elements
///   not yet reset stay in the list (visible, never handed out as spare) and
///   the panic propagates.
///
/// # Examples
///
/// ```
/// use poolkit::{Pool, Slots};
///
/// let pool = Pool::new(Slots::<String>::new);
/// for line in ["GET /index.html 200", "POST /login 302"] {
///     let mut fields = pool.get();
///     for word in line.split(' ') {
///         fields.push_with(|field| field.push_str(word)); // reuses a String
///     }
///     assert_eq!(fields.len(), 3);
///     assert!(fields[0] == "GET" || fields[0] == "POST");
/// } // cleared on return: the three Strings are kept, emptied
/// assert_eq!(pool.get().retained(), 3);
/// ```
pub struct Slots<T> {
    /// Live elements in `slots[..len]`; reset spare slots in `slots[len..]`.
    slots: Vec<T>,
    len: usize,
    max_retained: usize,
}

impl<T> Slots<T> {
    /// An empty list that keeps at most [`DEFAULT_MAX_RETAINED`] slots across
    /// a clear. Allocates nothing until the first push.
    ///
    /// ```
    /// let slots = poolkit::Slots::<String>::new();
    /// assert!(slots.is_empty());
    /// assert_eq!(slots.max_retained(), poolkit::slots::DEFAULT_MAX_RETAINED);
    /// ```
    pub const fn new() -> Self {
        Self::with_max_retained(DEFAULT_MAX_RETAINED)
    }

    /// An empty list that keeps at most `max_retained` slots across a clear
    /// (0: keep none, every clear drops every element). The list may hold
    /// more than `max_retained` elements between clears.
    ///
    /// ```
    /// use poolkit::Slots;
    ///
    /// let mut slots = Slots::<String>::with_max_retained(2);
    /// for word in ["a", "b", "c"] {
    ///     slots.push_with(|s| s.push_str(word));
    /// }
    /// assert_eq!(slots.len(), 3); // no limit on the length
    /// slots.clear();
    /// assert_eq!(slots.retained(), 2); // the third String was dropped
    /// ```
    pub const fn with_max_retained(max_retained: usize) -> Self {
        Slots {
            slots: Vec::new(),
            len: 0,
            max_retained,
        }
    }

    /// How many slots a clear keeps at most.
    pub fn max_retained(&self) -> usize {
        self.max_retained
    }

    /// Changes how many slots a clear keeps; takes effect at the next clear.
    ///
    /// ```
    /// let mut slots = poolkit::Slots::<Vec<u8>>::new();
    /// slots.set_max_retained(8);
    /// assert_eq!(slots.max_retained(), 8);
    /// ```
    pub fn set_max_retained(&mut self, max_retained: usize) {
        self.max_retained = max_retained;
    }

    /// The number of elements in the list (spare slots not counted).
    ///
    /// ```
    /// let mut slots = poolkit::Slots::new();
    /// slots.push(String::from("x"));
    /// assert_eq!(slots.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when the list has no elements (it may still keep spare slots).
    ///
    /// ```
    /// let mut slots = poolkit::Slots::new();
    /// assert!(slots.is_empty());
    /// slots.push(String::from("x"));
    /// slots.clear();
    /// assert!(slots.is_empty());
    /// assert_eq!(slots.retained(), 1);
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every slot the list holds: its elements plus its spare slots.
    ///
    /// ```
    /// let mut slots = poolkit::Slots::new();
    /// slots.push(String::from("a"));
    /// slots.push(String::from("b"));
    /// slots.truncate(1);
    /// assert_eq!((slots.len(), slots.retained()), (1, 2));
    /// ```
    pub fn retained(&self) -> usize {
        self.slots.len()
    }

    /// The elements, as a slice.
    ///
    /// ```
    /// let mut slots = poolkit::Slots::new();
    /// slots.push(String::from("a"));
    /// assert_eq!(slots.as_slice(), ["a"]);
    /// ```
    pub fn as_slice(&self) -> &[T] {
        &self.slots[..self.len]
    }

    /// The elements, as a mutable slice.
    ///
    /// ```
    /// let mut slots = poolkit::Slots::new();
    /// slots.push(String::from("a"));
    /// slots.as_mut_slice()[0].push('!');
    /// assert_eq!(slots[0], "a!");
    /// ```
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.slots[..self.len]
    }

    /// An iterator over the elements.
    ///
    /// ```
    /// let mut slots = poolkit::Slots::new();
    /// slots.push(String::from("a"));
    /// slots.push(String::from("b"));
    /// let joined: Vec<&str> = slots.iter().map(String::as_str).collect();
    /// assert_eq!(joined, ["a", "b"]);
    /// ```
    pub fn iter(&self) -> slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    /// An iterator that lets you change the elements.
    ///
    /// ```
    /// let mut slots = poolkit::Slots::new();
    /// slots.push(String::from("a"));
    /// for s in slots.iter_mut() {
    ///     s.make_ascii_uppercase();
    /// }
    /// assert_eq!(slots[0], "A");
    /// ```
    pub fn iter_mut(&mut self) -> slice::IterMut<'_, T> {
        self.as_mut_slice().iter_mut()
    }

    /// Appends `value`. A spare slot, if any, is dropped and replaced by
    /// `value`, so its allocation is lost: to reuse it, use
    /// [`push_with`](Self::push_with).
    ///
    /// ```
    /// let mut slots = poolkit::Slots::new();
    /// slots.push(vec![1, 2]);
    /// assert_eq!(slots[0], [1, 2]);
    /// ```
    pub fn push(&mut self, value: T) {
        match self.slots.get_mut(self.len) {
            Some(spare) => *spare = value,
            None => self.slots.push(value),
        }
        self.len += 1;
    }
}

impl<T: Default> Slots<T> {
    /// Appends an element and lets `fill` write it: the element is a spare
    /// slot (reset, with the allocation it kept) when there is one, else
    /// `T::default()`. Returns the new element.
    ///
    /// The element is in the list before `fill` runs: if `fill` panics, it
    /// stays there, partly filled.
    ///
    /// ```
    /// let mut fields = poolkit::Slots::<String>::new();
    /// fields.push_with(|f| f.push_str("user=alice"));
    /// fields.clear();
    /// let reused = fields.push_with(|f| f.push_str("user=bob"));
    /// assert_eq!(reused, "user=bob"); // the same String, nothing of alice left
    /// assert!(reused.capacity() >= "user=alice".len());
    /// ```
    pub fn push_with(&mut self, fill: impl FnOnce(&mut T)) -> &mut T {
        if self.len == self.slots.len() {
            self.slots.push(T::default());
        }
        self.len += 1;
        let slot = &mut self.slots[self.len - 1];
        fill(slot);
        slot
    }
}

impl<T: Reset> Slots<T> {
    /// Removes every element: each is reset in place and kept as a spare
    /// slot for the next pushes, up to [`max_retained`](Self::max_retained)
    /// slots in all; slots past that are dropped.
    ///
    /// ```
    /// let mut slots = poolkit::Slots::<String>::new();
    /// slots.push_with(|s| s.push_str("secret"));
    /// slots.clear();
    /// assert!(slots.is_empty());
    /// assert_eq!(slots.push_with(|_| {}), ""); // reset, not stale
    /// ```
    pub fn clear(&mut self) {
        self.truncate(0);
        self.slots.truncate(self.max_retained);
    }

    /// Shortens the list to `len` elements; the removed ones are reset in
    /// place and kept as spare slots (no limit applies here: see
    /// [`clear`](Self::clear)). Does nothing if `len >= self.len()`.
    ///
    /// ```
    /// let mut slots = poolkit::Slots::<String>::new();
    /// for word in ["a", "b", "c"] {
    ///     slots.push_with(|s| s.push_str(word));
    /// }
    /// slots.truncate(1);
    /// assert_eq!(slots.as_slice(), ["a"]);
    /// assert_eq!(slots.push_with(|_| {}), "");
    /// ```
    pub fn truncate(&mut self, len: usize) {
        // From the back, shrinking `len` only after each reset returns: if a
        // reset panics, every slot at `self.len..` is still a reset one.
        while self.len > len {
            self.slots[self.len - 1].reset();
            self.len -= 1;
        }
    }
}

impl<T: Reset> Reset for Slots<T> {
    /// Same as [`Slots::clear`].
    fn reset(&mut self) {
        self.clear();
    }

    /// The list's own buffer plus what every slot it holds reports (the
    /// kept elements are the point of `Slots`). O(slots held).
    ///
    /// ```
    /// use poolkit::{Reset, Slots};
    ///
    /// let mut fields = Slots::<String>::new();
    /// fields.push(String::with_capacity(100));
    /// fields.reset();
    /// assert!(fields.heap_bytes() >= 100); // the String is kept
    /// ```
    fn heap_bytes(&self) -> usize {
        self.slots.iter().fold(
            self.slots
                .capacity()
                .saturating_mul(std::mem::size_of::<T>()),
            |sum, slot| sum.saturating_add(slot.heap_bytes()),
        )
    }
}

/// Clones the elements only: the clone has no spare slots, and the same
/// [`max_retained`](Slots::max_retained).
impl<T: Clone> Clone for Slots<T> {
    fn clone(&self) -> Self {
        Slots {
            slots: self.as_slice().to_vec(),
            len: self.len,
            max_retained: self.max_retained,
        }
    }
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Deref for Slots<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> DerefMut for Slots<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

/// Indexes the elements like a slice.
///
/// # Panics
///
/// If the index is out of range of the elements (spare slots do not count).
impl<T, I: SliceIndex<[T]>> Index<I> for Slots<T> {
    type Output = I::Output;

    #[track_caller]
    fn index(&self, index: I) -> &I::Output {
        &self.as_slice()[index]
    }
}

/// Indexes the elements like a mutable slice.
///
/// # Panics
///
/// If the index is out of range of the elements (spare slots do not count).
impl<T, I: SliceIndex<[T]>> IndexMut<I> for Slots<T> {
    #[track_caller]
    fn index_mut(&mut self, index: I) -> &mut I::Output {
        &mut self.as_mut_slice()[index]
    }
}

impl<'a, T> IntoIterator for &'a Slots<T> {
    type Item = &'a T;
    type IntoIter = slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut Slots<T> {
    type Item = &'a mut T;
    type IntoIter = slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

/// Shows the elements only, like a `Vec`.
impl<T: fmt::Debug> fmt::Debug for Slots<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Compares the elements only: spare slots and limits do not count.
impl<T: PartialEq> PartialEq for Slots<T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Eq> Eq for Slots<T> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    fn filled(words: &[&str]) -> Slots<String> {
        let mut slots = Slots::<String>::new();
        for word in words {
            slots.push_with(|s| s.push_str(word));
        }
        slots
    }

    #[test]
    fn clear_keeps_each_string_allocation_and_hands_it_out_empty() {
        let mut slots = filled(&["first-field", "second-field"]);
        let buffers: Vec<*const u8> = slots.iter().map(|s| s.as_ptr()).collect();
        slots.clear();
        assert!(slots.is_empty());
        assert_eq!(slots.retained(), 2);
        let first = slots.push_with(|_| {});
        assert_eq!(first, "");
        assert!(first.capacity() >= "first-field".len());
        slots.push_with(|s| s.push('x'));
        let reused: Vec<*const u8> = slots.iter().map(|s| s.as_ptr()).collect();
        assert_eq!(reused, buffers, "the same String buffers, in order");
        assert_eq!(slots.as_slice(), ["", "x"]);
    }

    #[test]
    fn clear_keeps_at_most_max_retained_slots() {
        for max in [0, 1, 3, 10] {
            let mut slots = Slots::<String>::with_max_retained(max);
            for round in 0..3 {
                for i in 0..5 + round {
                    slots.push_with(|s| s.push_str(&i.to_string()));
                }
                slots.clear();
                assert!(slots.retained() <= max, "{} > {max}", slots.retained());
                assert_eq!(slots.retained(), max.min(5 + round));
            }
        }
    }

    #[test]
    fn push_replaces_a_spare_slot_and_stays_in_order() {
        let mut slots = filled(&["a", "b", "c"]);
        slots.truncate(1);
        slots.push(String::from("new"));
        assert_eq!(slots.as_slice(), ["a", "new"]);
        assert_eq!(slots.retained(), 3);
        slots.push_with(|s| s.push('z'));
        slots.push(String::from("tail"));
        assert_eq!(slots.as_slice(), ["a", "new", "z", "tail"]);
    }

    #[test]
    fn reset_is_clear_and_elements_compare_without_spares() {
        let mut slots = filled(&["a", "b"]);
        Reset::reset(&mut slots);
        assert!(slots.is_empty());
        assert_eq!(slots.retained(), 2);
        assert_eq!(slots, Slots::new());
        slots.push_with(|s| s.push('a'));
        assert_eq!(slots, filled(&["a"]));
        assert_eq!(format!("{slots:?}"), r#"["a"]"#);
        slots.truncate(0);
        slots.push_with(|s| s.push('b'));
        let copy = slots.clone();
        assert_eq!(copy, slots);
        assert_eq!(
            (copy.retained(), slots.retained()),
            (1, 2),
            "no spares copied"
        );
    }

    #[derive(Default)]
    struct Fussy {
        value: u32,
        panic_on_reset: bool,
    }
    impl Reset for Fussy {
        fn reset(&mut self) {
            assert!(!self.panic_on_reset, "reset refused");
            self.value = 0;
        }
    }

    #[test]
    fn a_panicking_reset_never_leaves_a_stale_spare_slot() {
        let mut slots = Slots::<Fussy>::new();
        for value in 1..=4 {
            slots.push_with(|f| f.value = value);
        }
        slots[1].panic_on_reset = true;
        let result = catch_unwind(AssertUnwindSafe(|| slots.clear()));
        assert!(result.is_err());
        // Elements 0 and 1 were not reset: still in the list, not spare.
        assert_eq!(slots.len(), 2);
        assert_eq!(slots[0].value, 1);
        slots[1].panic_on_reset = false;
        // Every spare slot handed out is a reset one.
        assert_eq!(slots.push_with(|_| {}).value, 0);
        assert_eq!(slots.push_with(|_| {}).value, 0);
    }
}
