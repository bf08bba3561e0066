//! The report API end to end: this file is both a tiny report program (when
//! `REPORT_PROGRAM` is set, or when the runner starts it as a measurement
//! child) and the test that runs it as a separate process and checks what it
//! printed and wrote. No libtest harness: the runner re-executes this binary.

use std::cell::RefCell;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};
use std::rc::Rc;

use poolkit_report::{Alloc, Report, ReportResults, VariantOutcome};

#[global_allocator]
static ALLOC: Alloc = Alloc;

/// Set by the test to make this binary act as the report program.
const REPORT_PROGRAM: &str = "REPORT_PROGRAM";
/// Allocations the "allocates 37" scenario makes before.
const BOXES: u64 = 37;
/// The size of each of the three blocks the "leaks" scenario keeps live.
const LEAKED_BLOCK: usize = 4096;

fn report_program() -> ExitCode {
    let mut report = Report::from_args();
    report.title("end-to-end test report");
    report.scenario(
        "panics",
        "a deliberate panic before, nothing after",
        |_probe| panic!("deliberate panic in before"),
        |probe| probe.tick(),
    );
    report.scenario(
        "allocates 37",
        "37 boxes before, none after",
        |probe| {
            for i in 0..BOXES {
                black_box(Box::new(i));
                probe.tick();
            }
        },
        |probe| {
            for i in 0..BOXES {
                black_box(i);
                probe.tick();
            }
        },
    );
    report.scenario(
        "grows",
        "a Vec grown by push before, reserved up front after",
        |probe| {
            let mut v = Vec::new();
            for i in 0..1000u32 {
                v.push(i);
                probe.tick();
            }
            black_box(&v);
        },
        |probe| {
            let mut v = Vec::with_capacity(1000);
            for i in 0..1000u32 {
                v.push(i);
                probe.tick();
            }
            black_box(&v);
        },
    );
    // Kept, not leaked: the blocks stay reachable (LeakSanitizer stays quiet
    // under ASan), and the list's own buffer is allocated before the
    // profiler starts, so only the blocks count.
    let kept: Rc<RefCell<Vec<Vec<u8>>>> = Rc::new(RefCell::new(Vec::with_capacity(3)));
    report.scenario(
        "leaks",
        "three 4 KiB blocks kept to the end before, freed at once after",
        move |probe| {
            for _ in 0..3 {
                kept.borrow_mut().push(black_box(vec![1u8; LEAKED_BLOCK]));
                probe.tick();
            }
        },
        |probe| {
            for _ in 0..3 {
                // Zeroed: this goes through `alloc_zeroed`, which must be
                // counted as well.
                drop(black_box(vec![0u8; LEAKED_BLOCK]));
                probe.tick();
            }
        },
    );
    report.run()
}

fn run_report(args: &[&str]) -> Output {
    let exe = std::env::current_exe().expect("this test's path");
    Command::new(exe)
        .args(args)
        .env(REPORT_PROGRAM, "1")
        .output()
        .expect("start the report program")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn check(condition: bool, what: &str, output: &Output) {
    assert!(
        condition,
        "{what}\n--- stdout\n{}\n--- stderr\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

fn measured<'a>(results: &'a ReportResults, name: &str, after: bool) -> &'a VariantOutcome {
    let scenario = results
        .scenarios
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("scenario {name} in report.json"));
    if after {
        &scenario.after
    } else {
        &scenario.before
    }
}

fn full_run(out: &Path) {
    let output = run_report(&["--out", &out.display().to_string()]);
    // One scenario failed, so the exit code says so; the others still ran.
    check(output.status.code() == Some(1), "exit code 1", &output);
    let stdout = text(&output.stdout);
    for row in ["panics", "allocates 37", "grows", "leaks"] {
        check(
            stdout.lines().any(|line| line.starts_with(row)),
            &format!("a table row for {row}"),
            &output,
        );
    }
    check(
        stdout.contains("FAILED: panicked: deliberate panic in before"),
        "the panic in the table",
        &output,
    );
    check(
        text(&output.stderr).contains("[2/4] allocates 37 / before"),
        "progress on stderr",
        &output,
    );

    let results = ReportResults::read(&out.join("report.json")).expect("report.json parses back");
    assert_eq!(results.scenarios.len(), 4);
    assert_eq!(results.title, "end-to-end test report");
    match measured(&results, "panics", false) {
        VariantOutcome::Failed { message } => {
            assert!(message.contains("deliberate panic in before"), "{message}")
        }
        other => panic!("the panicking variant is reported failed, not {other:?}"),
    }
    assert!(measured(&results, "panics", true).measurement().is_some());

    let boxes = measured(&results, "allocates 37", false)
        .measurement()
        .unwrap();
    assert_eq!(boxes.allocations, BOXES);
    assert_eq!(boxes.bytes_allocated, BOXES * 8);
    assert_eq!(boxes.operations, BOXES);
    assert_eq!(boxes.live_bytes_at_end, 0);
    assert!(boxes.wall_time_ns > 0);
    let none = measured(&results, "allocates 37", true)
        .measurement()
        .unwrap();
    assert_eq!(none.allocations, 0);
    assert_eq!(none.peak_live_bytes, 0);
    let allocations_scenario = results
        .scenarios
        .iter()
        .find(|s| s.name == "allocates 37")
        .unwrap();
    assert_eq!(allocations_scenario.reduction.unwrap().allocations, None);

    let grown = measured(&results, "grows", false).measurement().unwrap();
    let reserved = measured(&results, "grows", true).measurement().unwrap();
    // Growth by push: one fresh block, then reallocations as it doubles.
    assert_eq!(
        grown.allocations, 1,
        "reallocations: {}",
        grown.reallocations
    );
    assert!(
        grown.reallocations >= 5,
        "reallocations: {}",
        grown.reallocations
    );
    assert_eq!((reserved.allocations, reserved.reallocations), (1, 0));

    let leaked = measured(&results, "leaks", false).measurement().unwrap();
    let freed = measured(&results, "leaks", true).measurement().unwrap();
    assert_eq!(leaked.live_bytes_at_end, 3 * LEAKED_BLOCK as u64);
    assert_eq!(leaked.peak_live_bytes, 3 * LEAKED_BLOCK as u64);
    assert_eq!(freed.live_bytes_at_end, 0);
    assert_eq!(freed.peak_live_bytes, LEAKED_BLOCK as u64);
    // The samples climb with the leak: 0, 1, 2, 3 blocks live.
    let climb: Vec<u64> = leaked.samples.iter().map(|s| s.live_bytes).collect();
    assert_eq!(climb, [0, 1, 2, 3].map(|n| n * LEAKED_BLOCK as u64));
    // Each block freed within its operation is never live at a sample, but
    // every window after the first holds one at its peak: that is what the
    // chart plots.
    assert!(freed.samples.iter().all(|s| s.live_bytes == 0));
    let freed_peaks: Vec<u64> = freed.samples.iter().map(|s| s.peak_live_bytes).collect();
    assert_eq!(freed_peaks, [0, 1, 1, 1].map(|n| n * LEAKED_BLOCK as u64));
    // The chart's line tops out at the peak its legend states, in every run.
    for scenario in &results.scenarios {
        for outcome in [&scenario.before, &scenario.after] {
            if let Some(m) = outcome.measurement() {
                let top = m.samples.iter().map(|s| s.peak_live_bytes).max();
                assert_eq!(
                    top,
                    Some(m.peak_live_bytes),
                    "{}: the highest window peak is the run's peak",
                    scenario.name
                );
            }
        }
    }

    for scenario in &results.scenarios {
        for outcome in [&scenario.before, &scenario.after] {
            if let VariantOutcome::Measured { dhat_profile, .. } = outcome {
                check_dhat_profile(dhat_profile);
                check(
                    stdout.contains(&*dhat_profile.display().to_string()),
                    "the profile's path printed",
                    &output,
                );
            }
        }
        let chart = scenario.chart.as_ref().expect("a chart per scenario");
        check_chart(chart, scenario.name != "panics");
    }
}

fn check_dhat_profile(path: &Path) {
    let text = std::fs::read_to_string(path).expect("the dhat profile exists");
    let json: serde_json::Value = serde_json::from_str(&text).expect("the profile is JSON");
    assert_eq!(json["dhatFileVersion"], 2, "{}", path.display());
    assert_eq!(json["mode"], "rust-heap");
    for field in [
        "verb", "bklt", "bkacc", "tu", "Mtu", "cmd", "pid", "te", "pps", "ftbl",
    ] {
        assert!(json.get(field).is_some(), "{} has {field}", path.display());
    }
    assert!(json["pps"].is_array() && json["ftbl"].is_array());
}

fn check_chart(path: &Path, both: bool) {
    let svg = std::fs::read_to_string(path).expect("the chart exists");
    let document = roxmltree::Document::parse(&svg).expect("the chart is well-formed XML");
    assert_eq!(document.root_element().tag_name().name(), "svg");
    let lines = document
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter(|n| n.attribute("stroke-width") == Some("2"))
        .count();
    let texts: Vec<&str> = document
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    let legend = |label: &str| texts.iter().any(|t| t.trim().starts_with(label));
    assert!(legend("after:"), "{}: legend for after", path.display());
    if both {
        assert!(legend("before:"), "{}: legend for before", path.display());
        // Two data lines and two legend strokes.
        assert_eq!(lines, 4, "{}: both series drawn", path.display());
    }
}

fn bad_input(out: &Path) {
    let output = run_report(&["--bogus"]);
    check(output.status.code() == Some(2), "bad flag: exit 2", &output);
    check(
        text(&output.stderr).contains("unknown flag `--bogus`"),
        "bad flag named",
        &output,
    );
    check(
        text(&output.stderr).contains("usage:"),
        "usage shown",
        &output,
    );

    let output = run_report(&["nope"]);
    check(
        output.status.code() == Some(2),
        "unknown scenario: exit 2",
        &output,
    );
    check(
        text(&output.stderr)
            .contains("unknown scenario `nope`; the scenarios are: panics, allocates 37"),
        "unknown scenario named, known ones listed",
        &output,
    );

    let not_a_folder = out.join("report.json").join("inside-a-file");
    let output = run_report(&["--out", &not_a_folder.display().to_string()]);
    check(
        output.status.code() == Some(1),
        "unwritable folder: exit 1",
        &output,
    );
    check(
        text(&output.stderr).contains(&*not_a_folder.display().to_string()),
        "unwritable folder named",
        &output,
    );
    check(
        !text(&output.stderr).contains("[1/4]"),
        "nothing run for an unwritable folder",
        &output,
    );
}

fn selection_and_listing(out: &Path) {
    let output = run_report(&["--list"]);
    check(output.status.success(), "--list succeeds", &output);
    assert_eq!(text(&output.stdout), "panics\nallocates 37\ngrows\nleaks\n");

    let only = out.join("only");
    let output = run_report(&["--out", &only.display().to_string(), "grows"]);
    check(
        output.status.success(),
        "one scenario, no failure: exit 0",
        &output,
    );
    let results = ReportResults::read(&only.join("report.json")).unwrap();
    let names: Vec<&str> = results.scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["grows"]);
}

fn main() -> ExitCode {
    if std::env::var_os(REPORT_PROGRAM).is_some() {
        return report_program();
    }
    let out: PathBuf =
        std::env::temp_dir().join(format!("poolkit-report-end-to-end-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    full_run(&out);
    bad_input(&out);
    selection_and_listing(&out);
    std::fs::remove_dir_all(&out).expect("clean up");
    println!("report end to end: 3 passed, 0 failed");
    ExitCode::SUCCESS
}
