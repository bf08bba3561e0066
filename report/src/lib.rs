//! Before/after allocation reports for your own hot paths: prove that a
//! change allocates less, with a table, dhat profiles and SVG charts of the
//! live heap.
//!
//! `go tool pprof -base` compares two heap profiles; this compares two
//! versions of the same code. A report binary (an example, or a
//! `harness = false` test) installs [`Alloc`] as its global allocator,
//! declares scenarios, each a name and two closures, *before* and *after*,
//! and calls [`Report::run`]. poolkit's own report of its hot paths is this
//! crate's `alloc_report` example:
//! `cargo run --release -p poolkit-report --example alloc_report`.
//!
//! # Your own hot path, in about ten lines
//!
//! Add the report as a dev-dependency, so it never enters your library or
//! your binaries (only examples, tests and benchmarks see it):
//!
//! ```toml
//! [dev-dependencies]
//! poolkit-report = { path = "../poolkit/report" }  # a clone of the poolkit repository
//! ```
//!
//! and write the comparison as an example, `examples/alloc_compare.rs`, run
//! with `cargo run --release --example alloc_compare` (add `-- --quick` for
//! the short run):
//!
//! ```
//! use std::hint::black_box;
//! use poolkit_report::{Alloc, Report};
//!
//! #[global_allocator]
//! static ALLOC: Alloc = Alloc; // counts allocations while a scenario runs
//!
//! fn main() -> std::process::ExitCode {
//!     # let out = std::env::temp_dir().join(format!("poolkit-report-doc-{}", std::process::id()));
//!     # let mut report = Report::with_args(["--quick".to_string(), "--out".to_string(), out.display().to_string()]);
//!     # if false {
//!     let mut report = Report::from_args(); // --quick, --out DIR, scenario names
//!     # }
//!     let requests: u64 = if report.is_quick() { 1_000 } else { 100_000 };
//!     let pool = poolkit::Pool::new(|| Vec::<u8>::with_capacity(4096));
//!     report.scenario("bodies", "a Vec per request -> a pooled buffer",
//!         move |probe| for i in 0..requests {
//!             let mut body = Vec::new(); // the usual code
//!             body.extend_from_slice(&i.to_le_bytes());
//!             black_box(&body);
//!             probe.tick(); // once per operation: the chart's x axis
//!         },
//!         move |probe| for i in 0..requests {
//!             let mut body = pool.get(); // the same work, pooled
//!             body.extend_from_slice(&i.to_le_bytes());
//!             black_box(&*body);
//!             probe.tick();
//!         });
//!     # let results = report.try_run().unwrap();
//!     # let bodies = &results.scenarios[0];
//!     # let (before, after) = (bodies.before.measurement().unwrap(), bodies.after.measurement().unwrap());
//!     # assert_eq!(before.allocations, requests);
//!     # assert!(after.allocations * 100 < before.allocations, "{} allocations after", after.allocations);
//!     # assert_eq!(bodies.chart.as_deref().map(|c| c.is_file()), Some(true));
//!     # std::fs::remove_dir_all(&out).unwrap();
//!     # if false {
//!     report.run() // prints the table; writes report.json, profiles, charts
//!     # } else { std::process::ExitCode::SUCCESS }
//! }
//! ```
//!
//! The table it prints (allocations, reallocations, bytes, peak and final
//! live bytes, wall time, before ÷ after) is followed by the paths of the
//! files it wrote.
//!
//! # What a run does
//!
//! - Each (scenario, variant) runs in a **fresh child process** of the same
//!   binary (selected by the `POOLKIT_REPORT_CHILD` environment variable),
//!   once under dhat's heap profiler and once without it for the wall time.
//!   Peaks never mix, and dhat's one-profiler-per-process rule holds.
//! - Per variant: heap allocations, reallocations, bytes allocated, peak live
//!   bytes, live bytes at the end, wall time ([`Measurement`]); per scenario
//!   before ÷ after ([`Reduction`]). Only what the closure allocates counts:
//!   whatever it captured was allocated before the profiler started.
//! - Output, in one folder (default `target/poolkit-report/` in the Cargo
//!   target folder, `--out DIR` to change): `report.json`
//!   ([`ReportResults`]), one dhat profile per variant
//!   (`<scenario>.<before|after>.dhat.json`, open it in dhat's viewer
//!   `dh_view.html`), one SVG chart per scenario (`<scenario>.svg`: live heap
//!   bytes against the operations ticked on the [`Probe`], before and after
//!   on one plot; each point is the peak of its sample window, so the line
//!   tops out at the peak the legend states, and a spike between two
//!   samples still shows). The table and the paths go to stdout, progress
//!   to stderr.
//! - Flags: `--quick` ([`Report::is_quick`] tells the scenarios to shrink),
//!   `--out DIR`, `--list`, `--help`, and scenario names to run only those.
//!
//! # Failures
//!
//! - An unknown flag or scenario name: a message and the usage on stderr,
//!   exit code 2, nothing run. Duplicate scenario names: the same.
//! - An output folder that cannot be created or written: an error naming the
//!   path, exit code 1, nothing run.
//! - A scenario that panics (or whose process dies) is reported as failed in
//!   the table and the JSON with its message; the other scenarios still run;
//!   the exit code is 1.
//! - [`Alloc`] not installed as the global allocator: each variant fails
//!   with a message saying how to install it, instead of reporting zeros.
//!
//! # Cost
//!
//! dhat records a backtrace per allocation: a profiled run is much slower
//! than the real code, which is why wall time comes from a separate run
//! without it. Under the profiler, [`Alloc`] also reads dhat's live bytes
//! after each allocation, for the peak of each sample window. When no
//! profiler runs it adds one relaxed atomic load per allocator call.

#![warn(
    missing_docs,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]
// `deny`, not `forbid`: the global allocator wrapper (`src/alloc.rs`) is the
// one place with `unsafe`, each block with a `// SAFETY:` comment
// (implementing `GlobalAlloc` requires it).
#![deny(unsafe_code)]

mod alloc;
mod args;
mod chart;
mod child;
mod probe;
mod results;
mod runner;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

pub use alloc::Alloc;
pub use probe::{Probe, Sample, MAX_SAMPLES};
pub use results::{Measurement, Reduction, ReportResults, ScenarioResult, VariantOutcome};
pub use runner::ReportError;

use args::Options;
use child::{Assignment, CHILD_VAR, PROFILE_VAR};
use runner::Planned;

/// A closure that runs one variant of a scenario once.
type Work = Box<dyn FnMut(&mut Probe)>;

struct Scenario {
    name: String,
    description: String,
    before: Work,
    after: Work,
}

/// A before/after allocation comparison: scenarios plus the command line.
///
/// See the [crate docs](crate) for the whole story. Guarantees: each
/// (scenario, variant) is measured in a process of its own; a scenario that
/// panics never stops the others; bad input is refused before anything runs.
///
/// # Examples
///
/// ```
/// use poolkit_report::Report;
///
/// let mut report = Report::with_args(["--quick".to_string()]);
/// assert!(report.is_quick());
/// report.scenario("boxes", "Box per item → none", |probe| {
///     for i in 0..10u64 { std::hint::black_box(Box::new(i)); probe.tick(); }
/// }, |probe| probe.ticks(10));
/// assert_eq!(report.scenario_names(), ["boxes"]);
/// ```
pub struct Report {
    title: String,
    args: Vec<String>,
    program: String,
    options: Result<Options, String>,
    output_folder: Option<PathBuf>,
    scenarios: Vec<Scenario>,
}

impl Report {
    /// A report configured by this process's command line (`--quick`,
    /// `--out DIR`, `--list`, `--help`, scenario names). A bad command line
    /// is reported by [`run`](Report::run), not here.
    pub fn from_args() -> Self {
        let mut all = std::env::args();
        let program = all.next().unwrap_or_else(|| "report".to_owned());
        let mut report = Self::with_args(all);
        report.program = program;
        report
    }

    /// A report configured by `args` (the arguments after the program name).
    pub fn with_args<I: IntoIterator<Item = String>>(args: I) -> Self {
        let args: Vec<String> = args.into_iter().collect();
        Self {
            title: "poolkit allocation report".to_owned(),
            options: args::parse(&args),
            args,
            program: "report".to_owned(),
            output_folder: None,
            scenarios: Vec::new(),
        }
    }

    /// Sets the title printed above the table and stored in the JSON.
    pub fn title(&mut self, title: impl Into<String>) -> &mut Self {
        self.title = title.into();
        self
    }

    /// Sets the output folder used when the command line gives no `--out`.
    pub fn default_output_folder(&mut self, folder: impl Into<PathBuf>) -> &mut Self {
        self.output_folder = Some(folder.into());
        self
    }

    /// Whether the short run (`--quick`) was asked for: size the scenarios
    /// by it.
    pub fn is_quick(&self) -> bool {
        self.options.as_ref().is_ok_and(|o| o.quick)
    }

    /// Adds a scenario: a unique `name`, one line saying what changed, and
    /// the two versions of the work. Each closure runs once per process and
    /// should call [`Probe::tick`] once per operation.
    pub fn scenario<B, A>(
        &mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        before: B,
        after: A,
    ) -> &mut Self
    where
        B: FnMut(&mut Probe) + 'static,
        A: FnMut(&mut Probe) + 'static,
    {
        self.scenarios.push(Scenario {
            name: name.into(),
            description: description.into(),
            before: Box::new(before),
            after: Box::new(after),
        });
        self
    }

    /// The scenario names, in declaration order.
    pub fn scenario_names(&self) -> Vec<&str> {
        self.scenarios.iter().map(|s| s.name.as_str()).collect()
    }

    /// Runs the report as a program: measures, prints the table and the
    /// paths, and returns the exit code (0: all measured; 1: a scenario
    /// failed or the folder could not be written; 2: bad command line).
    /// Handles `--help` and `--list`. In a measurement child process it
    /// measures its one variant and exits.
    pub fn run(&mut self) -> ExitCode {
        if std::env::var_os(CHILD_VAR).is_none() {
            if let Ok(options) = &self.options {
                if options.help {
                    print!("{}", args::usage(&self.program));
                    return ExitCode::SUCCESS;
                }
                if options.list {
                    for scenario in &self.scenarios {
                        println!("{}", scenario.name);
                    }
                    return ExitCode::SUCCESS;
                }
            }
        }
        match self.try_run() {
            Ok(results) => {
                print!("{}", runner::summary(&results));
                if results.scenarios.iter().any(ScenarioResult::failed) {
                    ExitCode::from(1)
                } else {
                    ExitCode::SUCCESS
                }
            }
            Err(error) => {
                eprintln!("error: {error}");
                if error.exit_code() == 2 {
                    eprint!("\n{}", args::usage(&self.program));
                }
                ExitCode::from(error.exit_code())
            }
        }
    }

    /// Measures every selected scenario and writes the files; returns the
    /// results instead of printing them (progress still goes to stderr).
    /// Ignores `--help` and `--list`. In a measurement child process it
    /// measures its one variant and exits the process.
    ///
    /// # Errors
    ///
    /// A bad command line, duplicate scenario names, an output folder that
    /// cannot be written, or a child that cannot be started; see
    /// [`ReportError`]. A failing scenario is not an error: it is in the
    /// results, marked failed.
    pub fn try_run(&mut self) -> Result<ReportResults, ReportError> {
        if let Some(assignment) = std::env::var_os(CHILD_VAR) {
            self.run_as_child(&assignment.to_string_lossy());
        }
        let options = self.options.clone().map_err(ReportError::CommandLine)?;
        let planned = self.plan(&options)?;
        let folder = options
            .output_folder
            .clone()
            .or_else(|| self.output_folder.clone())
            .unwrap_or_else(runner::default_output_folder);
        runner::prepare_output_folder(&folder)?;
        runner::run_all(&self.title, &options, &self.args, &folder, &planned)
    }

    /// Checks the names and picks the scenarios the command line asked for.
    fn plan(&self, options: &Options) -> Result<Vec<Planned<'_>>, ReportError> {
        let mut stems: Vec<String> = Vec::with_capacity(self.scenarios.len());
        for scenario in &self.scenarios {
            let stem = runner::file_stem(&scenario.name);
            if stem.is_empty() {
                return Err(ReportError::Declaration(format!(
                    "scenario name {:?} has no letter or digit to name its files by",
                    scenario.name
                )));
            }
            if let Some(other) = stems.iter().position(|s| *s == stem) {
                return Err(ReportError::Declaration(format!(
                    "scenarios {:?} and {:?} would write the same files ({stem}.*): rename one",
                    self.scenarios[other].name, scenario.name
                )));
            }
            stems.push(stem);
        }
        for wanted in &options.only {
            if !self.scenarios.iter().any(|s| s.name == *wanted) {
                let known: Vec<&str> = self.scenario_names();
                return Err(ReportError::CommandLine(format!(
                    "unknown scenario `{wanted}`; the scenarios are: {}",
                    known.join(", ")
                )));
            }
        }
        Ok(self
            .scenarios
            .iter()
            .zip(stems)
            .enumerate()
            .filter(|(_, (s, _))| options.only.is_empty() || options.only.contains(&s.name))
            .map(|(index, (s, file_stem))| Planned {
                index,
                name: &s.name,
                description: &s.description,
                file_stem,
            })
            .collect())
    }

    /// Child mode: measure the one assigned variant, print the result line,
    /// exit.
    fn run_as_child(&mut self, assignment: &str) -> ! {
        let code = match Assignment::parse(assignment) {
            Err(message) => {
                eprintln!("error: {message}");
                2
            }
            Ok(assignment) => match self.scenarios.get_mut(assignment.scenario) {
                None => {
                    eprintln!("error: no scenario number {}", assignment.scenario);
                    2
                }
                Some(scenario) => {
                    let work = if assignment.after {
                        &mut scenario.after
                    } else {
                        &mut scenario.before
                    };
                    let profile = std::env::var_os(PROFILE_VAR).map(PathBuf::from);
                    child::measure(assignment.mode, profile.as_deref(), work.as_mut())
                }
            },
        };
        std::process::exit(i32::from(code))
    }
}

/// Every ```` ```rust ```` block of poolkit's `README.md` (this package's
/// readme), compiled and run as a doctest of this crate, where poolkit (with
/// `bytes` and `derive`) and `poolkit_report` are both in scope: what a
/// newcomer pastes from the README works.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme_doctests {}
