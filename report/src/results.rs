//! What a report measured, as data: the types written to `report.json` and
//! read back by anyone who wants the numbers.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::probe::Sample;

/// What dhat saw while one variant of one scenario ran, plus its wall time.
///
/// # Examples
///
/// ```
/// use poolkit_report::Measurement;
///
/// let m = Measurement { allocations: 10, reallocations: 2, bytes_allocated: 4096,
///     peak_live_bytes: 1024, live_bytes_at_end: 0, operations: 10,
///     wall_time_ns: 5_000, samples: Vec::new() };
/// assert_eq!(m.allocations + m.reallocations, 12);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measurement {
    /// Fresh heap blocks allocated (reallocations not included).
    pub allocations: u64,
    /// Reallocation calls (a growing `Vec` makes these).
    pub reallocations: u64,
    /// Bytes requested by allocations and reallocations (dhat's "total
    /// bytes": a reallocation counts its new size).
    pub bytes_allocated: u64,
    /// The most heap bytes live at once during the run, counting only blocks
    /// allocated since the run started.
    pub peak_live_bytes: u64,
    /// Heap bytes allocated during the run and still live after it (what a
    /// pool or a cache keeps, or a leak).
    pub live_bytes_at_end: u64,
    /// Operations the scenario ticked on its probe.
    pub operations: u64,
    /// Wall time of the run without the profiler, in its own process, in
    /// nanoseconds (one run: expect noise).
    pub wall_time_ns: u64,
    /// The live heap over the run (at most
    /// [`MAX_SAMPLES`](super::MAX_SAMPLES) points).
    pub samples: Vec<Sample>,
}

/// How one variant (before or after) of a scenario ended.
///
/// # Examples
///
/// ```
/// use poolkit_report::VariantOutcome;
///
/// let failed = VariantOutcome::Failed { message: "index out of bounds".into() };
/// assert!(failed.measurement().is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum VariantOutcome {
    /// The variant ran to the end.
    Measured {
        /// What was measured.
        #[serde(flatten)]
        measurement: Measurement,
        /// The dhat profile of the run (open it in `dh_view.html`).
        dhat_profile: PathBuf,
    },
    /// The variant panicked or its process died; the others still ran.
    Failed {
        /// The panic message, or why the process ended.
        message: String,
    },
}

impl VariantOutcome {
    /// The measurement, if the variant ran to the end.
    pub fn measurement(&self) -> Option<&Measurement> {
        match self {
            VariantOutcome::Measured { measurement, .. } => Some(measurement),
            VariantOutcome::Failed { .. } => None,
        }
    }
}

/// Before divided by after, for each measure; `None` where after is zero
/// (everything saved) or either side failed.
///
/// # Examples
///
/// ```
/// use poolkit_report::Reduction;
///
/// let r = Reduction::between(1000, 10);
/// assert_eq!(r, Some(100.0));
/// assert_eq!(Reduction::between(1000, 0), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Reduction {
    /// Before ÷ after, allocations.
    pub allocations: Option<f64>,
    /// Before ÷ after, bytes allocated.
    pub bytes_allocated: Option<f64>,
    /// Before ÷ after, peak live bytes (below 1: the after variant peaks
    /// higher, as a warm pool does when nothing else is live).
    pub peak_live_bytes: Option<f64>,
    /// Before ÷ after, wall time.
    pub wall_time: Option<f64>,
}

impl Reduction {
    /// `before / after`, or `None` when `after` is zero.
    pub fn between(before: u64, after: u64) -> Option<f64> {
        (after != 0).then(|| before as f64 / after as f64)
    }

    pub(crate) fn of(before: &VariantOutcome, after: &VariantOutcome) -> Option<Self> {
        let (b, a) = (before.measurement()?, after.measurement()?);
        Some(Self {
            allocations: Self::between(b.allocations, a.allocations),
            bytes_allocated: Self::between(b.bytes_allocated, a.bytes_allocated),
            peak_live_bytes: Self::between(b.peak_live_bytes, a.peak_live_bytes),
            wall_time: Self::between(b.wall_time_ns, a.wall_time_ns),
        })
    }
}

/// One scenario's results: both variants, the reduction and the chart.
///
/// # Examples
///
/// ```
/// use poolkit_report::{ScenarioResult, VariantOutcome};
///
/// let failed = || VariantOutcome::Failed { message: "boom".into() };
/// let s = ScenarioResult { name: "x".into(), description: "y".into(),
///     before: failed(), after: failed(), reduction: None, chart: None };
/// assert!(s.failed());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// The scenario's name.
    pub name: String,
    /// What changed between before and after, in one line.
    pub description: String,
    /// The usual code.
    pub before: VariantOutcome,
    /// The same work, improved.
    pub after: VariantOutcome,
    /// Before ÷ after; `None` if a variant failed.
    pub reduction: Option<Reduction>,
    /// The SVG chart of live heap bytes against operations.
    pub chart: Option<PathBuf>,
}

impl ScenarioResult {
    /// Whether either variant failed.
    pub fn failed(&self) -> bool {
        self.before.measurement().is_none() || self.after.measurement().is_none()
    }
}

/// The whole report, as written to `report.json`.
///
/// # Examples
///
/// ```
/// use poolkit_report::ReportResults;
///
/// let json = r#"{"title":"t","quick":false,"output_folder":"out","scenarios":[]}"#;
/// let results: ReportResults = serde_json::from_str(json).unwrap();
/// assert!(results.scenarios.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportResults {
    /// The report's title.
    pub title: String,
    /// Whether the run was the short one (`--quick`).
    pub quick: bool,
    /// Where the files were written.
    pub output_folder: PathBuf,
    /// One entry per scenario run, in declaration order.
    pub scenarios: Vec<ScenarioResult>,
}

impl ReportResults {
    /// Reads a `report.json` written by a report run.
    ///
    /// # Errors
    ///
    /// The file cannot be read or is not a report (the message names the
    /// path).
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{} is not a report: {e}", path.display()))
    }
}
