//! Time sources for [`TtlCache`](crate::cache::TtlCache): the [`Clock`] trait, the real
//! [`SystemClock`] and the hand-driven [`ManualClock`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

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

/// The real clock, and the default one: a monotonic clock read in whole nanoseconds from
/// the moment this value was created.
///
/// It comes in two kinds, one type:
///
/// * [`SystemClock::new`] (the default) reads the kernel's **coarse** monotonic clock where
///   there is one (Linux and Android: `CLOCK_MONOTONIC_COARSE`, through the vDSO). It is the
///   monotonic time of the kernel's last timer tick: it never runs ahead of the true time,
///   advances once per tick ([`resolution`](Self::resolution), from `clock_getres`: 1 to
///   10 ms depending on the kernel's `HZ`) and, while the kernel ticks regularly, trails the
///   true time by less than one tick. A kernel that skips ticks (a tickless CPU, a virtual
///   machine whose CPU the host holds back) lets it trail by several ticks until the next
///   one. Reading it costs a load from a page the kernel keeps up to date, with no
///   hardware counter read and no system call. Elsewhere it is the precise clock.
/// * [`SystemClock::precise`] reads `CLOCK_MONOTONIC` ([`Instant`](std::time::Instant)'s clock) to the
///   nanosecond, for a few times the cost.
///
/// # What this means for expiry
///
/// The cache compares the clock's readings only: an entry inserted with a time to live
/// `ttl` is expired from the first reading at least `ttl` after the reading taken at its
/// insert. With the coarse clock both readings trail the true time by between zero and the
/// clock's lag, so an entry's real lifetime is `ttl` give or take that lag: within one
/// [`resolution`](Self::resolution) on a regularly ticking kernel, more while ticks are
/// skipped. Use [`SystemClock::precise`] when a time to live is short enough for that to
/// matter (a few milliseconds); the timer wheel that reclaims expired entries works at
/// about one millisecond anyway. Whichever kind, an expired entry is never returned by
/// the cache's own reckoning, and time never goes backwards for a cache.
///
/// Readings are `u64` nanoseconds from this clock's origin: no `Duration` or `u128`
/// arithmetic on the hot path. They saturate after 584 years.
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
/// assert!(clock.resolution() > std::time::Duration::ZERO);
///
/// let precise = SystemClock::precise();
/// assert!(precise.resolution() <= clock.resolution());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    /// The source's reading when this clock was made.
    origin: u64,
    coarse: bool,
}

impl SystemClock {
    /// The default real clock: coarse (one kernel tick of resolution) and cheap, see the
    /// [type docs](SystemClock) for its guarantees. Its origin is now.
    ///
    /// # Examples
    ///
    /// ```
    /// use poolkit::cache::{Clock, SystemClock};
    /// assert!(SystemClock::new().now_nanos() < 1_000_000_000_000);
    /// ```
    pub fn new() -> Self {
        Self {
            origin: os::coarse_nanos(),
            coarse: true,
        }
    }

    /// A real clock precise to the nanosecond (`CLOCK_MONOTONIC`, as [`Instant`](std::time::Instant)), for
    /// times to live short enough that a kernel tick matters. Its origin is now.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poolkit::cache::{SystemClock, TtlCache};
    ///
    /// let mut cache = TtlCache::builder(16)
    ///     .time_to_live(Duration::from_micros(500))
    ///     .clock(SystemClock::precise())
    ///     .build()
    ///     .unwrap();
    /// cache.insert("k", 1).unwrap();
    /// ```
    pub fn precise() -> Self {
        Self {
            origin: os::precise_nanos(),
            coarse: false,
        }
    }

    /// How far apart two different readings of this clock can be at least: one kernel
    /// tick for the coarse clock, the precise clock's resolution (usually 1 ns) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use poolkit::cache::SystemClock;
    /// assert!(SystemClock::new().resolution() <= Duration::from_secs(1));
    /// ```
    pub fn resolution(&self) -> Duration {
        if self.coarse {
            os::coarse_resolution()
        } else {
            os::precise_resolution()
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
        let raw = if self.coarse {
            os::coarse_nanos()
        } else {
            os::precise_nanos()
        };
        raw.saturating_sub(self.origin)
    }
}

/// The operating system's monotonic clocks, in `u64` nanoseconds from an arbitrary origin.
#[cfg(any(target_os = "linux", target_os = "android"))]
mod os {
    use rustix::time::{clock_getres, clock_gettime, ClockId, Timespec};
    use std::time::Duration;

    #[inline]
    fn nanos(t: Timespec) -> u64 {
        // Monotonic clocks never read negative; `try_from` keeps that an assumption
        // that saturates instead of wrapping.
        let secs = u64::try_from(t.tv_sec).unwrap_or(0);
        let subsec = u64::try_from(t.tv_nsec).unwrap_or(0);
        secs.saturating_mul(1_000_000_000).saturating_add(subsec)
    }

    /// The monotonic time of the kernel's last tick.
    #[inline]
    pub(super) fn coarse_nanos() -> u64 {
        nanos(clock_gettime(ClockId::MonotonicCoarse))
    }

    /// The monotonic time now.
    #[inline]
    pub(super) fn precise_nanos() -> u64 {
        nanos(clock_gettime(ClockId::Monotonic))
    }

    pub(super) fn coarse_resolution() -> Duration {
        Duration::from_nanos(nanos(clock_getres(ClockId::MonotonicCoarse)).max(1))
    }

    pub(super) fn precise_resolution() -> Duration {
        Duration::from_nanos(nanos(clock_getres(ClockId::Monotonic)).max(1))
    }
}

/// Without a coarse clock from the system, both kinds read `Instant`.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod os {
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    static BASE: OnceLock<Instant> = OnceLock::new();

    #[inline]
    pub(super) fn precise_nanos() -> u64 {
        let d = BASE.get_or_init(Instant::now).elapsed();
        d.as_secs()
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::from(d.subsec_nanos()))
    }

    #[inline]
    pub(super) fn coarse_nanos() -> u64 {
        precise_nanos()
    }

    pub(super) fn coarse_resolution() -> Duration {
        Duration::from_nanos(1)
    }

    pub(super) fn precise_resolution() -> Duration {
        Duration::from_nanos(1)
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
    fn coarse_reading_never_runs_ahead_of_the_precise_one() {
        for _ in 0..100_000 {
            let coarse = os::coarse_nanos();
            let precise = os::precise_nanos();
            assert!(
                coarse <= precise,
                "coarse {coarse} ahead of precise {precise}"
            );
        }
    }

    #[test]
    fn coarse_reading_is_on_the_precise_timeline() {
        // Same clock, same unit: the coarse one trails by a few ticks, never by a second.
        let coarse = os::coarse_nanos();
        let precise = os::precise_nanos();
        let lag = precise.saturating_sub(coarse);
        assert!(lag < 1_000_000_000, "coarse trails precise by {lag} ns");
    }

    /// Spins (tests never sleep) until `clock` has moved by `by` nanoseconds; the coarse
    /// clock moves once per kernel tick (at most 10 ms), so a few seconds is ample.
    fn spin_until_moved(clock: &SystemClock, by: u64) -> u64 {
        let start = clock.now_nanos();
        let give_up = std::time::Instant::now() + Duration::from_secs(10);
        let mut last = start;
        loop {
            let t = clock.now_nanos();
            assert!(t >= last, "went back from {last} to {t}");
            last = t;
            if t - start >= by {
                return t;
            }
            assert!(
                std::time::Instant::now() < give_up,
                "the clock stayed at {start}..{t} for 10 s"
            );
        }
    }

    #[test]
    fn both_kinds_advance_and_never_go_back() {
        spin_until_moved(&SystemClock::new(), 1);
        spin_until_moved(&SystemClock::precise(), 1);
    }

    #[test]
    fn resolutions_are_sensible() {
        let coarse = SystemClock::new().resolution();
        let precise = SystemClock::precise().resolution();
        assert!(
            precise > Duration::ZERO && precise <= coarse,
            "{precise:?} {coarse:?}"
        );
        assert!(coarse <= Duration::from_secs(1), "{coarse:?}");
    }

    #[test]
    fn default_clock_expires_entries() {
        let ttl = duration_nanos(Duration::from_millis(20));
        let mut cache = crate::cache::TtlCache::builder(4)
            .time_to_live(Duration::from_nanos(ttl))
            .build()
            .unwrap();
        // Raw coarse readings bracket the cache's own (same timeline, never going back).
        let before_insert = os::coarse_nanos();
        cache.insert(1u32, 1u32).unwrap();
        let after_insert = os::coarse_nanos();
        let fresh = cache.get(&1).copied();
        if os::coarse_nanos() < before_insert + ttl {
            assert_eq!(fresh, Some(1), "returned before its deadline");
        } // else this thread stalled for a whole TTL: nothing to conclude.
        let give_up = std::time::Instant::now() + Duration::from_secs(10);
        while os::coarse_nanos() < after_insert + ttl {
            assert!(std::time::Instant::now() < give_up, "the clock stood still");
        }
        assert_eq!(cache.get(&1), None, "returned past its deadline");
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
