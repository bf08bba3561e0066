//! The terminal table: one row per (scenario, variant), the reductions on
//! the "after" row.

use std::fmt::Write as _;

use super::results::{ReportResults, ScenarioResult, VariantOutcome};

const HEADERS: [&str; 10] = [
    "scenario",
    "variant",
    "allocations",
    "reallocs",
    "bytes allocated",
    "peak live",
    "live at end",
    "wall time",
    "allocs ÷",
    "peak ÷",
];

/// Renders the results as a plain-text table, a legend under it.
pub(crate) fn render(results: &ReportResults) -> String {
    let mut rows: Vec<[String; 10]> = Vec::new();
    for scenario in &results.scenarios {
        rows.push(row(scenario, "before", &scenario.before, false));
        rows.push(row(scenario, "after", &scenario.after, true));
    }
    let mut widths = HEADERS.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row.iter()) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header = HEADERS.map(str::to_owned);
    write_row(&mut out, &header, &widths);
    for row in &rows {
        write_row(&mut out, row, &widths);
    }
    out.push_str(
        "\nallocs ÷, peak ÷: before divided by after (\"all\": after made none); \
         wall time: one run without the profiler, in its own process.\n",
    );
    out
}

fn write_row(out: &mut String, cells: &[String; 10], widths: &[usize; 10]) {
    let mut line = String::new();
    for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
        let pad = width - cell.chars().count();
        if index > 0 {
            line.push_str("  ");
        }
        if index < 2 {
            line.push_str(cell);
            line.extend(std::iter::repeat(' ').take(pad));
        } else {
            line.extend(std::iter::repeat(' ').take(pad));
            line.push_str(cell);
        }
    }
    let _ = writeln!(out, "{}", line.trim_end());
}

fn row(
    scenario: &ScenarioResult,
    variant: &str,
    outcome: &VariantOutcome,
    is_after: bool,
) -> [String; 10] {
    let name = if is_after {
        String::new()
    } else {
        scenario.name.clone()
    };
    let mut cells: [String; 10] = Default::default();
    cells[0] = name;
    cells[1] = variant.to_owned();
    match outcome {
        VariantOutcome::Measured { measurement: m, .. } => {
            cells[2] = thousands(m.allocations);
            cells[3] = thousands(m.reallocations);
            cells[4] = thousands(m.bytes_allocated);
            cells[5] = thousands(m.peak_live_bytes);
            cells[6] = thousands(m.live_bytes_at_end);
            cells[7] = duration(m.wall_time_ns);
            if is_after {
                if let Some(reduction) = &scenario.reduction {
                    cells[8] = factor(reduction.allocations);
                    cells[9] = factor(reduction.peak_live_bytes);
                }
            }
        }
        VariantOutcome::Failed { message } => {
            let first_line = message.lines().next().unwrap_or("");
            cells[2] = format!("FAILED: {first_line}");
        }
    }
    cells
}

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn factor(value: Option<f64>) -> String {
    match value {
        None => "all".to_owned(),
        Some(v) if v >= 100.0 => format!("{}x", thousands(v.round() as u64)),
        Some(v) if v >= 10.0 => format!("{v:.0}x"),
        Some(v) if v >= 0.01 || v <= 0.0 => format!("{v:.2}x"),
        // Two significant digits, where two decimals would print 0.00x.
        Some(v) => format!("{v:.*}x", (1.0 - v.log10().floor()) as usize),
    }
}

fn duration(ns: u64) -> String {
    let ns = ns as f64;
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_for_reading() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(factor(None), "all");
        assert_eq!(factor(Some(57_142.9)), "57,143x");
        assert_eq!(factor(Some(16.04)), "16x");
        assert_eq!(factor(Some(0.21)), "0.21x");
        // A warm pool of 4,920 bytes against an 8-byte peak.
        assert_eq!(factor(Some(8.0 / 4920.0)), "0.0016x");
        assert_eq!(factor(Some(0.0)), "0.00x");
        assert_eq!(duration(1_500), "1.5 µs");
        assert_eq!(duration(2_500_000), "2.5 ms");
        assert_eq!(duration(3_000_000_000), "3.00 s");
    }
}
