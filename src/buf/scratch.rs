//! Scoped scratch buffers: [`with_scratch`] lends the calling thread a
//! cleared `Vec<u8>` for the length of a closure.
//!
//! Each thread keeps a small free list of buffers. A call takes one out of
//! the list for the closure (so a nested call, which finds the list without
//! it, gets a different buffer) and puts it back afterwards, cleared, if it
//! is within the retention bounds. Nothing is shared between threads: no
//! lock, no atomic.

use std::cell::RefCell;
use std::collections::TryReserveError;

/// How many buffers one thread keeps between [`with_scratch`] calls: the
/// nesting depth served without allocating. Deeper calls still work; their
/// extra buffers are freed when they end.
pub const SCRATCH_RETAINED_BUFFERS: usize = 4;

/// The largest capacity (bytes) a scratch buffer may have and still be
/// kept after its [`with_scratch`] call ends; a buffer that grew past it is
/// freed instead, so one large request does not pin memory for the life of
/// the thread (Go issue 23199).
pub const SCRATCH_MAX_RETAINED_CAPACITY: usize = 256 * 1024;

/// One thread's kept buffers: a stack whose first `len` entries hold
/// buffers with nonzero capacity; the rest are empty `Vec`s (no heap).
struct FreeList {
    buffers: [Vec<u8>; SCRATCH_RETAINED_BUFFERS],
    len: usize,
}

impl FreeList {
    /// A buffer with capacity at least `min_capacity` if one is kept,
    /// otherwise the largest kept one (the caller grows it), otherwise an
    /// empty `Vec`.
    #[inline]
    fn take(&mut self, min_capacity: usize) -> Vec<u8> {
        if self.len == 0 {
            return Vec::new();
        }
        let top = self.len - 1;
        self.len = top;
        if self.buffers[top].capacity() < min_capacity {
            // Keep the kept buffers contiguous: the chosen one moves to the
            // top, the top one into its place.
            let chosen = self.best_fit(min_capacity, top + 1);
            self.buffers.swap(chosen, top);
        }
        std::mem::take(&mut self.buffers[top])
    }

    /// The index of the smallest kept buffer that fits `min_capacity`, or
    /// of the largest one if none fits.
    #[cold]
    fn best_fit(&self, min_capacity: usize, len: usize) -> usize {
        let kept = &self.buffers[..len];
        let fitting = (0..kept.len())
            .filter(|&i| kept[i].capacity() >= min_capacity)
            .min_by_key(|&i| kept[i].capacity());
        fitting.unwrap_or_else(|| {
            (0..kept.len())
                .max_by_key(|&i| kept[i].capacity())
                .expect("best_fit is only called on a non-empty list")
        })
    }

    /// Keeps `buffer` (cleared) if it is worth keeping and there is room;
    /// otherwise drops it.
    #[inline]
    fn give_back(&mut self, mut buffer: Vec<u8>) {
        let capacity = buffer.capacity();
        if self.len < SCRATCH_RETAINED_BUFFERS
            && capacity != 0
            && capacity <= SCRATCH_MAX_RETAINED_CAPACITY
        {
            buffer.clear();
            self.buffers[self.len] = buffer;
            self.len += 1;
        }
    }
}

thread_local! {
    static FREE_LIST: RefCell<FreeList> = const {
        RefCell::new(FreeList {
            buffers: [const { Vec::new() }; SCRATCH_RETAINED_BUFFERS],
            len: 0,
        })
    };
}

/// Gives the buffer back to this thread's free list when the closure
/// returns or unwinds.
struct Lent {
    buffer: Vec<u8>,
}

impl Drop for Lent {
    fn drop(&mut self) {
        let buffer = std::mem::take(&mut self.buffer);
        // `try_with`: during thread-local destruction the list may be gone;
        // `try_borrow_mut`: never panic in `drop` (the list is only borrowed
        // inside `take`/`give_back`, which do not call out, so this does
        // not fail in practice). Either way the buffer is simply freed.
        let _ = FREE_LIST.try_with(|list| {
            if let Ok(mut list) = list.try_borrow_mut() {
                list.give_back(buffer);
            }
        });
    }
}

/// Runs `f` with a cleared per-thread scratch buffer of capacity at least
/// `min_capacity`, and returns what `f` returns.
///
/// This is the scoped answer to `let mut buf = Vec::with_capacity(n)` on a
/// hot path: the buffer is lent for the length of the call only, so it
/// cannot escape (the `&mut` borrow ends with the closure), and the next
/// call on this thread reuses its allocation.
///
/// # Guarantees
///
/// - **Empty on entry**: the buffer has length 0 and capacity
///   `>= min_capacity`, whatever an earlier call left in it.
/// - **No allocation in steady state**: a call whose `min_capacity` and
///   writes fit a buffer kept by an earlier call allocates nothing (checked
///   by `tests/buf_scratch_alloc.rs` with dhat).
/// - **Nesting**: a `with_scratch` call inside `f` gets a different buffer.
///   Up to [`SCRATCH_RETAINED_BUFFERS`] nested levels are reused; deeper
///   ones allocate.
/// - **Bounded**: a thread keeps at most [`SCRATCH_RETAINED_BUFFERS`]
///   buffers of at most [`SCRATCH_MAX_RETAINED_CAPACITY`] bytes of capacity
///   each; a buffer that grew larger is freed when its call ends. Kept
///   buffers are freed when the thread exits.
/// - **Panics**: if `f` panics, the buffer goes back cleared (a `Vec<u8>`
///   has no invariant a panic could break) and the panic continues; later
///   calls work as before.
/// - If `f` swaps the buffer for another `Vec` (`std::mem::take`), the
///   `Vec` it leaves behind is the one kept, under the same bounds.
/// - Called while the thread's locals are being destroyed, it lends a fresh
///   `Vec` and frees it afterwards.
///
/// A large `min_capacity` is allocated like `Vec::with_capacity` would;
/// for sizes beyond [`SCRATCH_MAX_RETAINED_CAPACITY`] nothing is saved
/// between calls.
///
/// # Panics
///
/// If the buffer cannot be grown to `min_capacity` (more than `isize::MAX`
/// bytes, or the allocator refuses), with a message naming the size; use
/// [`try_with_scratch`] to get an error instead. Panics from `f`
/// propagate.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use poolkit::buf::with_scratch;
///
/// let len = with_scratch(64, |buf| {
///     assert!(buf.is_empty() && buf.capacity() >= 64);
///     write!(buf, "user:{}:{}", 42, "email").unwrap();
///     // Nested calls get their own buffer.
///     with_scratch(16, |inner| {
///         inner.extend_from_slice(b"other");
///         assert_eq!(&buf[..], b"user:42:email");
///     });
///     buf.len()
/// });
/// assert_eq!(len, 13);
///
/// // The next call gets the same allocation back, cleared.
/// with_scratch(64, |buf| assert!(buf.is_empty()));
/// ```
#[inline]
#[track_caller]
pub fn with_scratch<R>(min_capacity: usize, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    let mut lent = lend(min_capacity);
    if let Err(error) = lent.buffer.try_reserve(min_capacity) {
        reserve_failed(min_capacity, error);
    }
    f(&mut lent.buffer)
}

/// Like [`with_scratch`], but if the buffer cannot be grown to
/// `min_capacity` it returns the error instead of panicking (and does not
/// call `f`).
///
/// # Errors
///
/// [`TryReserveError`] when `min_capacity` exceeds `isize::MAX` bytes or the
/// allocator refuses.
///
/// # Examples
///
/// ```
/// use poolkit::buf::try_with_scratch;
///
/// let len = try_with_scratch(100, |buf| {
///     buf.extend_from_slice(b"fits");
///     buf.len()
/// });
/// assert_eq!(len, Ok(4));
/// assert!(try_with_scratch(usize::MAX, |_| ()).is_err());
/// ```
#[inline]
pub fn try_with_scratch<R>(
    min_capacity: usize,
    f: impl FnOnce(&mut Vec<u8>) -> R,
) -> Result<R, TryReserveError> {
    let mut lent = lend(min_capacity);
    lent.buffer.try_reserve(min_capacity)?;
    Ok(f(&mut lent.buffer))
}

/// Takes a buffer from this thread's free list (an empty `Vec` if there is
/// none, or the list is unavailable), behind the guard that gives it back.
#[inline]
fn lend(min_capacity: usize) -> Lent {
    let buffer = FREE_LIST
        .try_with(|list| match list.try_borrow_mut() {
            Ok(mut list) => list.take(min_capacity),
            Err(_) => Vec::new(),
        })
        .unwrap_or_default();
    debug_assert!(buffer.is_empty());
    Lent { buffer }
}

#[cold]
#[inline(never)]
#[track_caller]
fn reserve_failed(min_capacity: usize, error: TryReserveError) -> ! {
    panic!("with_scratch: cannot reserve a scratch buffer of {min_capacity} bytes: {error}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept() -> Vec<usize> {
        FREE_LIST.with(|list| {
            let list = list.borrow();
            list.buffers[..list.len].iter().map(Vec::capacity).collect()
        })
    }

    #[test]
    fn best_fit_prefers_the_smallest_buffer_that_fits() {
        let mut list = FreeList {
            buffers: [const { Vec::new() }; SCRATCH_RETAINED_BUFFERS],
            len: 0,
        };
        for capacity in [64, 1024, 128] {
            list.give_back(Vec::with_capacity(capacity));
        }
        let taken = list.take(100);
        assert!(taken.capacity() >= 128 && taken.capacity() < 1024);
        assert_eq!(list.len, 2);
        let mut left: Vec<usize> = list.buffers[..2].iter().map(Vec::capacity).collect();
        left.sort_unstable();
        assert!(left[0] >= 64 && left[0] < 128 && left[1] >= 1024);
        // Nothing fits: the largest is lent (and grown by the caller).
        let taken = list.take(4096);
        assert!(taken.capacity() >= 1024);
        assert_eq!(list.len, 1);
    }

    #[test]
    fn the_free_list_stays_within_its_bounds() {
        fn nest(depth: usize) {
            if depth == 0 {
                return;
            }
            with_scratch(32, |_| nest(depth - 1));
        }
        nest(SCRATCH_RETAINED_BUFFERS + 3);
        assert_eq!(kept().len(), SCRATCH_RETAINED_BUFFERS);
        with_scratch(0, |buf| {
            buf.reserve(SCRATCH_MAX_RETAINED_CAPACITY + 1);
        });
        assert_eq!(kept().len(), SCRATCH_RETAINED_BUFFERS - 1);
        assert!(kept().iter().all(|&c| c <= SCRATCH_MAX_RETAINED_CAPACITY));
    }
}
