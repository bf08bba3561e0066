//! One shard of the concurrent cache: a [`Store`] behind a `Mutex`, its single-flight
//! loading marks, and the fixed buffer in which removed entries wait for the lock to be
//! released.

use crate::cache::core::{Sink, Store, SWEEP_BUDGET};
use crate::cache::listener::{EvictionCause, SyncListener};
use crate::sync::{lock, AtomicBool, Condvar, Mutex, MutexGuard};

/// Entries one critical section may remove before the lock is released and they are handed
/// to the listener (or dropped). Fixed, on the stack: no allocation.
pub(crate) const EVICTED_BUFFER: usize = 16;
const _: () = assert!(
    EVICTED_BUFFER > SWEEP_BUDGET + 1,
    "room for a sweep, a replacement and an eviction"
);

/// Removed entries waiting for the lock to be released.
pub(crate) struct Evicted<K, V> {
    items: [Option<(K, V, EvictionCause)>; EVICTED_BUFFER],
    pub(crate) len: usize,
}

impl<K, V> Evicted<K, V> {
    pub(crate) fn new() -> Self {
        Evicted {
            items: std::array::from_fn(|_| None),
            len: 0,
        }
    }

    #[inline]
    pub(crate) fn has_room(&self) -> bool {
        self.len < EVICTED_BUFFER
    }

    pub(crate) fn push(&mut self, k: K, v: V, cause: EvictionCause) {
        debug_assert!(self.has_room());
        self.items[self.len] = Some((k, v, cause));
        self.len += 1;
    }

    /// Hands every buffered entry to `listener` (or drops it). Call with no lock held.
    ///
    /// A panicking listener loses only the entry it was given: the rest are still handed
    /// out, then the first panic is resumed.
    pub(crate) fn flush(&mut self, listener: Option<&SyncListener<K, V>>) {
        let n = std::mem::replace(&mut self.len, 0);
        let mut first_panic = None;
        for slot in &mut self.items[..n] {
            if let Some((k, v, cause)) = slot.take() {
                if let Some(l) = listener {
                    let call = std::panic::AssertUnwindSafe(|| l(k, v, cause));
                    if let Err(panic) = std::panic::catch_unwind(call) {
                        first_panic.get_or_insert(panic);
                    }
                }
            }
        }
        if let Some(panic) = first_panic {
            std::panic::resume_unwind(panic);
        }
    }
}

impl<K, V> Sink<K, V> for Evicted<K, V> {
    #[inline]
    fn has_room(&self) -> bool {
        Evicted::has_room(self)
    }

    #[inline]
    fn push(&mut self, key: K, value: V, cause: EvictionCause) {
        Evicted::push(self, key, value, cause)
    }
}

pub(crate) struct ShardState<K, V, S> {
    pub(crate) store: Store<K, V, S>,
    /// Hashes of keys whose loader is running (single flight). A collision between two keys
    /// loading at once only makes one wait for the other, then retry.
    /// Room for 8 is reserved up front; a ninth loader running at once in the same shard
    /// grows the vector (one allocation, kept afterwards).
    pub(crate) loading: Vec<u64>,
}

/// One shard, on its own cache lines.
#[repr(align(128))]
pub(crate) struct Shard<K, V, S> {
    pub(crate) state: Mutex<ShardState<K, V, S>>,
    pub(crate) loaded: Condvar,
    /// Hint: some entry of this shard may have a deadline, so read the clock before locking.
    /// Never relied on for correctness: under the lock, a missing time means "unlock, read
    /// the clock, retry".
    pub(crate) timed: AtomicBool,
}

impl<K, V, S> Shard<K, V, S> {
    /// A shard holding `state`; `timed`: whether its entries may have deadlines.
    pub(crate) fn from(state: ShardState<K, V, S>, timed: bool) -> Self {
        Shard {
            state: Mutex::new(state),
            loaded: Condvar::new(),
            timed: AtomicBool::new(timed),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, ShardState<K, V, S>> {
        lock(&self.state)
    }
}

/// Clears the loading mark of `hash` and wakes the waiters. Called with the lock held.
pub(crate) fn finish_loading<K, V, S>(
    shard: &Shard<K, V, S>,
    st: &mut ShardState<K, V, S>,
    hash: u64,
) {
    if let Some(pos) = st.loading.iter().position(|&h| h == hash) {
        st.loading.swap_remove(pos);
    }
    shard.loaded.notify_all();
}

/// Clears a loading mark if the loader panics before its insert.
pub(crate) struct LoadGuard<'a, K, V, S> {
    pub(crate) shard: &'a Shard<K, V, S>,
    pub(crate) hash: u64,
    pub(crate) armed: bool,
}

impl<K, V, S> LoadGuard<'_, K, V, S> {
    /// Clears the mark, with the shard lock held (`st`).
    pub(crate) fn finish(&mut self, st: &mut ShardState<K, V, S>) {
        if std::mem::replace(&mut self.armed, false) {
            finish_loading(self.shard, st, self.hash);
        }
    }
}

impl<K, V, S> Drop for LoadGuard<'_, K, V, S> {
    fn drop(&mut self) {
        if self.armed {
            let mut st = self.shard.lock();
            self.finish(&mut st);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn evicted_buffer_holds_its_bound_and_flushes_everything() {
        let mut buf = Evicted::new();
        for i in 0..EVICTED_BUFFER {
            assert!(buf.has_room());
            buf.push(i, i, EvictionCause::Capacity);
        }
        assert!(!buf.has_room(), "full at {EVICTED_BUFFER}");
        let seen = std::sync::Arc::new(AtomicUsize::new(0));
        let count = seen.clone();
        let listener: SyncListener<usize, usize> = Box::new(move |k, v, _| {
            assert_eq!(k, v);
            count.fetch_add(1, Ordering::Relaxed);
        });
        buf.flush(Some(&listener));
        assert_eq!(seen.load(Ordering::Relaxed), EVICTED_BUFFER);
        assert!(buf.has_room() && buf.len == 0);
        buf.push(1, 1, EvictionCause::Removed);
        buf.flush(None); // dropped, no listener
        assert_eq!(buf.len, 0);
    }
}
