//! Time sources for [`TtlCache`](crate::cache::TtlCache): the [`Clock`] trait, the real
//! [`SystemClock`] and the hand-driven [`ManualClock`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A monotonic time source, in nanoseconds since an arbitrary origin.
///
/// The cache reads its clock at most once per operation, and only when the operation
/// needs the time (an entry or the configuration has a time to live or to idle): a
/// cache with no TTL never reads the clock.
///
/// # Guarantees expected from an implementation
///
/// * `now_nanos` never goes backwards. If it does, the cache treats time as standing
///   still until it catches up (entries never "un-expire").
/// * It is cheap: it runs on the hot path of every timed operation.
/// * It does not call back into the cache. The concurrent cache reads the clock before
///   it takes a shard lock, so a clock never runs under a lock.
///
/// # Examples
///
/// ```
/// use poolkit::cache::Clock;
///
/// /// A clock frozen at one instant.
/// struct Frozen(u64);
/// impl Clock for Frozen {
///     fn now_nanos(&self) -> u64 {
///         self.0
///     }
/// }
/// assert_eq!(Frozen(7).now_nanos(), 7);
/// ```
pub trait Clock {
    /// The current time in nanoseconds since this clock's origin.
    fn now_nanos(&self) -> u64;
}

/// The real clock: [`Instant`] (a monotonic clock read through the vDSO on Linux), counted
/// from the moment this value was created.
///
/// One call costs one `Instant::now()`; the cache makes at most one per operation.
///
/// # Examples
///
/// ```
/// use poolkit::cache::{Clock, SystemClock};
///
/// let clock = SystemClock::new();
/// let a = clock.now_nanos();
/// let b = clock.now_nanos();
/// assert!(b >= a);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A real clock whose origin is now.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::{Clock, SystemClock};
    /// assert!(SystemClock::new().now_nanos() < 1_000_000_000_000);
    /// ```
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    #[inline]
    fn now_nanos(&self) -> u64 {
        // Saturates after 584 years of uptime.
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// A clock that moves only when told to: for tests, simulations and replays.
///
/// Clones share the same time, so a test keeps one clone and gives another to the cache.
/// It starts at 0 and never goes backwards. Reads and advances are atomic, so a
/// `ManualClock` can drive the concurrent cache too.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use poolkit::cache::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// let cache_side = clock.clone();
/// assert_eq!(cache_side.now_nanos(), 0);
/// clock.advance(Duration::from_millis(5));
/// assert_eq!(cache_side.now_nanos(), 5_000_000);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A manual clock at time 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::{Clock, ManualClock};
    /// assert_eq!(ManualClock::new().now_nanos(), 0);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves this clock (and every clone of it) forward by `by`, saturating at `u64::MAX`
    /// nanoseconds.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poolkit::cache::{Clock, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// clock.advance(Duration::from_secs(1));
    /// clock.advance(Duration::from_nanos(1));
    /// assert_eq!(clock.now_nanos(), 1_000_000_001);
    /// ```
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        // Relaxed: the clock value is the only data; no other memory is published with it.
        let _ = self
            .nanos
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                Some(t.saturating_add(by))
            });
    }
}

impl Clock for ManualClock {
    #[inline]
    fn now_nanos(&self) -> u64 {
        self.nanos.load(Ordering::Relaxed)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    #[inline]
    fn now_nanos(&self) -> u64 {
        (**self).now_nanos()
    }
}

/// Converts a duration to whole nanoseconds, saturating.
pub(crate) fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The latest time a single-thread cache has seen: time never goes back for it.
#[derive(Debug, Default)]
pub(crate) struct TimeFloor(std::cell::Cell<u64>);

impl TimeFloor {
    /// `t`, or the latest time seen if that is later.
    #[inline]
    pub(crate) fn raise(&self, t: u64) -> u64 {
        let latest = self.0.get();
        if t > latest {
            self.0.set(t);
            t
        } else {
            latest
        }
    }
}

/// The latest time a concurrent cache has seen, shared by its shards.
#[derive(Debug)]
pub(crate) struct SharedTimeFloor(crate::sync::AtomicU64);

impl SharedTimeFloor {
    pub(crate) fn new() -> Self {
        SharedTimeFloor(crate::sync::AtomicU64::new(0))
    }

    /// `t`, or the latest time any thread has seen if that is later. Writes only when time
    /// moves forward (once per tick of a coarse clock).
    #[inline]
    pub(crate) fn raise(&self, t: u64) -> u64 {
        use crate::sync::Ordering::Relaxed;
        // Relaxed: the value is a time stamp; no other data is published with it.
        let latest = self.0.load(Relaxed);
        if t > latest {
            self.0.fetch_max(t, Relaxed).max(t)
        } else {
            latest
        }
    }
}

/// Reads a clock at most once per operation, on first use, through the cache's floor.
pub(crate) struct LazyNow<'a, C: ?Sized> {
    clock: &'a C,
    floor: &'a TimeFloor,
    now: Option<u64>,
}

impl<'a, C: Clock + ?Sized> LazyNow<'a, C> {
    pub(crate) fn new(clock: &'a C, floor: &'a TimeFloor) -> Self {
        Self {
            clock,
            floor,
            now: None,
        }
    }

    #[inline]
    pub(crate) fn get(&mut self) -> u64 {
        match self.now {
            Some(t) => t,
            None => {
                let t = self.floor.raise(self.clock.now_nanos());
                self.now = Some(t);
                t
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_saturates() {
        let c = ManualClock::new();
        c.advance(Duration::MAX);
        c.advance(Duration::from_secs(1));
        assert_eq!(c.now_nanos(), u64::MAX);
    }

    #[test]
    fn lazy_now_reads_once() {
        let c = ManualClock::new();
        let floor = TimeFloor::default();
        let mut now = LazyNow::new(&c, &floor);
        c.advance(Duration::from_nanos(3));
        assert_eq!(now.get(), 3);
        c.advance(Duration::from_nanos(3));
        assert_eq!(now.get(), 3, "a second get reuses the first reading");
    }
}
