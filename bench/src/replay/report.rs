//! The replay's output: a markdown table with libCacheSim's figures beside the replayed
//! ones, and an SVG chart.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::{policies, Row};

/// Policies of libCacheSim's table, in column order.
pub const LIBCACHESIM_POLICIES: [&str; 6] = ["LRU", "ARC", "S3-FIFO", "W-TinyLFU", "SIEVE", "OPT"];

/// Miss ratios in % from libCacheSim's simulator (every request counted, entry-counted
/// capacities at 0.1 / 1 / 10 % of the distinct keys), in [`LIBCACHESIM_POLICIES`] order;
/// `None` where it gave no figure. Twitter: cluster 52, first 5 M requests. Zipf: a trace
/// from libCacheSim's own Zipf(1.0) generator, not the one replayed here.
pub fn libcachesim(trace: &str, fraction: f64) -> Option<[Option<f64>; 6]> {
    let s = |v: [f64; 6]| Some(v.map(Some));
    let per_mille = (fraction * 1000.0).round() as u32;
    match (trace, per_mille) {
        (TWITTER, 1) => s([41.0, 40.3, 38.9, 43.4, 40.1, 29.7]),
        (TWITTER, 10) => s([27.1, 25.7, 23.1, 23.5, 25.1, 18.1]),
        (TWITTER, 100) => s([15.4, 14.9, 14.0, 14.3, 14.7, 11.0]),
        (CLOUDPHYSICS, 1) => Some([
            Some(90.2),
            Some(87.7),
            Some(87.6),
            None,
            Some(88.0),
            Some(84.7),
        ]),
        (CLOUDPHYSICS, 10) => s([83.8, 82.8, 83.0, 84.8, 82.9, 79.3]),
        (CLOUDPHYSICS, 100) => s([80.5, 77.3, 75.5, 77.6, 79.1, 62.9]),
        (ZIPF, 10) => s([49.9, 40.9, 40.6, 40.6, 40.4, 34.0]),
        _ => None,
    }
}

/// Trace names (they key [`libcachesim`]).
pub const TWITTER: &str = "Twitter KV cluster 52, first 5 M";
/// See [`TWITTER`].
pub const CLOUDPHYSICS: &str = "CloudPhysics block I/O";
/// See [`TWITTER`].
pub const ZIPF: &str = "Zipf 1.0, 100k keys, 1 M requests";

/// The best practical policy's miss ratio at this row: the lowest of libCacheSim's LRU, ARC,
/// S3-FIFO, W-TinyLFU and SIEVE and of the harness's peers and reference policies
/// (poolkit's own caches excluded).
pub fn best_practical(row: &Row) -> f64 {
    let theirs = libcachesim(&row.trace, row.fraction)
        .map(|v| {
            v[..5]
                .iter()
                .flatten()
                .copied()
                .fold(f64::INFINITY, f64::min)
        })
        .unwrap_or(f64::INFINITY);
    row.miss[2..].iter().copied().fold(theirs, f64::min)
}

/// The markdown page: `header` (how to regenerate it), then the table.
pub fn markdown(header: &str, rows: &[Row]) -> String {
    let names: Vec<&str> = policies::all().iter().map(|p| p.0).collect();
    let mut md = String::from(header);
    md.push_str("\n| trace | size | entries |");
    for n in &names {
        let _ = write!(md, " {n} |");
    }
    for n in LIBCACHESIM_POLICIES {
        let _ = write!(md, " {n} (libCacheSim) |");
    }
    md.push_str(" best practical | TtlCache − best | Sharded − best |\n|---|---|---|");
    for _ in 0..names.len() + LIBCACHESIM_POLICIES.len() + 3 {
        md.push_str("---|");
    }
    md.push('\n');
    for row in rows {
        let _ = write!(
            md,
            "| {} | {} % | {} |",
            row.trace,
            row.fraction * 100.0,
            row.capacity
        );
        for m in &row.miss {
            let _ = write!(md, " {m:.1} |");
        }
        let theirs = libcachesim(&row.trace, row.fraction).unwrap_or([None; 6]);
        for m in theirs {
            match m {
                Some(m) => {
                    let _ = write!(md, " {m:.1} |");
                }
                None => md.push_str(" |"),
            }
        }
        let best = best_practical(row);
        let _ = writeln!(
            md,
            " {best:.1} | {:+.1} | {:+.1} |",
            row.miss[0] - best,
            row.miss[1] - best
        );
    }
    md
}

const COLOURS: [RGBColor; 7] = [
    RGBColor(200, 30, 30),
    RGBColor(240, 130, 20),
    RGBColor(30, 90, 200),
    RGBColor(90, 160, 230),
    RGBColor(90, 90, 90),
    RGBColor(40, 150, 60),
    RGBColor(150, 60, 170),
];

/// One panel per trace: miss ratio against the capacity, one line per policy, and
/// libCacheSim's best practical figure as a dashed black line.
pub fn svg(rows: &[Row]) -> Result<String, String> {
    let names: Vec<&str> = policies::all().iter().map(|p| p.0).collect();
    let mut traces: Vec<&str> = Vec::new();
    for r in rows {
        if !traces.contains(&r.trace.as_str()) {
            traces.push(&r.trace);
        }
    }
    let mut out = String::new();
    {
        let root =
            SVGBackend::with_string(&mut out, (420 * traces.len() as u32, 520)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let panels = root.split_evenly((1, traces.len()));
        for (panel, trace) in panels.iter().zip(&traces) {
            let mine: Vec<&Row> = rows.iter().filter(|r| r.trace == *trace).collect();
            let top = mine
                .iter()
                .flat_map(|r| r.miss.iter().copied())
                .fold(0.0, f64::max);
            let bottom = mine
                .iter()
                .flat_map(|r| r.miss.iter().copied())
                .fold(100.0, f64::min);
            let x = |r: &Row| (r.fraction * 1000.0).log10();
            let mut chart = ChartBuilder::on(panel)
                .caption(*trace, ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(45)
                .build_cartesian_2d(-0.3f64..2.3, (bottom - 2.0).max(0.0)..(top + 2.0))
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_labels(3)
                .x_desc("capacity, % of distinct keys")
                .y_desc("miss %")
                .x_label_formatter(&|v| format!("{}", 10f64.powf(*v) / 10.0))
                .draw()
                .map_err(|e| e.to_string())?;
            for (i, name) in names.iter().enumerate() {
                let colour = COLOURS[i % COLOURS.len()];
                let points: Vec<(f64, f64)> = mine.iter().map(|r| (x(r), r.miss[i])).collect();
                chart
                    .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                    .map_err(|e| e.to_string())?
                    .label(*name)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                    });
                chart
                    .draw_series(
                        points
                            .into_iter()
                            .map(|p| Circle::new(p, 3, colour.filled())),
                    )
                    .map_err(|e| e.to_string())?;
            }
            let best: Vec<(f64, f64)> = mine
                .iter()
                .filter_map(|r| {
                    let v = libcachesim(&r.trace, r.fraction)?;
                    let b = v[..5]
                        .iter()
                        .flatten()
                        .copied()
                        .fold(f64::INFINITY, f64::min);
                    Some((x(r), b))
                })
                .collect();
            chart
                .draw_series(
                    best.iter()
                        .map(|&p| Cross::new(p, 5, BLACK.stroke_width(2))),
                )
                .map_err(|e| e.to_string())?
                .label("best practical (libCacheSim)")
                .legend(|(x, y)| Cross::new((x + 8, y), 5, BLACK.stroke_width(2)));
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 11))
                .draw()
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}
