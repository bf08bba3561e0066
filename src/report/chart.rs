//! One SVG chart per scenario: live heap bytes against operations, before
//! and after on one plot.

use plotters::prelude::*;

use super::results::ScenarioResult;

/// Colours of the two series (before: red, after: blue), named in the legend.
const BEFORE_COLOUR: RGBColor = RGBColor(200, 40, 40);
const AFTER_COLOUR: RGBColor = RGBColor(30, 90, 200);

/// One line of the chart: its label, colour and (operations, live bytes).
type Series<'a> = (&'a str, RGBColor, Vec<(u64, u64)>);

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
            .map(|s| (s.operations, s.live_bytes))
            .collect();
        Some((label, colour, points))
    })
    .collect();
    let max_x = max_of(&series, |p| p.0);
    let max_y = max_of(&series, |p| p.1);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{}: live heap bytes", scenario.name),
                ("sans-serif", 22),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(90)
            .build_cartesian_2d(0..max_x, 0..max_y)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("operations")
            .y_desc("live heap bytes")
            .y_label_formatter(&|bytes| human_bytes(*bytes))
            .draw()
            .map_err(|e| e.to_string())?;
        for (label, colour, points) in series {
            let legend = format!("{label}: {}", summary(scenario, label));
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(legend)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
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
    use super::human_bytes;

    #[test]
    fn bytes_read_naturally() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(180 * 1024 * 1024), "180.0 MiB");
    }
}
