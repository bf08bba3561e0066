//! The probe a scenario ticks once per operation: it counts operations and,
//! under the profiler, samples the live heap for the chart.

use serde::{Deserialize, Serialize};

/// The most samples one run keeps; past it, every other sample is dropped
/// and the sampling interval doubles, so a run of any length keeps between
/// half and all of this many, evenly spaced.
pub const MAX_SAMPLES: usize = 512;

/// One point of a run's heap curve.
///
/// # Examples
///
/// ```
/// let sample = poolkit::report::Sample { operations: 10, live_bytes: 4096, allocations: 3 };
/// assert_eq!(sample.live_bytes, 4096);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Operations ticked before this sample was taken.
    pub operations: u64,
    /// Heap bytes live at that moment, counting only blocks allocated since
    /// the run started.
    pub live_bytes: u64,
    /// Heap allocations (blocks, reallocations included) since the run
    /// started.
    pub allocations: u64,
}

/// Reads (live bytes, allocations so far) from the profiler.
pub(crate) type SampleSource = fn() -> (u64, u64);

/// Counts a scenario's operations and samples its live heap over the run.
///
/// Each scenario closure receives a `&mut Probe`; call [`tick`](Probe::tick)
/// once per operation (a request, a line, a message). The report's chart
/// plots live heap bytes against these operations.
///
/// Guarantees: ticking never allocates (the sample buffer is reserved before
/// the profiler starts, so it is not part of what is measured); at most
/// [`MAX_SAMPLES`] samples are kept, evenly spaced over the whole run; a tick
/// costs an add and a compare, and a sample one read of dhat's counters
/// (under its lock). In a timing run nothing is sampled.
///
/// # Examples
///
/// ```
/// let mut probe = poolkit::report::Probe::counting_only();
/// for _request in 0..1_000 {
///     probe.tick();
/// }
/// probe.ticks(24);
/// assert_eq!(probe.operations(), 1_024);
/// assert!(probe.samples().is_empty()); // counting only: no profiler, no samples
/// ```
#[derive(Debug)]
pub struct Probe {
    operations: u64,
    next_sample_at: u64,
    interval: u64,
    samples: Vec<Sample>,
    source: Option<SampleSource>,
}

impl Probe {
    /// A probe that counts operations and takes no samples (what a timing
    /// run uses; also handy to call a scenario closure directly).
    pub fn counting_only() -> Self {
        Self {
            operations: 0,
            next_sample_at: u64::MAX,
            interval: 1,
            samples: Vec::new(),
            source: None,
        }
    }

    /// A probe that samples `source` every tick at first, then less often as
    /// the run grows. Reserves its whole sample buffer now.
    pub(crate) fn sampling(source: SampleSource) -> Self {
        Self {
            operations: 0,
            next_sample_at: 1,
            interval: 1,
            samples: Vec::with_capacity(MAX_SAMPLES),
            source: Some(source),
        }
    }

    /// Records one operation.
    #[inline]
    pub fn tick(&mut self) {
        self.ticks(1);
    }

    /// Records `count` operations at once.
    #[inline]
    pub fn ticks(&mut self, count: u64) {
        self.operations = self.operations.saturating_add(count);
        if self.operations >= self.next_sample_at {
            self.sample_now();
        }
    }

    /// Operations recorded so far.
    pub fn operations(&self) -> u64 {
        self.operations
    }

    /// The samples taken so far, in order of operations.
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// Takes a sample at the current operation count (the runner calls this
    /// at the start and the end of a run), keeping the bound.
    #[cold]
    pub(crate) fn sample_now(&mut self) {
        let Some(source) = self.source else { return };
        if self.samples.len() == MAX_SAMPLES {
            self.halve();
        }
        let (live_bytes, allocations) = source();
        let sample = Sample {
            operations: self.operations,
            live_bytes,
            allocations,
        };
        match self.samples.last_mut() {
            // A second sample at the same count replaces the first.
            Some(last) if last.operations == self.operations => *last = sample,
            _ => self.samples.push(sample),
        }
        self.next_sample_at = self
            .operations
            .saturating_add(self.interval)
            .max(self.operations.saturating_add(1));
    }

    /// Keeps every other sample (the first always) and doubles the interval.
    fn halve(&mut self) {
        let mut kept = 0;
        for index in (0..self.samples.len()).step_by(2) {
            self.samples[kept] = self.samples[index];
            kept += 1;
        }
        self.samples.truncate(kept);
        self.interval = self.interval.saturating_mul(2);
    }

    pub(crate) fn into_samples(self) -> Vec<Sample> {
        self.samples
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_source() -> (u64, u64) {
        (7, 9)
    }

    #[test]
    fn samples_stay_bounded_and_span_the_whole_run() {
        let mut probe = Probe::sampling(fake_source);
        probe.sample_now();
        let capacity = probe.samples.capacity();
        for _ in 0..1_000_000 {
            probe.tick();
        }
        probe.sample_now();
        let samples = probe.samples();
        assert!(samples.len() <= MAX_SAMPLES, "{} samples", samples.len());
        assert!(
            samples.len() >= MAX_SAMPLES / 2,
            "{} samples",
            samples.len()
        );
        assert_eq!(samples.first().unwrap().operations, 0);
        assert_eq!(samples.last().unwrap().operations, 1_000_000);
        assert!(samples
            .windows(2)
            .all(|w| w[0].operations < w[1].operations));
        // Never grew: the buffer reserved up front is the one in use.
        assert_eq!(probe.samples.capacity(), capacity);
    }

    #[test]
    fn a_short_run_samples_every_operation() {
        let mut probe = Probe::sampling(fake_source);
        probe.sample_now();
        for _ in 0..10 {
            probe.tick();
        }
        let operations: Vec<u64> = probe.samples().iter().map(|s| s.operations).collect();
        assert_eq!(operations, (0..=10).collect::<Vec<_>>());
        assert_eq!(probe.samples()[3].live_bytes, 7);
    }

    #[test]
    fn counting_only_takes_no_sample() {
        let mut probe = Probe::counting_only();
        probe.ticks(5);
        probe.sample_now();
        assert_eq!(probe.operations(), 5);
        assert!(probe.samples().is_empty());
    }
}
