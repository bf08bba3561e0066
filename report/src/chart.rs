//! One SVG chart per scenario: the live heap against operations, before and
//! after on one plot.
//!
//! Each point is a sample window's peak (see [`Sample`](crate::Sample)), so
//! the line's highest point is the peak the legend states. The y axis ticks
//! at round multiples of a binary unit (0, 50, 100, 150, 200 MiB), and the
//! legend sits in a strip of its own between the title and the plot, where
//! no line can run through it.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::results::ScenarioResult;

/// Colours of the two series (before: red, after: blue), named in the legend.
const BEFORE_COLOUR: RGBColor = RGBColor(200, 40, 40);
const AFTER_COLOUR: RGBColor = RGBColor(30, 90, 200);
/// Width and height of the chart, in pixels.
const SIZE: (u32, u32) = (900, 520);
/// Height of the legend's strip, under the title.
const LEGEND_HEIGHT: u32 = 34;
/// Width of the y axis's labels, where the plot (and the legend) start.
const Y_LABEL_AREA: u32 = 90;
/// The chart builder's margin around the plot.
const MARGIN: u32 = 12;

/// One line of the chart: its label, colour and (operations, window peak).
type Series<'a> = (&'a str, RGBColor, Vec<(u64, u64)>);

/// The y axis: its end and its ticks, in bytes, with their labels.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ByteAxis {
    /// The axis end: the first tick at least 5 % above the highest value,
    /// so the line never merges with the frame.
    pub(crate) end: u64,
    /// Tick positions in bytes, from 0 to `end`.
    pub(crate) ticks: Vec<u64>,
    /// The unit's size in bytes and name (B, KiB, MiB, GiB).
    unit: (u64, &'static str),
    /// Decimals the labels need (0 unless the step is a fraction of the
    /// unit, as 0.5 KiB is).
    decimals: usize,
}

impl ByteAxis {
    /// At most this many intervals between ticks.
    const MAX_INTERVALS: u64 = 6;

    /// The axis for values up to `top` bytes: the largest binary unit not
    /// above `top`, a step of 1, 2, 2.5 or 5 times a power of ten of that unit
    /// (or 0.1 to 0.5 of it, for values under 10 units), the smallest that
    /// needs at most six intervals to pass `top` by 5 %.
    pub(crate) fn for_top(top: u64) -> Self {
        const UNITS: [(u64, &str); 4] = [
            (1, "B"),
            (1 << 10, "KiB"),
            (1 << 20, "MiB"),
            (1 << 30, "GiB"),
        ];
        let unit = UNITS
            .iter()
            .rev()
            .find(|(size, _)| top >= *size)
            .copied()
            .unwrap_or(UNITS[0]);
        let value = top as f64 / unit.0 as f64;
        let fractions: &[(f64, usize)] = if unit.0 > 1 {
            &[(0.1, 1), (0.2, 1), (0.25, 2), (0.5, 1)]
        } else {
            &[]
        };
        // 2.5 units is not round below 10 units (2.5 KiB ticks read worse
        // than 2 KiB): it comes in at 25, 250, ...
        let mut candidates: Vec<(f64, usize)> = fractions.to_vec();
        candidates.extend([(1.0, 0), (2.0, 0), (5.0, 0)]);
        let mut power = 10.0;
        while candidates.len() < 64 {
            candidates.extend([1.0, 2.0, 2.5, 5.0].map(|m| (m * power, 0)));
            power *= 10.0;
        }
        // 5 % headroom: a top just under a tick (7.8 of 8 KiB) would run
        // along the frame.
        let intervals = |step: f64| (value * 1.05 / step).floor() as u64 + 1;
        let (step, decimals) = candidates
            .into_iter()
            .find(|(step, _)| intervals(*step) <= Self::MAX_INTERVALS)
            .expect("a large enough step exists");
        let intervals = intervals(step);
        let tick = |k: u64| (k as f64 * step * unit.0 as f64).round() as u64;
        Self {
            end: tick(intervals),
            ticks: (0..=intervals).map(tick).collect(),
            unit,
            decimals,
        }
    }

    /// A tick's label: `0`, `50 MiB`, `0.5 KiB`.
    pub(crate) fn label(&self, bytes: u64) -> String {
        if bytes == 0 {
            return "0".to_owned();
        }
        let value = bytes as f64 / self.unit.0 as f64;
        format!("{value:.*} {}", self.decimals, self.unit.1)
    }
}

/// Draws the scenario's chart as an SVG document.
pub(crate) fn render_svg(scenario: &ScenarioResult) -> Result<String, String> {
    let series: Vec<Series<'_>> = [
        ("before", BEFORE_COLOUR, &scenario.before),
        ("after", AFTER_COLOUR, &scenario.after),
    ]
    .into_iter()
    .filter_map(|(label, colour, outcome)| {
        let points = outcome
            .measurement()?
            .samples
            .iter()
            .map(|s| (s.operations, s.peak_live_bytes))
            .collect();
        Some((label, colour, points))
    })
    .collect();
    let max_x = max_of(&series, |p| p.0);
    // The window peaks reach the measured peaks; a run recorded before the
    // windows had peaks (live bytes only) still gets an axis that holds the
    // legend's numbers.
    let peaks = [&scenario.before, &scenario.after]
        .into_iter()
        .filter_map(|o| o.measurement().map(|m| m.peak_live_bytes));
    let top = peaks.fold(max_of(&series, |p| p.1), u64::max);
    let axis = ByteAxis::for_top(top);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let body = root
            .titled(
                &format!("{}: live heap bytes", scenario.name),
                ("sans-serif", 22),
            )
            .map_err(|e| e.to_string())?;
        let (legend_strip, plot_area) = body.split_vertically(LEGEND_HEIGHT);
        draw_legend(&legend_strip, scenario, &series)?;

        let mut chart = ChartBuilder::on(&plot_area)
            .margin(MARGIN)
            .margin_right(40)
            .x_label_area_size(45)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(0..max_x, (0..axis.end).with_key_points(axis.ticks.clone()))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("operations")
            .y_desc("live heap bytes (peak per sample)")
            .x_label_formatter(&|operations| super::table::thousands(*operations))
            .y_label_formatter(&|bytes| axis.label(*bytes))
            .draw()
            .map_err(|e| e.to_string())?;
        for (_, colour, points) in &series {
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    colour.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// The legend, in its own strip above the plot: per series a stroke of its
/// colour and `label: peak N`, side by side from the plot's left edge.
fn draw_legend<DB: DrawingBackend>(
    strip: &DrawingArea<DB, plotters::coord::Shift>,
    scenario: &ScenarioResult,
    series: &[Series<'_>],
) -> Result<(), String> {
    let font = ("sans-serif", 16).into_font();
    let style = TextStyle::from(font.clone()).pos(Pos::new(HPos::Left, VPos::Center));
    let middle = LEGEND_HEIGHT as i32 / 2;
    let mut x = (MARGIN + Y_LABEL_AREA) as i32;
    for (label, colour, _) in series {
        let text = format!("{label}: {}", summary(scenario, label));
        strip
            .draw(&PathElement::new(
                vec![(x, middle), (x + 24, middle)],
                colour.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?;
        strip
            .draw(&Text::new(text.clone(), (x + 32, middle), style.clone()))
            .map_err(|e| e.to_string())?;
        let (width, _) = strip
            .estimate_text_size(&text, &TextStyle::from(font.clone()))
            .map_err(|e| e.to_string())?;
        x += 32 + width as i32 + 36;
    }
    Ok(())
}

/// The axis end: the largest value, at least 1 so the range is not empty.
fn max_of(series: &[Series<'_>], pick: impl Fn(&(u64, u64)) -> u64) -> u64 {
    series
        .iter()
        .flat_map(|(_, _, points)| points.iter().map(&pick))
        .max()
        .unwrap_or(0)
        .max(1)
}

/// The legend's note for one series: its peak.
fn summary(scenario: &ScenarioResult, label: &str) -> String {
    let outcome = if label == "before" {
        &scenario.before
    } else {
        &scenario.after
    };
    match outcome.measurement() {
        Some(m) => format!("peak {}", human_bytes(m.peak_live_bytes)),
        None => "failed".to_owned(),
    }
}

/// `1536` as `1.5 KiB`.
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Measurement, Sample, VariantOutcome};

    const MIB: u64 = 1 << 20;

    #[test]
    fn bytes_read_naturally() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(180 * 1024 * 1024), "180.0 MiB");
    }

    fn labels(top: u64) -> Vec<String> {
        let axis = ByteAxis::for_top(top);
        axis.ticks.iter().map(|&t| axis.label(t)).collect()
    }

    #[test]
    fn ticks_are_round_and_pass_the_top() {
        assert_eq!(
            labels(172 * MIB),
            ["0", "50 MiB", "100 MiB", "150 MiB", "200 MiB"]
        );
        assert_eq!(
            labels(8 * MIB + 9 * MIB / 10),
            ["0", "2 MiB", "4 MiB", "6 MiB", "8 MiB", "10 MiB"]
        );
        // Exactly on a tick: one more, so the line stays off the frame.
        assert_eq!(
            labels(20 * MIB),
            ["0", "5 MiB", "10 MiB", "15 MiB", "20 MiB", "25 MiB"]
        );
        assert_eq!(
            labels(1536),
            ["0", "0.5 KiB", "1.0 KiB", "1.5 KiB", "2.0 KiB"]
        );
        assert_eq!(
            labels(28),
            ["0", "5 B", "10 B", "15 B", "20 B", "25 B", "30 B"]
        );
        assert_eq!(labels(0), ["0", "1 B"]);
        // Just under a tick: one more, for headroom.
        assert_eq!(
            labels(7992),
            ["0", "2 KiB", "4 KiB", "6 KiB", "8 KiB", "10 KiB"]
        );
        for top in [1, 7, 999, 1024, 4096 * 3, 6_676_076, 180_764_688, 3 << 30] {
            let axis = ByteAxis::for_top(top);
            assert!(
                axis.end as f64 >= top as f64 * 1.05,
                "{top}: end {}",
                axis.end
            );
            assert!(axis.ticks.len() <= 7, "{top}: {:?}", labels(top));
            assert!(axis.ticks.len() >= 3 || top < 2, "{top}: {:?}", labels(top));
        }
    }

    fn measured(samples: &[(u64, u64)]) -> VariantOutcome {
        let samples: Vec<Sample> = samples
            .iter()
            .map(|&(operations, peak)| Sample {
                operations,
                live_bytes: 0,
                peak_live_bytes: peak,
                allocations: 0,
            })
            .collect();
        VariantOutcome::Measured {
            measurement: Measurement {
                allocations: 1,
                reallocations: 0,
                bytes_allocated: 1,
                peak_live_bytes: samples.iter().map(|s| s.peak_live_bytes).max().unwrap(),
                live_bytes_at_end: 0,
                operations: samples.last().unwrap().operations,
                wall_time_ns: 1,
                samples,
            },
            dhat_profile: "x.dhat.json".into(),
        }
    }

    /// The y coordinates of the SVG's text `starting` and of every point of
    /// its data lines (polylines of width 2 with more than two points).
    fn layout(svg: &str, starting: &str) -> (Vec<f64>, Vec<f64>) {
        let document = roxmltree::Document::parse(svg).unwrap();
        let texts = document
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter(|n| n.text().is_some_and(|t| t.trim().starts_with(starting)))
            .map(|n| n.attribute("y").unwrap().parse::<f64>().unwrap())
            .collect();
        let points = document
            .descendants()
            .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("2"))
            .map(|n| n.attribute("points").unwrap().to_owned())
            .filter(|points| points.split_whitespace().count() > 2)
            .flat_map(|points| {
                points
                    .split_whitespace()
                    .map(|p| p.split(',').nth(1).unwrap().parse::<f64>().unwrap())
                    .collect::<Vec<_>>()
            })
            .collect();
        (texts, points)
    }

    #[test]
    fn the_legend_stays_clear_of_the_lines() {
        // Before climbs straight to its peak at the very start, where an
        // upper-left legend would sit on it.
        let scenario = ScenarioResult {
            name: "climb".into(),
            description: "d".into(),
            before: measured(&[(0, 12 * MIB), (1, 12 * MIB), (50, 12 * MIB), (100, 0)]),
            after: measured(&[(0, 0), (50, MIB), (100, MIB)]),
            reduction: None,
            chart: None,
        };
        let svg = render_svg(&scenario).unwrap();
        let (legend, lines) = layout(&svg, "before: peak 12.0 MiB");
        let (after_legend, _) = layout(&svg, "after: peak 1.0 MiB");
        assert_eq!((legend.len(), after_legend.len()), (1, 1), "{svg}");
        let line_top = lines.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(lines.len() >= 7, "{} line points", lines.len());
        for y in legend.iter().chain(&after_legend) {
            // The text is centred on `y`, 16 px high: its bottom edge is
            // above the highest point of any line.
            assert!(
                y + 8.0 < line_top,
                "legend at y {y}, a line at y {line_top}"
            );
        }
        // The y labels are the round ticks.
        for label in ["0", "5 MiB", "10 MiB", "15 MiB"] {
            let (found, _) = layout(&svg, label);
            assert!(!found.is_empty(), "y label {label:?} in the chart");
        }
    }
}
