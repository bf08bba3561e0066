//! The probe a scenario ticks once per operation: it counts operations and,
//! under the profiler, samples the live heap for the chart.

use serde::{Deserialize, Serialize};

/// The most samples one run keeps; past it, every other sample is dropped
/// and the sampling interval doubles, so a run of any length keeps between
/// half and all of this many, evenly spaced.
pub const MAX_SAMPLES: usize = 512;

/// One point of a run's heap curve: the end of a sample window.
///
/// A window runs from the previous sample (excluded) to this one; the
/// chart plots each window's peak, so a short spike between two samples
/// still shows, and the highest point of the line is the run's
/// [`peak_live_bytes`](crate::Measurement::peak_live_bytes).
///
/// # Examples
///
/// ```
/// let sample = poolkit_report::Sample {
///     operations: 10, live_bytes: 0, peak_live_bytes: 4096, allocations: 3,
/// };
/// // A 4 KiB block lived and was freed within the window.
/// assert!(sample.peak_live_bytes > sample.live_bytes);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Operations ticked before this sample was taken.
    pub operations: u64,
    /// Heap bytes live at that moment, counting only blocks allocated since
    /// the run started.
    pub live_bytes: u64,
    /// The most heap bytes live at once within the window that this sample
    /// ends, counted the same way: at least `live_bytes`.
    pub peak_live_bytes: u64,
    /// Heap allocations (blocks, reallocations included) since the run
    /// started.
    pub allocations: u64,
}

/// What the profiler says at a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reading {
    /// Live heap bytes now.
    pub(crate) live_bytes: u64,
    /// The most live heap bytes since the previous reading (at least
    /// `live_bytes`).
    pub(crate) peak_live_bytes: u64,
    /// Heap allocations so far.
    pub(crate) allocations: u64,
}

/// Reads the profiler, starting a new window.
pub(crate) type SampleSource = fn() -> Reading;

/// Counts a scenario's operations and samples its live heap over the run.
///
/// Each scenario closure receives a `&mut Probe`; call [`tick`](Probe::tick)
/// once per operation (a request, a line, a message). The report's chart
/// plots live heap bytes against these operations.
///
/// Guarantees: ticking never allocates (the sample buffer is reserved before
/// the profiler starts, so it is not part of what is measured); at most
/// [`MAX_SAMPLES`] samples are kept, evenly spaced over the whole run, and
/// when two windows merge into one their peaks do too, so no peak is lost;
/// a tick costs an add and a compare, and a sample one read of dhat's
/// counters (under its lock). In a timing run nothing is sampled.
///
/// # Examples
///
/// ```
/// let mut probe = poolkit_report::Probe::counting_only();
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
    /// The peak of a window whose sample was dropped at the end of the
    /// list: the next sample's window now covers it.
    carried_peak: u64,
    /// Live bytes at the last reading: where the next window starts, so its
    /// peak is at least that even if the window only frees.
    last_live: u64,
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
            carried_peak: 0,
            last_live: 0,
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
            carried_peak: 0,
            last_live: 0,
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
        let reading = source();
        let mut sample = Sample {
            operations: self.operations,
            live_bytes: reading.live_bytes,
            peak_live_bytes: reading
                .peak_live_bytes
                .max(reading.live_bytes)
                .max(std::mem::take(&mut self.carried_peak))
                .max(self.last_live),
            allocations: reading.allocations,
        };
        self.last_live = reading.live_bytes;
        match self.samples.last_mut() {
            // A second sample at the same count replaces the first; its
            // window now covers both.
            Some(last) if last.operations == self.operations => {
                sample.peak_live_bytes = sample.peak_live_bytes.max(last.peak_live_bytes);
                *last = sample;
            }
            _ => self.samples.push(sample),
        }
        self.next_sample_at = self
            .operations
            .saturating_add(self.interval)
            .max(self.operations.saturating_add(1));
    }

    /// Keeps every other sample (the first always) and doubles the interval.
    /// A kept sample's window takes in the dropped one before it, peak
    /// included; a dropped last sample's peak goes to the next sample taken.
    fn halve(&mut self) {
        let len = self.samples.len();
        let mut kept = 0;
        for index in (0..len).step_by(2) {
            let mut sample = self.samples[index];
            if index > 0 {
                sample.peak_live_bytes = sample
                    .peak_live_bytes
                    .max(self.samples[index - 1].peak_live_bytes);
            }
            self.samples[kept] = sample;
            kept += 1;
        }
        if len % 2 == 0 && len > 0 {
            self.carried_peak = self.carried_peak.max(self.samples[len - 1].peak_live_bytes);
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

    fn fake_source() -> Reading {
        Reading {
            live_bytes: 7,
            peak_live_bytes: 7,
            allocations: 9,
        }
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

    thread_local! {
        static READINGS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
        static SPIKE_AT: std::cell::Cell<u64> = const { std::cell::Cell::new(u64::MAX) };
    }

    /// 7 bytes live throughout, and one window (the `SPIKE_AT`-th reading)
    /// whose peak is 1,000 bytes.
    fn spiking_source() -> Reading {
        let reading = READINGS.with(|r| r.replace(r.get() + 1));
        let spike = SPIKE_AT.with(std::cell::Cell::get) == reading;
        Reading {
            live_bytes: 7,
            peak_live_bytes: if spike { 1_000 } else { 7 },
            allocations: reading,
        }
    }

    #[test]
    fn a_window_peak_survives_the_halving() {
        // Reading 1: a sample dropped by the first halving, in the middle;
        // reading MAX_SAMPLES - 1: the last one, dropped with no sample after
        // it yet; 777: one dropped by a later halving.
        for spike_at in [1, MAX_SAMPLES as u64 - 1, 777] {
            READINGS.with(|r| r.set(0));
            SPIKE_AT.with(|s| s.set(spike_at));
            let mut probe = Probe::sampling(spiking_source);
            probe.sample_now();
            for _ in 0..100_000 {
                probe.tick();
            }
            probe.sample_now();
            assert!(probe.samples().len() < 100_000, "the probe halved");
            let top = probe.samples().iter().map(|s| s.peak_live_bytes).max();
            assert_eq!(top, Some(1_000), "spike at reading {spike_at}");
            assert!(probe.samples().iter().all(|s| s.live_bytes == 7));
        }
    }

    thread_local! {
        static FREEING_READINGS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    /// 100 bytes live at the first reading, all freed (nothing allocated)
    /// by the second.
    fn freeing_source() -> Reading {
        let reading = FREEING_READINGS.with(|r| r.replace(r.get() + 1));
        let live_bytes = if reading == 0 { 100 } else { 0 };
        Reading {
            live_bytes,
            peak_live_bytes: live_bytes,
            allocations: 1,
        }
    }

    #[test]
    fn a_window_that_only_frees_peaks_where_it_starts() {
        let mut probe = Probe::sampling(freeing_source);
        probe.sample_now();
        probe.tick();
        let samples = probe.samples();
        assert_eq!(
            samples.iter().map(|s| s.live_bytes).collect::<Vec<_>>(),
            [100, 0]
        );
        assert_eq!(
            samples
                .iter()
                .map(|s| s.peak_live_bytes)
                .collect::<Vec<_>>(),
            [100, 100]
        );
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
