//! The ECG's intervals, measured on its twelve median beats: heart rate, PR, QRS duration, QT,
//! QTc (Bazett and Fridericia) and the frontal QRS axis, each marked where the delineation is
//! unsure.
//!
//! The beats are those the library compares (100 Hz, 0.5–15 Hz, R at a known sample), so every
//! boundary is found to a 10 ms sample, on beats whose QRS the 15 Hz low-pass has widened. QRS onset and offset are where the twelve leads' summed
//! slope falls under a share of its peak; the baseline is each lead at the QRS onset (the PQ
//! junction); T end and P onset are where the tangent at the steepest flank of the leads' spatial
//! magnitude meets that baseline (the tangent method). Decision support, not a measurement a
//! clinician should take without looking at the tracing.

use ecgmatch_formats::{Lead, Record};

use crate::encode::layout::{median_beats, BeatTilesConfig};
use crate::Result;

/// One interval or angle, and whether its delineation is unsure (a boundary not found where
/// it was looked for, a flat wave, or a value outside what hearts show).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Measured {
    pub value: f64,
    pub unsure: bool,
}

/// The intervals of one ECG; `None` where it has no such wave (no P wave in atrial
/// fibrillation) or no beat to measure.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Intervals {
    pub heart_rate_per_min: Option<f64>,
    pub pr_ms: Option<Measured>,
    pub qrs_ms: Option<Measured>,
    pub qt_ms: Option<Measured>,
    pub qtc_bazett_ms: Option<Measured>,
    pub qtc_fridericia_ms: Option<Measured>,
    /// Frontal QRS axis from the net QRS areas of leads I and aVF, degrees (−180, 180].
    pub axis_deg: Option<Measured>,
}

/// Share of the QRS's peak summed slope under which the QRS has begun or ended.
const QRS_SLOPE_SHARE: f64 = 0.12;
/// A P or T wave whose spatial magnitude stays under this (mV) is taken as absent or flat.
const MIN_WAVE_MV: f64 = 0.04;

/// The intervals of a record: its median beats as the library's are made, and its RR intervals.
pub fn of_record(record: &Record) -> Result<Intervals> {
    let config = BeatTilesConfig::default();
    Ok(
        median_beats(record, &config)?.map_or_else(Intervals::default, |m| {
            delineate(
                &m.beats,
                config.samples_before_r,
                m.sampling_rate,
                m.median_rr_s,
            )
        }),
    )
}

/// Delineates twelve median beats (standard lead order, mV, `fs` Hz) whose R peak is at
/// sample `r`; `rr_s` is the median RR interval for the rate and QTc.
pub fn delineate(beats: &[Vec<f32>; 12], r: usize, fs: f64, rr_s: Option<f64>) -> Intervals {
    let len = beats.iter().map(Vec::len).min().unwrap_or(0);
    let ms = 1000.0 / fs;
    let samples = |ms_: f64| (ms_ / ms).round() as usize;
    if len < 3 || r + 2 >= len {
        return Intervals::default();
    }
    // Summed absolute slope of the twelve leads (central differences).
    let slope: Vec<f64> = (0..len)
        .map(|i| {
            if i == 0 || i + 1 >= len {
                return 0.0;
            }
            beats
                .iter()
                .map(|b| f64::from((b[i + 1] - b[i - 1]).abs()) / 2.0)
                .sum()
        })
        .collect();
    let near_r = r.saturating_sub(samples(80.0))..(r + samples(80.0)).min(len - 1);
    let peak_slope = slope[near_r].iter().cloned().fold(0.0, f64::max);
    if peak_slope <= 0.0 {
        return Intervals::default();
    }
    let threshold = QRS_SLOPE_SHARE * peak_slope;
    let earliest = r.saturating_sub(samples(150.0)).max(1);
    let latest = (r + samples(200.0)).min(len - 2);
    // From the steepest flank on either side of R (the apex itself is flat), outwards.
    let steepest_before = argmax(&slope, r.saturating_sub(samples(80.0))..r + 1).unwrap_or(r);
    let steepest_after = argmax(&slope, r..(r + samples(80.0)).min(len - 1)).unwrap_or(r);
    // The last quiet sample's neighbour: a central difference already rises a sample early.
    let onset = (earliest..=steepest_before)
        .rev()
        .find(|&i| slope[i] <= threshold)
        .map(|i| (i + 1).min(r));
    let offset = (steepest_after..=latest)
        .find(|&i| slope[i] <= threshold)
        .map(|i| (i - 1).max(r));
    let (onset_found, offset_found) = (onset.is_some(), offset.is_some());
    let onset = onset.unwrap_or(earliest);
    let offset = offset.unwrap_or(latest);
    let qrs = (offset - onset) as f64 * ms;
    let qrs_ms = Measured {
        value: qrs,
        unsure: !(onset_found && offset_found && (40.0..=200.0).contains(&qrs)),
    };

    // Each lead's baseline at the PQ junction; the leads' spatial magnitude above it.
    let baselines: Vec<f64> = beats
        .iter()
        .map(|b| {
            let from = onset.saturating_sub(1);
            b[from..=onset].iter().map(|v| f64::from(*v)).sum::<f64>() / (onset - from + 1) as f64
        })
        .collect();
    let magnitude: Vec<f64> = (0..len)
        .map(|i| {
            beats
                .iter()
                .zip(&baselines)
                .map(|(b, base)| (f64::from(b[i]) - base).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .collect();

    let rate = rr_s.filter(|rr| *rr > 0.2 && *rr < 3.0);
    // At a fast rate the beat's window holds the neighbours' waves too: T is looked for before
    // the next beat's P (70% of RR after R), P after the last beat's T (45% of RR before R).
    let rr_samples = rate.map_or(len as f64, |rr| rr * fs);
    let t_limit = (r + (0.7 * rr_samples) as usize).min(len);
    let p_limit = r.saturating_sub((0.45 * rr_samples) as usize);

    // T: its peak after the QRS, its end where the steepest descent's tangent meets 0.
    let t_window =
        (offset + samples(60.0)).min(len - 1)..t_limit.max(offset + samples(60.0) + 2).min(len);
    let t_end = tangent_end(&magnitude, t_window);
    let (qt_ms, qtc_bazett_ms, qtc_fridericia_ms) = match t_end {
        Some((end, t_peak)) => {
            let qt = (end - onset as f64) * ms;
            let unsure = t_peak < MIN_WAVE_MV || !(200.0..=650.0).contains(&qt);
            let qt_ms = Measured { value: qt, unsure };
            let corrected = |f: fn(f64) -> f64| {
                rate.map(|rr| {
                    let value = qt / f(rr);
                    Measured {
                        value,
                        unsure: unsure || !(300.0..=600.0).contains(&value),
                    }
                })
            };
            (Some(qt_ms), corrected(f64::sqrt), corrected(f64::cbrt))
        }
        None => (None, None, None),
    };

    // P: its peak before the QRS, its onset where the steepest rise's tangent meets 0.
    let p_window =
        onset.saturating_sub(samples(300.0)).max(p_limit)..onset.saturating_sub(samples(30.0));
    let pr_ms = tangent_start(&magnitude, p_window).and_then(|(start, p_peak)| {
        if p_peak < MIN_WAVE_MV {
            return None;
        }
        let pr = (onset as f64 - start) * ms;
        Some(Measured {
            value: pr,
            unsure: !(80.0..=350.0).contains(&pr),
        })
    });

    // The frontal axis from the net QRS areas of I and aVF.
    let area = |lead: Lead| -> f64 {
        let b = &beats[lead.index()];
        let base = baselines[lead.index()];
        b[onset..=offset].iter().map(|v| f64::from(*v) - base).sum()
    };
    let (i, avf) = (area(Lead::I), area(Lead::AVF));
    let axis_deg = Some(Measured {
        value: avf.atan2(i).to_degrees(),
        unsure: i.hypot(avf) < 0.2 || qrs_ms.unsure,
    });

    Intervals {
        heart_rate_per_min: rate.map(|rr| 60.0 / rr),
        pr_ms,
        qrs_ms: Some(qrs_ms),
        qt_ms,
        qtc_bazett_ms,
        qtc_fridericia_ms,
        axis_deg,
    }
}

/// The wave in `window` of `x`: where the tangent at its steepest descent after its peak meets
/// zero (fractional sample), and its peak value.
fn tangent_end(x: &[f64], window: std::ops::Range<usize>) -> Option<(f64, f64)> {
    let peak = argmax(x, window.clone())?;
    let (k, d) = (peak..window.end.saturating_sub(1))
        .map(|i| (i, x[i + 1] - x[i]))
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    (d < 0.0).then(|| ((k as f64 - x[k] / d).min(window.end as f64), x[peak]))
}

/// The wave in `window` of `x`: where the tangent at its steepest rise before its peak meets
/// zero (fractional sample), and its peak value.
fn tangent_start(x: &[f64], window: std::ops::Range<usize>) -> Option<(f64, f64)> {
    let peak = argmax(x, window.clone())?;
    let (k, d) = (window.start..peak)
        .map(|i| (i, x[i + 1] - x[i]))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    (d > 0.0).then(|| ((k as f64 - x[k] / d).max(window.start as f64), x[peak]))
}

fn argmax(x: &[f64], window: std::ops::Range<usize>) -> Option<usize> {
    window
        .filter(|&i| i < x.len())
        .max_by(|&a, &b| x[a].total_cmp(&x[b]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A triangle wave from `start` to `end` ms (peak `mv` midway), on 100 Hz samples from
    /// −350 ms (R at sample 35).
    fn triangle(x: &mut [f32], start: f64, end: f64, mv: f32) {
        let mid = (start + end) / 2.0;
        for (i, v) in x.iter_mut().enumerate() {
            let t = i as f64 * 10.0 - 350.0;
            if t > start && t < end {
                let share = 1.0 - ((t - mid).abs() / ((end - start) / 2.0));
                *v += mv * share as f32;
            }
        }
    }

    /// Twelve leads with a P wave from `p_on` ms, a QRS from −qrs/2 to +qrs/2 around R, a T
    /// wave ending at `t_end` ms, and the QRS's size in I and aVF set by `axis` degrees.
    fn beats(p_on: f64, qrs: f64, t_end: f64, axis: f64) -> [Vec<f32>; 12] {
        std::array::from_fn(|l| {
            let mut x = vec![0f32; 100];
            let lead = Lead::STANDARD[l];
            let qrs_mv = match lead {
                Lead::I => axis.to_radians().cos() as f32 * 1.2,
                Lead::AVF => axis.to_radians().sin() as f32 * 1.2,
                _ => 1.0,
            };
            triangle(&mut x, p_on, p_on + 100.0, 0.15);
            triangle(&mut x, -qrs / 2.0, qrs / 2.0, qrs_mv);
            triangle(&mut x, t_end - 200.0, t_end, 0.35);
            x
        })
    }

    #[test]
    fn set_intervals_and_axes_are_found_within_a_sample_or_two() {
        for (pr, qrs, qt, axis) in [
            (160.0, 100.0, 400.0, 60.0),
            (220.0, 140.0, 460.0, -45.0),
            (120.0, 80.0, 360.0, 100.0),
        ] {
            let (onset, end) = (-qrs / 2.0, -qrs / 2.0 + qt);
            let b = beats(onset - pr, qrs, end, axis);
            let got = delineate(&b, 35, 100.0, Some(0.8));
            let check = |name: &str, m: Option<Measured>, want: f64, tolerance: f64| {
                let m = m.unwrap_or_else(|| panic!("{name} not measured"));
                assert!(!m.unsure, "{name} unsure: {m:?}");
                assert!(
                    (m.value - want).abs() <= tolerance,
                    "{name}: {} against {want}",
                    m.value
                );
            };
            check("PR", got.pr_ms, pr, 15.0);
            check("QRS", got.qrs_ms, qrs, 10.0);
            check("QT", got.qt_ms, qt, 15.0);
            check("QTc Bazett", got.qtc_bazett_ms, qt / 0.8f64.sqrt(), 25.0);
            check(
                "QTc Fridericia",
                got.qtc_fridericia_ms,
                qt / 0.8f64.cbrt(),
                25.0,
            );
            check("axis", got.axis_deg, axis, 8.0);
            assert_eq!(got.heart_rate_per_min, Some(75.0));
        }
    }

    #[test]
    fn no_p_wave_gives_no_pr_and_a_flat_t_is_unsure() {
        let mut b = beats(-250.0, 100.0, 350.0, 60.0);
        for x in b.iter_mut() {
            for (i, v) in x.iter_mut().enumerate() {
                let t = i as f64 * 10.0 - 350.0;
                if !(-60.0..=100.0).contains(&t) {
                    *v = 0.0;
                }
            }
            triangle(x, 150.0, 350.0, 0.01);
        }
        let got = delineate(&b, 35, 100.0, Some(1.0));
        assert_eq!(got.pr_ms, None);
        assert!(got.qt_ms.is_none_or(|m| m.unsure), "{:?}", got.qt_ms);
    }
}
