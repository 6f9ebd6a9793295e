//! The comparison as an SVG chart, readable without the table: per arm,
//! the distribution of time to first token (left) and of total time
//! (right) as box plots (box p25-p75, whisker to p99) with p50, p90 and p99
//! marked and labelled, every sample as a dot, on axes with ticks at round
//! numbers of milliseconds.

use std::fmt::Write as _;
use std::time::Duration;

use super::{Arm, Comparison, Sample};
use crate::stats::Rng;

const W: f64 = 980.0;
const TOP: f64 = 64.0;
const ROW: f64 = 70.0;
const LEFT: f64 = 110.0;
const GAP: f64 = 40.0;
const RIGHT: f64 = 20.0;
const AXIS: f64 = 44.0;

/// The colour of an arm (the CI's render check looks for the first two).
fn color(arm: Arm) -> &'static str {
    match arm {
        Arm::Standard => "#4C72B0",
        Arm::Optimized => "#DD8452",
        Arm::Priority => "#55A868",
        Arm::Hedged => "#8172B3",
    }
}

/// A round tick step (1, 2 or 5 times a power of ten) giving at most about
/// six ticks from 0 to `max`, and the axis end (a multiple of the step).
pub(crate) fn ticks(max: f64) -> (f64, f64) {
    let max = if max.is_finite() && max > 0.0 { max } else { 1.0 };
    let raw = max / 5.0;
    let pow = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * pow)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * pow);
    (step, (max / step).ceil() * step)
}

/// Nearest-rank quantile of sorted values.
fn q(v: &[f64], p: f64) -> f64 {
    let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// One panel: its left edge, width, axis end, and the values per arm.
struct Panel<'a> {
    x0: f64,
    width: f64,
    title: &'a str,
    top: f64,
    rows: Vec<(Arm, Vec<f64>)>,
}

impl Panel<'_> {
    fn x(&self, ms: f64) -> f64 {
        self.x0 + self.width * (ms / self.top).clamp(0.0, 1.0)
    }

    fn draw(&self, out: &mut String, rng: &mut Rng) {
        let bottom = TOP + ROW * self.rows.len() as f64;
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">{}</text>",
            self.x0 + self.width / 2.0,
            TOP - 14.0,
            self.title
        );
        let (step, _) = ticks(self.top);
        let decimals = if step >= 1.0 {
            0
        } else {
            (-step.log10()).ceil() as usize
        };
        let n = (self.top / step).round() as usize;
        for k in 0..=n {
            let v = k as f64 * step;
            let x = self.x(v);
            let _ = writeln!(
                out,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{bottom:.1}\" stroke=\"#ddd\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{v:.decimals$}</text>",
                bottom + 16.0
            );
        }
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">milliseconds</text>",
            self.x0 + self.width / 2.0,
            bottom + 34.0
        );
        for (i, (arm, values)) in self.rows.iter().enumerate() {
            self.row(out, rng, TOP + ROW * (i as f64 + 0.5), *arm, values);
        }
    }

    fn row(&self, out: &mut String, rng: &mut Rng, cy: f64, arm: Arm, v: &[f64]) {
        let c = color(arm);
        if v.is_empty() {
            let _ = writeln!(out, "<text x=\"{:.1}\" y=\"{cy:.1}\">no samples</text>", self.x0 + 6.0);
            return;
        }
        let (p25, p50, p75, p90, p99) = (q(v, 0.25), q(v, 0.5), q(v, 0.75), q(v, 0.9), q(v, 0.99));
        let (lo, h) = (v[0], 12.0);
        let _ = writeln!(
            out,
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{cy:.1}\" y2=\"{cy:.1}\" stroke=\"{c}\" stroke-width=\"2\"/>\n\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{c}\" fill-opacity=\"0.35\" \
             stroke=\"{c}\" stroke-width=\"2\"/>",
            self.x(lo),
            self.x(p99),
            self.x(p25),
            cy - h,
            (self.x(p75) - self.x(p25)).max(2.0),
            2.0 * h
        );
        // Marks: p50 thick, p90 and p99 thin; their values in one label
        // under the row, so that close marks never overlap their text.
        for (value, width) in [(p50, 4.0), (p90, 2.0), (p99, 2.0)] {
            let x = self.x(value);
            let _ = writeln!(
                out,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#222\" stroke-width=\"{width}\"/>",
                cy - h - 3.0,
                cy + h + 3.0
            );
        }
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">p50 {p50:.0} ms, p90 {p90:.0} ms, p99 {p99:.0} ms</text>",
            self.x0 + 4.0,
            cy + h + 17.0
        );
        for s in v {
            let jitter = (rng.unit() - 0.5) * 2.0 * (h - 3.0);
            let _ = writeln!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.2\" fill=\"{c}\" fill-opacity=\"0.7\"/>",
                self.x(*s),
                cy + jitter
            );
        }
    }
}

fn sorted_ms(samples: &[Sample], arm: Arm, f: impl Fn(&Sample) -> Option<Duration>) -> Vec<f64> {
    let mut v: Vec<f64> = samples
        .iter()
        .filter(|s| s.arm == arm)
        .filter_map(|s| f(s).map(|d| d.as_secs_f64() * 1e3))
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Draws the comparison as an SVG document (see the module docs).
pub fn chart_svg(c: &Comparison) -> String {
    let arms: Vec<Arm> = c.arms.iter().map(|a| a.arm).collect();
    let width = (W - LEFT - GAP - RIGHT) / 2.0;
    let panel = |x0, title, f: fn(&Sample) -> Option<Duration>| {
        let rows: Vec<(Arm, Vec<f64>)> = arms.iter().map(|&a| (a, sorted_ms(&c.samples, a, f))).collect();
        let max = rows.iter().filter_map(|(_, v)| v.last()).fold(0.0f64, |m, v| m.max(*v));
        Panel {
            x0,
            width,
            title,
            top: ticks(max * 1.02).1,
            rows,
        }
    };
    let ttft = panel(LEFT, "time to first token", |s| s.ttft);
    let total = panel(LEFT + width + GAP, "total time", |s| Some(s.total));
    let h = TOP + ROW * arms.len() as f64 + AXIS + 30.0;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{h}\" viewBox=\"0 0 {W} {h}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"{W}\" height=\"{h}\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">Per request: {} from {} \
         (box p25-p75, whisker to p99; p50, p90, p99 marked)</text>\n",
        W / 2.0,
        esc(&c.model_id),
        esc(&c.region)
    );
    for (i, a) in c.arms.iter().enumerate() {
        let cy = TOP + ROW * (i as f64 + 0.5);
        let _ = writeln!(
            out,
            "<rect x=\"8\" y=\"{:.1}\" width=\"16\" height=\"16\" fill=\"{}\"/>\
             <text x=\"30\" y=\"{:.1}\" font-size=\"13\">{}</text>\
             <text x=\"30\" y=\"{:.1}\" font-size=\"10\">n={}, errors {}</text>",
            cy - 8.0,
            color(a.arm),
            cy + 5.0,
            a.arm,
            cy + 19.0,
            a.requests,
            a.errors
        );
    }
    let mut rng = Rng::seeded(42);
    ttft.draw(&mut out, &mut rng);
    total.draw(&mut out, &mut rng);
    let lines: Vec<String> = c
        .speedups
        .iter()
        .map(|s| {
            format!(
                "{} vs standard: {:.2}x at the median total (95% interval {:.2}-{:.2})",
                s.arm, s.total_p50, s.total_interval.0, s.total_interval.1
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        W / 2.0,
        h - 10.0,
        esc(&lines.join("; "))
    );
    out += "</svg>\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(ticks(523.0), (200.0, 600.0));
        assert_eq!(ticks(100.0), (20.0, 100.0));
        assert_eq!(ticks(7.3), (2.0, 8.0));
        assert_eq!(ticks(0.0), (0.2, 1.0));
        assert_eq!(ticks(f64::NAN), (0.2, 1.0));
        assert_eq!(ticks(2600.0), (1000.0, 3000.0));
    }
}
