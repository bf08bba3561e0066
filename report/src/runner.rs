//! The parent side of the runner protocol: checks the command line and the
//! output folder, runs each (scenario, variant) in fresh child processes of
//! the same binary, and writes the table, the JSON and the charts.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::args::Options;
use super::chart;
use super::child::{Assignment, Mode, CHILD_VAR, FAILED_PREFIX, PROFILE_VAR, RESULT_PREFIX};
use super::results::{Measurement, Reduction, ReportResults, ScenarioResult, VariantOutcome};
use super::table;

/// Why a report could not run.
///
/// # Examples
///
/// ```
/// use poolkit_report::ReportError;
///
/// let error = ReportError::CommandLine("unknown flag `--quik`".into());
/// assert_eq!(error.to_string(), "unknown flag `--quik`");
/// assert_eq!(error.exit_code(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportError {
    /// A bad flag or an unknown scenario name (exit code 2).
    CommandLine(String),
    /// Two scenarios share a name (or a file name), or one has none (exit
    /// code 2).
    Declaration(String),
    /// The output folder cannot be created or written (exit code 1).
    OutputFolder {
        /// The folder or file that could not be written.
        path: PathBuf,
        /// What the system said.
        message: String,
    },
    /// This binary could not start itself again for a measurement (exit
    /// code 1).
    Spawn(String),
}

impl ReportError {
    /// The process exit code for this error: 2 for a mistake in the command
    /// line or the scenario list, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            ReportError::CommandLine(_) | ReportError::Declaration(_) => 2,
            ReportError::OutputFolder { .. } | ReportError::Spawn(_) => 1,
        }
    }
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::CommandLine(message)
            | ReportError::Declaration(message)
            | ReportError::Spawn(message) => f.write_str(message),
            ReportError::OutputFolder { path, message } => {
                write!(
                    f,
                    "cannot write the output folder {}: {message}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for ReportError {}

/// A scenario as the runner sees it.
pub(crate) struct Planned<'a> {
    pub(crate) index: usize,
    pub(crate) name: &'a str,
    pub(crate) description: &'a str,
    pub(crate) file_stem: String,
}

/// A file-name-safe form of a scenario name: `Response bodies (1)` →
/// `response-bodies-1`.
pub(crate) fn file_stem(name: &str) -> String {
    let mut stem = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            stem.push(c.to_ascii_lowercase());
        } else if !stem.ends_with('-') && !stem.is_empty() {
            stem.push('-');
        }
    }
    while stem.ends_with('-') {
        stem.pop();
    }
    stem
}

/// `target/poolkit-report` in the Cargo target folder this binary was built
/// in (found by its `CACHEDIR.TAG`), else under the current folder.
pub(crate) fn default_output_folder() -> PathBuf {
    let exe = std::env::current_exe().ok();
    let target = exe.as_deref().and_then(|exe| {
        exe.ancestors()
            .find(|dir| dir.join("CACHEDIR.TAG").is_file())
    });
    match target {
        Some(target) => target.join("poolkit-report"),
        None => PathBuf::from("target").join("poolkit-report"),
    }
}

/// Creates the folder and proves it writable, naming the path on failure.
pub(crate) fn prepare_output_folder(folder: &Path) -> Result<(), ReportError> {
    let fail = |path: &Path, e: std::io::Error| ReportError::OutputFolder {
        path: path.to_owned(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(folder).map_err(|e| fail(folder, e))?;
    let probe_file = folder.join(".poolkit-report-write-check");
    std::fs::write(&probe_file, b"ok").map_err(|e| fail(folder, e))?;
    let _ = std::fs::remove_file(&probe_file);
    Ok(())
}

/// Runs every planned scenario in child processes and gathers the results.
pub(crate) fn run_all(
    title: &str,
    options: &Options,
    args: &[String],
    folder: &Path,
    planned: &[Planned<'_>],
) -> Result<ReportResults, ReportError> {
    let exe = std::env::current_exe()
        .map_err(|e| ReportError::Spawn(format!("cannot find this program's path: {e}")))?;
    let mut scenarios = Vec::with_capacity(planned.len());
    for (position, plan) in planned.iter().enumerate() {
        let mut outcomes = Vec::with_capacity(2);
        for after in [false, true] {
            let variant = if after { "after" } else { "before" };
            eprintln!(
                "poolkit report: [{}/{}] {} / {variant}",
                position + 1,
                planned.len(),
                plan.name
            );
            let profile = folder.join(format!("{}.{variant}.dhat.json", plan.file_stem));
            let assignment = Assignment {
                scenario: plan.index,
                after,
                mode: Mode::Profile,
            };
            let outcome = match run_child(&exe, args, assignment, Some(&profile))? {
                Err(message) => VariantOutcome::Failed { message },
                Ok(mut measurement) => {
                    let timing = Assignment {
                        mode: Mode::Time,
                        ..assignment
                    };
                    match run_child(&exe, args, timing, None)? {
                        Err(message) => VariantOutcome::Failed {
                            message: format!("timing run: {message}"),
                        },
                        Ok(timed) => {
                            measurement.wall_time_ns = timed.wall_time_ns;
                            VariantOutcome::Measured {
                                measurement,
                                dhat_profile: profile,
                            }
                        }
                    }
                }
            };
            if let VariantOutcome::Failed { message } = &outcome {
                eprintln!(
                    "poolkit report:   {} / {variant} FAILED: {message}",
                    plan.name
                );
            }
            outcomes.push(outcome);
        }
        let after = outcomes.pop().expect("two outcomes");
        let before = outcomes.pop().expect("two outcomes");
        let mut scenario = ScenarioResult {
            name: plan.name.to_owned(),
            description: plan.description.to_owned(),
            reduction: Reduction::of(&before, &after),
            before,
            after,
            chart: None,
        };
        scenario.chart = write_chart(&scenario, folder, &plan.file_stem)?;
        scenarios.push(scenario);
    }
    let results = ReportResults {
        title: title.to_owned(),
        quick: options.quick,
        output_folder: folder.to_owned(),
        scenarios,
    };
    let json_path = folder.join("report.json");
    let json = serde_json::to_string_pretty(&results).expect("results serialize");
    std::fs::write(&json_path, json).map_err(|e| ReportError::OutputFolder {
        path: json_path.clone(),
        message: e.to_string(),
    })?;
    Ok(results)
}

/// Draws the chart if at least one variant was measured.
fn write_chart(
    scenario: &ScenarioResult,
    folder: &Path,
    stem: &str,
) -> Result<Option<PathBuf>, ReportError> {
    if scenario.before.measurement().is_none() && scenario.after.measurement().is_none() {
        return Ok(None);
    }
    let svg = match chart::render_svg(scenario) {
        Ok(svg) => svg,
        Err(message) => {
            eprintln!("poolkit report: no chart for {}: {message}", scenario.name);
            return Ok(None);
        }
    };
    let path = folder.join(format!("{stem}.svg"));
    std::fs::write(&path, svg).map_err(|e| ReportError::OutputFolder {
        path: path.clone(),
        message: e.to_string(),
    })?;
    Ok(Some(path))
}

/// Runs one child; `Ok(Err(message))` when the child ran but failed.
fn run_child(
    exe: &Path,
    args: &[String],
    assignment: Assignment,
    profile: Option<&Path>,
) -> Result<Result<Measurement, String>, ReportError> {
    let mut command = Command::new(exe);
    command
        .args(args)
        .env(CHILD_VAR, assignment.encode())
        .stdin(Stdio::null());
    match profile {
        Some(path) => command.env(PROFILE_VAR, path),
        None => command.env_remove(PROFILE_VAR),
    };
    let output = command
        .output()
        .map_err(|e| ReportError::Spawn(format!("cannot start {}: {e}", exe.display())))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in stdout.lines().rev() {
        if let Some(json) = line.strip_prefix(RESULT_PREFIX) {
            if output.status.success() {
                return Ok(serde_json::from_str(json)
                    .map_err(|e| format!("unreadable result from the child: {e}")));
            }
        }
        if let Some(json) = line.strip_prefix(FAILED_PREFIX) {
            return Ok(Err(
                serde_json::from_str(json).unwrap_or_else(|_| json.to_owned())
            ));
        }
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last_lines: Vec<&str> = stderr.lines().rev().take(3).collect();
    let mut message = format!("the process ended with {} and no result", output.status);
    if !last_lines.is_empty() {
        message.push_str(": ");
        message.push_str(&last_lines.into_iter().rev().collect::<Vec<_>>().join(" / "));
    }
    Ok(Err(message))
}

/// The table, the files and how to open them, for stdout.
pub(crate) fn summary(results: &ReportResults) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{}{}\n\n",
        results.title,
        if results.quick { " (--quick)" } else { "" }
    ));
    out.push_str(&table::render(results));
    out.push('\n');
    for scenario in &results.scenarios {
        out.push_str(&format!("{}: {}\n", scenario.name, scenario.description));
    }
    out.push_str("\nfiles:\n");
    out.push_str(&format!(
        "  {}\n",
        results.output_folder.join("report.json").display()
    ));
    for scenario in &results.scenarios {
        for outcome in [&scenario.before, &scenario.after] {
            if let VariantOutcome::Measured { dhat_profile, .. } = outcome {
                out.push_str(&format!("  {}\n", dhat_profile.display()));
            }
        }
        if let Some(chart) = &scenario.chart {
            out.push_str(&format!("  {}\n", chart.display()));
        }
    }
    out.push_str(
        "\nopen a *.dhat.json in dhat's viewer: /usr/libexec/valgrind/dh_view.html \
         (Debian package valgrind), \"Load...\" the file; the *.svg in a browser.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(file_stem("Response bodies (1)"), "response-bodies-1");
        assert_eq!(file_stem("  a/b  "), "a-b");
        assert_eq!(file_stem("??"), "");
    }

    #[test]
    fn an_unwritable_folder_is_named() {
        let file = std::env::temp_dir().join(format!("poolkit-report-file-{}", std::process::id()));
        std::fs::write(&file, b"not a folder").unwrap();
        let folder = file.join("out");
        let error = prepare_output_folder(&folder).unwrap_err();
        let _ = std::fs::remove_file(&file);
        assert!(
            error.to_string().contains(&*folder.to_string_lossy()),
            "{error}"
        );
        assert_eq!(error.exit_code(), 1);
    }
}
