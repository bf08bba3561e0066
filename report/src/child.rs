//! The child side of the runner protocol: one process measures one variant
//! of one scenario, either under dhat (allocations, bytes, peaks, samples,
//! a profile file) or without it (wall time), and prints one result line.

use std::hint::black_box;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::Instant;

use super::alloc::{self, CallCounts, ProfilingSwitch, WindowPeakSwitch};
use super::probe::{Probe, Reading, Sample};
use super::results::Measurement;

/// The environment variable that turns a report binary into a child:
/// `"<scenario index> <before|after> <profile|time>"`.
pub(crate) const CHILD_VAR: &str = "POOLKIT_REPORT_CHILD";
/// Where a profiling child writes its dhat profile.
pub(crate) const PROFILE_VAR: &str = "POOLKIT_REPORT_PROFILE";
/// The stdout prefix of a child's result (a JSON `Measurement`).
pub(crate) const RESULT_PREFIX: &str = "poolkit-report-result: ";
/// The stdout prefix of a child's failure (a JSON string).
pub(crate) const FAILED_PREFIX: &str = "poolkit-report-failed: ";

/// How a child measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Under dhat, writing a profile.
    Profile,
    /// Without the profiler, for wall time.
    Time,
}

impl Mode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Mode::Profile => "profile",
            Mode::Time => "time",
        }
    }
}

/// A child's assignment, parsed from [`CHILD_VAR`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Assignment {
    pub(crate) scenario: usize,
    pub(crate) after: bool,
    pub(crate) mode: Mode,
}

impl Assignment {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("{CHILD_VAR}={text:?} is not `<index> <before|after> <profile|time>`");
        let mut parts = text.split(' ');
        let scenario = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let after = match parts.next() {
            Some("before") => false,
            Some("after") => true,
            _ => return Err(bad()),
        };
        let mode = match parts.next() {
            Some("profile") => Mode::Profile,
            Some("time") => Mode::Time,
            _ => return Err(bad()),
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Self {
            scenario,
            after,
            mode,
        })
    }

    pub(crate) fn encode(&self) -> String {
        let variant = if self.after { "after" } else { "before" };
        format!("{} {variant} {}", self.scenario, self.mode.as_str())
    }
}

/// Runs `work` as the assignment says and prints the result line; returns
/// the process exit status (0: measured, 1: the work panicked or the setup
/// is wrong).
pub(crate) fn measure(mode: Mode, profile: Option<&Path>, work: &mut dyn FnMut(&mut Probe)) -> u8 {
    let outcome = match mode {
        Mode::Profile => match profile {
            Some(path) => profile_run(path, work),
            None => Err(format!("{PROFILE_VAR} is not set")),
        },
        Mode::Time => time_run(work),
    };
    match outcome {
        Ok(measurement) => {
            let json = serde_json::to_string(&measurement).expect("a measurement serializes");
            println!("{RESULT_PREFIX}{json}");
            0
        }
        Err(message) => {
            let json = serde_json::to_string(&message).expect("a string serializes");
            println!("{FAILED_PREFIX}{json}");
            1
        }
    }
}

fn run_catching(work: &mut dyn FnMut(&mut Probe), probe: &mut Probe) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| work(probe))).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(a panic without a message)".to_owned());
        format!("panicked: {message}")
    })
}

fn time_run(work: &mut dyn FnMut(&mut Probe)) -> Result<Measurement, String> {
    let mut probe = Probe::counting_only();
    let start = Instant::now();
    run_catching(work, &mut probe)?;
    let wall_time_ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    Ok(Measurement {
        allocations: 0,
        reallocations: 0,
        bytes_allocated: 0,
        peak_live_bytes: 0,
        live_bytes_at_end: 0,
        operations: probe.operations(),
        wall_time_ns,
        samples: Vec::new(),
    })
}

/// Reads dhat's live bytes and block count, and the window's peak from the
/// allocator (the probe's sample source).
fn dhat_sample() -> Reading {
    let stats = dhat::HeapStats::get();
    let live_bytes = stats.curr_bytes as u64;
    Reading {
        live_bytes,
        peak_live_bytes: alloc::take_window_peak().max(live_bytes),
        allocations: stats.total_blocks,
    }
}

fn profile_run(path: &Path, work: &mut dyn FnMut(&mut Probe)) -> Result<Measurement, String> {
    // Everything the run's bookkeeping needs is allocated before the
    // profiler starts, so it is not measured.
    let mut probe = Probe::sampling(dhat_sample);
    let switch = ProfilingSwitch::on();
    let before_check = CallCounts::now();
    black_box(Box::new(0u64));
    if CallCounts::now() == before_check {
        return Err("poolkit_report::Alloc is not the global allocator: add \
             `#[global_allocator] static ALLOC: poolkit_report::Alloc = poolkit_report::Alloc;` \
             to the report binary"
            .to_owned());
    }
    let profiler = dhat::Profiler::builder().file_name(path).build();
    let window_peak = WindowPeakSwitch::on();
    let start_stats = dhat::HeapStats::get();
    let start_calls = CallCounts::now();
    probe.sample_now();
    let result = run_catching(work, &mut probe);
    probe.sample_now();
    let end_stats = dhat::HeapStats::get();
    let end_calls = CallCounts::now();
    drop(window_peak);
    drop(profiler); // writes the profile
    drop(switch);
    result?;

    let base_live = start_stats.curr_bytes as u64;
    let base_blocks = start_stats.total_blocks;
    let reallocations = end_calls.reallocations - start_calls.reallocations;
    let operations = probe.operations();
    let samples = probe
        .into_samples()
        .into_iter()
        .map(|s| Sample {
            operations: s.operations,
            live_bytes: s.live_bytes.saturating_sub(base_live),
            peak_live_bytes: s.peak_live_bytes.saturating_sub(base_live),
            allocations: s.allocations.saturating_sub(base_blocks),
        })
        .collect();
    Ok(Measurement {
        allocations: (end_stats.total_blocks - base_blocks).saturating_sub(reallocations),
        reallocations,
        bytes_allocated: end_stats.total_bytes - start_stats.total_bytes,
        peak_live_bytes: (end_stats.max_bytes as u64).saturating_sub(base_live),
        live_bytes_at_end: (end_stats.curr_bytes as u64).saturating_sub(base_live),
        operations,
        wall_time_ns: 0,
        samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_round_trip_and_bad_ones_are_refused() {
        let a = Assignment {
            scenario: 3,
            after: true,
            mode: Mode::Time,
        };
        assert_eq!(Assignment::parse(&a.encode()), Ok(a));
        for bad in [
            "",
            "x before profile",
            "1 during profile",
            "1 before",
            "1 after time x",
        ] {
            assert!(Assignment::parse(bad).is_err(), "{bad:?}");
        }
    }
}
