//! Charts as SVG, drawn with plotters (SVG backend only: no fonts or image codecs in the
//! core; text is left to whatever renders the SVG). Inputs are plain series so the charts
//! can be fed from the cached reports; colours follow the app's light or dark theme.

mod vehicle;

use chrono::{Datelike, NaiveDate};
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

pub use vehicle::{vehicle_chart, ChartKind};

use crate::units::{Distance, Economy, EconomyUnit, Volume};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ChartTheme {
    #[default]
    Light,
    Dark,
}

struct Palette {
    bg: RGBColor,
    fg: RGBColor,
    grid: RGBColor,
    axis: RGBColor,
    series: [RGBColor; 6],
}

impl ChartTheme {
    // The same colours as ui/src/app.css, so a chart sits in its panel without a seam.
    fn palette(self) -> Palette {
        match self {
            ChartTheme::Light => Palette {
                bg: RGBColor(0xff, 0xff, 0xff),
                fg: RGBColor(0x5f, 0x6b, 0x7a),
                grid: RGBColor(0xec, 0xee, 0xf2),
                axis: RGBColor(0xc4, 0xca, 0xd3),
                series: [
                    RGBColor(0x25, 0x63, 0xeb),
                    RGBColor(0xe0, 0x7b, 0x10),
                    RGBColor(0x2e, 0x9d, 0x5b),
                    RGBColor(0x9b, 0x4d, 0xca),
                    RGBColor(0xd1, 0x3c, 0x5b),
                    RGBColor(0x0f, 0x9b, 0xa8),
                ],
            },
            ChartTheme::Dark => Palette {
                bg: RGBColor(0x1c, 0x20, 0x27),
                fg: RGBColor(0x9a, 0xa4, 0xb2),
                grid: RGBColor(0x2a, 0x2f, 0x39),
                axis: RGBColor(0x45, 0x4c, 0x59),
                series: [
                    RGBColor(0x5b, 0x8d, 0xef),
                    RGBColor(0xf0, 0xa7, 0x42),
                    RGBColor(0x6c, 0xc0, 0x70),
                    RGBColor(0xb9, 0x8a, 0xef),
                    RGBColor(0xef, 0x6b, 0x8a),
                    RGBColor(0x4f, 0xc8, 0xd3),
                ],
            },
        }
    }
}

/// One full-to-full segment, in the vehicle's own units, dated by its closing fill.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentPoint {
    pub date: NaiveDate,
    pub distance: Distance,
    pub fuel: Volume,
}

/// One month's costs by category, in minor units.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthCosts {
    pub year: i32,
    pub month: u32,
    pub by_category: Vec<(String, i64)>,
}

pub const WIDTH: u32 = 640;
pub const HEIGHT: u32 = 300;

type ChartResult = Result<String, String>;

fn days(d: NaiveDate) -> f64 {
    d.num_days_from_ce() as f64
}

fn date_label(x: &f64) -> String {
    NaiveDate::from_num_days_from_ce_opt(*x as i32)
        .map(|d| d.format("%b %Y").to_string())
        .unwrap_or_default()
}

/// Pads a value range so lines never sit on the frame, and never collapses to zero width.
fn padded(lo: f64, hi: f64) -> std::ops::Range<f64> {
    let span = hi - lo;
    let pad = if span > 0.0 {
        span * 0.06
    } else {
        (hi.abs() * 0.05).max(1.0)
    };
    (lo - pad)..(hi + pad)
}

fn empty_chart(theme: ChartTheme, message: &str) -> ChartResult {
    let p = theme.palette();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&p.bg).map_err(|e| e.to_string())?;
        let style = ("sans-serif", 14).into_font().color(&p.fg);
        root.draw(&Text::new(
            message.to_owned(),
            (WIDTH as i32 / 2 - 120, HEIGHT as i32 / 2),
            style,
        ))
        .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Economy per segment (dots) with a rolling average over `window` segments (line). The
/// rolling figure is total distance over total fuel of the window, never a mean of ratios.
pub fn economy_over_time(
    segments: &[SegmentPoint],
    unit: EconomyUnit,
    window: usize,
    theme: ChartTheme,
) -> ChartResult {
    let value = |d: Distance, f: Volume| {
        Economy::from_distance_and_fuel(d, f).and_then(|e| e.value_in(unit))
    };
    let points: Vec<(f64, f64)> = segments
        .iter()
        .filter_map(|s| value(s.distance, s.fuel).map(|v| (days(s.date), v)))
        .collect();
    if points.is_empty() {
        return empty_chart(theme, "Not enough full fill-ups yet");
    }
    let window = window.max(1);
    let rolling: Vec<(f64, f64)> = (0..segments.len())
        .filter_map(|i| {
            let w = &segments[i.saturating_sub(window - 1)..=i];
            let d = Distance::new(w.iter().map(|s| s.distance.value).sum(), w[0].distance.unit);
            let f = Volume::new(w.iter().map(|s| s.fuel.value).sum(), w[0].fuel.unit);
            value(d, f).map(|v| (days(segments[i].date), v))
        })
        .collect();
    let (x0, x1) = min_max(points.iter().map(|p| p.0));
    let (y0, y1) = min_max(points.iter().map(|p| p.1));
    let p = theme.palette();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&p.bg).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            .margin_right(32)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(padded(x0, x1), padded(y0, y1))
            .map_err(|e| e.to_string())?;
        mesh(&mut chart, &p, &date_label, unit.label())?;
        let dot = p.series[0].mix(0.45).filled();
        chart
            .draw_series(points.iter().map(|&(x, y)| Circle::new((x, y), 3, dot)))
            .map_err(|e| e.to_string())?
            .label("per segment")
            .legend(move |(x, y)| Circle::new((x + 8, y), 3, dot));
        let line = p.series[1].stroke_width(2);
        chart
            .draw_series(LineSeries::new(rolling, line))
            .map_err(|e| e.to_string())?
            .label(format!("rolling average ({window} segments)"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], line));
        legend(&mut chart, &p)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Monthly cost stacked by category (fuel, service, repair, ...), amounts in major units.
pub fn monthly_cost(months: &[MonthCosts], minor_digits: u8, theme: ChartTheme) -> ChartResult {
    if months.is_empty() {
        return empty_chart(theme, "No costs recorded yet");
    }
    let scale = 10f64.powi(minor_digits as i32);
    let mut categories: Vec<&str> = Vec::new();
    for m in months {
        for (c, _) in &m.by_category {
            if !categories.contains(&c.as_str()) {
                categories.push(c);
            }
        }
    }
    let max = months
        .iter()
        .map(|m| m.by_category.iter().map(|(_, v)| *v).sum::<i64>() as f64 / scale)
        .fold(0.0, f64::max);
    let p = theme.palette();
    let labels: Vec<String> = months
        .iter()
        .map(|m| format!("{:02}/{:02}", m.month, m.year % 100))
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&p.bg).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            .margin_right(32)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(
                -0.5f64..(months.len() as f64 - 0.5),
                0.0..(max * 1.1).max(1.0),
            )
            .map_err(|e| e.to_string())?;
        let label_of = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        mesh(&mut chart, &p, &label_of, "")?;
        for (ci, cat) in categories.iter().enumerate() {
            let color = p.series[ci % p.series.len()];
            let bars = months.iter().enumerate().filter_map(|(i, m)| {
                let below: i64 = m
                    .by_category
                    .iter()
                    .take_while(|(c, _)| c != cat)
                    .map(|(_, v)| *v)
                    .sum();
                let own = m.by_category.iter().find(|(c, _)| c == cat)?.1;
                let (y0, y1) = (below as f64 / scale, (below + own) as f64 / scale);
                let x = i as f64;
                Some(Rectangle::new(
                    [(x - 0.36, y0), (x + 0.36, y1)],
                    color.filled(),
                ))
            });
            chart
                .draw_series(bars)
                .map_err(|e| e.to_string())?
                .label(cat.to_string())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled())
                });
        }
        legend(&mut chart, &p)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Odometer readings over time (any record kind that carries one).
pub fn odometer_over_time(
    readings: &[(NaiveDate, f64)],
    unit_label: &str,
    theme: ChartTheme,
) -> ChartResult {
    if readings.is_empty() {
        return empty_chart(theme, "No odometer readings yet");
    }
    let pts: Vec<(f64, f64)> = readings.iter().map(|(d, v)| (days(*d), *v)).collect();
    let (x0, x1) = min_max(pts.iter().map(|p| p.0));
    let (y0, y1) = min_max(pts.iter().map(|p| p.1));
    let p = theme.palette();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&p.bg).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            .margin_right(32)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(padded(x0, x1), padded(y0, y1))
            .map_err(|e| e.to_string())?;
        mesh(&mut chart, &p, &date_label, unit_label)?;
        chart
            .draw_series(LineSeries::new(pts, p.series[0].stroke_width(2)))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn min_max(it: impl Iterator<Item = f64>) -> (f64, f64) {
    it.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn mesh<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    p: &Palette,
    x_fmt: &dyn Fn(&f64) -> String,
    y_desc: &str,
) -> Result<(), String> {
    chart
        .configure_mesh()
        .light_line_style(p.grid)
        .bold_line_style(p.grid)
        // Plotters' default divides each label interval into up to 10 light lines: ~120
        // lines a chart, the dashboard's costliest paint in WebKit without a GPU
        // (docs/BENCHMARKS.md, Desktop), and a busier grid than the figures need. One
        // light line halves each interval.
        .max_light_lines(2)
        .axis_style(p.axis)
        .label_style(("sans-serif", 15).into_font().color(&p.fg))
        .axis_desc_style(("sans-serif", 15).into_font().color(&p.fg))
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(x_fmt)
        .y_label_formatter(&|y| format_axis(*y))
        .y_desc(y_desc)
        .draw()
        .map_err(|e| e.to_string())
}

fn legend<'a, 'b: 'a>(chart: &mut Chart<'a, 'b>, p: &Palette) -> Result<(), String> {
    chart
        .configure_series_labels()
        .background_style(p.bg.mix(0.85))
        .border_style(p.axis)
        .label_font(("sans-serif", 15).into_font().color(&p.fg))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| e.to_string())
}

fn format_axis(v: f64) -> String {
    if v.abs() >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::{DistanceUnit, VolumeUnit};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn seg(date: NaiveDate, km: f64, l: f64) -> SegmentPoint {
        SegmentPoint {
            date,
            distance: Distance::new(km, DistanceUnit::Kilometre),
            fuel: Volume::new(l, VolumeUnit::Litre),
        }
    }

    #[test]
    fn economy_chart_draws_points_and_rolling_line_in_the_theme() {
        let segs = [
            seg(d(2026, 1, 5), 500.0, 35.0),
            seg(d(2026, 2, 5), 600.0, 36.0),
            seg(d(2026, 3, 5), 550.0, 40.0),
        ];
        let svg =
            economy_over_time(&segs, EconomyUnit::LitresPer100Km, 3, ChartTheme::Dark).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert_eq!(
            svg.matches("<circle").count(),
            3 + 1,
            "3 segments + legend marker"
        );
        assert!(svg.contains("<polyline"), "rolling average line");
        assert!(
            svg.contains("#1C2027") || svg.contains("#1c2027"),
            "dark background"
        );
        assert!(svg.contains("L/100km"));
        // Major grid lines and one light line between: not plotters' default ten (68).
        assert!(svg.matches("<line").count() <= 30, "grid lines");
    }

    #[test]
    fn rolling_average_is_distance_over_fuel_not_a_mean_of_ratios() {
        // 100 km on 10 L and 900 km on 45 L: 55 L / 1000 km = 5.5 L/100km, whereas the
        // mean of the two ratios (10 and 5) would be 7.5.
        let segs = [
            seg(d(2026, 1, 1), 100.0, 10.0),
            seg(d(2026, 1, 20), 900.0, 45.0),
        ];
        let svg =
            economy_over_time(&segs, EconomyUnit::LitresPer100Km, 2, ChartTheme::Light).unwrap();
        // The y axis spans the points (5..10); 5.5 sits near the bottom, 7.5 would be mid.
        assert!(svg.contains("<polyline"));
        let plot = plotted_y(&svg);
        assert_eq!(plot.len(), 2);
        assert!(
            (plot[0] - plot[1]).abs() > 1.0,
            "the line moves from 10 down to 5.5"
        );
    }

    /// y coordinates of the first polyline.
    fn plotted_y(svg: &str) -> Vec<f64> {
        let start = svg.find("<polyline").unwrap();
        let pts = &svg[start..];
        let pts = &pts[pts.find("points=\"").unwrap() + 8..];
        let pts = &pts[..pts.find('"').unwrap()];
        pts.split_whitespace()
            .map(|p| p.split(',').nth(1).unwrap().parse().unwrap())
            .collect()
    }

    #[test]
    fn monthly_cost_stacks_one_bar_per_category_and_month() {
        let months = vec![
            MonthCosts {
                year: 2026,
                month: 1,
                by_category: vec![("Fuel".into(), 12_000), ("Service".into(), 30_000)],
            },
            MonthCosts {
                year: 2026,
                month: 2,
                by_category: vec![("Fuel".into(), 9_000)],
            },
        ];
        let svg = monthly_cost(&months, 2, ChartTheme::Light).unwrap();
        // 3 bars + 2 legend swatches + background and legend box rects.
        assert!(svg.matches("<rect").count() >= 5);
        assert!(svg.contains("Fuel") && svg.contains("Service"));
        assert!(svg.contains("01/26"));
    }

    #[test]
    fn empty_inputs_say_so_instead_of_failing() {
        let svg = odometer_over_time(&[], "km", ChartTheme::Light).unwrap();
        assert!(svg.contains("No odometer readings yet"));
        let svg = economy_over_time(&[], EconomyUnit::MpgUs, 5, ChartTheme::Light).unwrap();
        assert!(svg.contains("Not enough full fill-ups"));
    }

    #[test]
    fn odometer_chart_has_a_line() {
        let svg = odometer_over_time(
            &[(d(2025, 1, 1), 1000.0), (d(2026, 1, 1), 16000.0)],
            "km",
            ChartTheme::Light,
        )
        .unwrap();
        assert!(svg.contains("<polyline"));
    }
}
