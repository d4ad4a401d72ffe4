//! Filling the samples of a lead that were never seen, beat by beat.
//!
//! A printed 3×4 sheet shows each lead for only 2.5 s, at a different time per column, while
//! the model was trained on whole 10 s leads and takes its beat planes at the record's
//! central R peak, the same instant in every lead. Leaving the unseen 7.5 s at zero makes a
//! record the model has never seen. A heart cycle repeats, so an unseen sample is taken from
//! the seen beat of the same lead that lies at the same distance after its R peak, with the
//! beat whose RR interval is closest preferred. The R peaks come from a lead seen throughout
//! (the rhythm strip), so each lead is filled at its true beat times; without one (a 6×2 sheet
//! shows the limb leads for the first 5 s and the chest leads for the last 5 s) they come from
//! the leads that together saw the whole record.

use super::detect_r_peaks;

/// Fills every lead's unseen samples, timing the beats by [`beat_times`].
pub fn fill_leads(leads: &mut [Vec<f32>], seen: &[Vec<bool>], sampling_rate: f64) {
    let peaks = beat_times(leads, seen, sampling_rate);
    for (x, seen) in leads.iter_mut().zip(seen) {
        fill_unseen(x, seen, &peaks);
    }
}

/// Shortest RR interval kept when beat times from two leads meet (240 bpm).
const REFRACTORY_S: f64 = 0.25;
/// Least stretch of the record, in seconds, that a further lead must add to be timed by it.
const MIN_ADDED_S: f64 = 2.0;
/// A peak this close to where its lead stops being seen may be the edge, not a beat.
pub const EDGE_S: f64 = 0.1;

/// A lead's window on the sheet: from its first seen sample to just after its last.
pub fn seen_window(seen: &[bool]) -> Option<(usize, usize)> {
    Some((
        seen.iter().position(|&v| v)?,
        seen.iter().rposition(|&v| v)? + 1,
    ))
}

/// R peaks over the whole record: those of the lead seen longest, then, where it was not seen,
/// those of the lead that saw most of the rest, and so on. A lead counts for the stretch from
/// its first to its last seen sample (its window on the sheet), so that short gaps where its
/// trace was lost, often at a QRS, neither drop its beats nor call in another lead.
pub fn beat_times(leads: &[Vec<f32>], seen: &[Vec<bool>], sampling_rate: f64) -> Vec<usize> {
    let len = leads.iter().map(Vec::len).max().unwrap_or(0);
    let edge = (EDGE_S * sampling_rate).round() as usize;
    let windows: Vec<Option<(usize, usize)>> = seen.iter().map(|s| seen_window(s)).collect();
    let mut covered = vec![false; len];
    let mut used = vec![false; leads.len()];
    let mut peaks = Vec::new();
    loop {
        let news =
            |l: usize| windows[l].map_or(0, |(a, b)| (a..b).filter(|&i| !covered[i]).count());
        let Some(lead) = (0..leads.len())
            .filter(|&l| !used[l])
            .max_by_key(|&l| news(l))
        else {
            break;
        };
        // A gap of a few beats in a lead seen throughout is better left to the fill than
        // timed by a lead seen elsewhere (a smudged one adds false beats); a column's worth of
        // record (2.5 s) is not.
        if (news(lead) as f64) < MIN_ADDED_S * sampling_rate {
            break;
        }
        used[lead] = true;
        let Some((start, end)) = windows[lead] else {
            break;
        };
        // Where the window ends inside the record, the trace's edge can pass for a beat.
        let inside = |p: usize| {
            (start == 0 || p >= start + edge)
                && (end == len || p + edge < end)
                && p < end
                && p >= start
        };
        peaks.extend(
            detect_r_peaks(&leads[lead], sampling_rate)
                .into_iter()
                .filter(|&p| !covered[p] && inside(p)),
        );
        covered[start..end].iter_mut().for_each(|c| *c = true);
    }
    peaks.sort_unstable();
    // Where two leads' stretches meet, one beat may be found in both (within one lead the
    // detector already keeps beats this far apart).
    let refractory = (REFRACTORY_S * sampling_rate).round() as usize;
    let mut kept: Vec<usize> = Vec::with_capacity(peaks.len());
    for p in peaks {
        if kept.last().is_none_or(|&last| p - last >= refractory) {
            kept.push(p);
        }
    }
    kept
}

/// Fills `x[i]` wherever `seen[i]` is false, from the seen beats of `x`. `peaks` are R-peak
/// sample indices of the whole record, increasing. With fewer than two peaks, or no seen
/// beat, the seen stretch is repeated instead; with nothing seen, `x` stays as it is.
pub fn fill_unseen(x: &mut [f32], seen: &[bool], peaks: &[usize]) {
    assert_eq!(x.len(), seen.len(), "a flag per sample");
    if seen.iter().all(|&s| s) || !seen.iter().any(|&s| s) {
        return;
    }
    let source = x.to_vec();
    let sources: Vec<usize> = (0..peaks.len())
        .filter(|&j| seen.get(peaks[j]).copied().unwrap_or(false))
        .collect();
    if peaks.len() < 2 || sources.is_empty() {
        repeat_seen(x, seen);
        return;
    }
    let rr = |j: usize| -> f64 {
        let next = if j + 1 < peaks.len() {
            peaks[j + 1] - peaks[j]
        } else {
            peaks[j] - peaks[j - 1]
        };
        next as f64
    };
    for t in (0..x.len()).filter(|&t| !seen[t]) {
        // The beat this sample belongs to: the last R peak at or before it (the first peak for
        // samples before it, at a negative offset).
        let i = peaks.partition_point(|&p| p <= t).saturating_sub(1);
        let offset = t as i64 - peaks[i] as i64;
        let pick = sources
            .iter()
            .filter(|&&j| {
                let s = peaks[j] as i64 + offset;
                s >= 0 && (s as usize) < x.len() && seen[s as usize]
            })
            .min_by(|&&a, &&b| (rr(a) - rr(i)).abs().total_cmp(&(rr(b) - rr(i)).abs()));
        if let Some(&j) = pick {
            x[t] = source[(peaks[j] as i64 + offset) as usize];
        } else {
            x[t] = nearest_seen(&source, seen, t);
        }
    }
}

/// Each unseen sample takes the seen sample a whole number of seen-stretch lengths away.
fn repeat_seen(x: &mut [f32], seen: &[bool]) {
    let first = seen.iter().position(|&s| s).unwrap_or(0);
    let last = seen.iter().rposition(|&s| s).unwrap_or(0);
    let span = (last - first + 1) as i64;
    let source = x.to_vec();
    for t in (0..x.len()).filter(|&t| !seen[t]) {
        let s = first as i64 + (t as i64 - first as i64).rem_euclid(span);
        x[t] = if seen[s as usize] {
            source[s as usize]
        } else {
            nearest_seen(&source, seen, t)
        };
    }
}

fn nearest_seen(x: &[f32], seen: &[bool], t: usize) -> f32 {
    (0..x.len())
        .filter(|&s| seen[s])
        .min_by_key(|&s| s.abs_diff(t))
        .map_or(0.0, |s| x[s])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Beats of one shape (P, QRS, T) at `r_times`, without wander or noise.
    fn beats_at(r_times: &[f64], len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| {
                let t = i as f64 / 100.0;
                let g = |c: f64, w: f64, a: f64| a * (-((t - c) / w).powi(2) / 2.0).exp();
                r_times
                    .iter()
                    .map(|&r| g(r, 0.012, 1.2) + g(r - 0.16, 0.025, 0.15) + g(r + 0.28, 0.05, 0.3))
                    .sum::<f64>() as f32
            })
            .collect()
    }

    fn peaks_every(period: usize, len: usize, first: usize) -> Vec<usize> {
        (first..len).step_by(period).collect()
    }

    #[test]
    fn a_regular_rhythm_is_filled_with_its_own_beats() {
        // The rhythm goes on past the 10 s, as a real one does.
        let r_times: Vec<f64> = (0..14).map(|k| 0.4 + 0.8 * k as f64).collect();
        let truth = beats_at(&r_times, 1000);
        let peaks: Vec<usize> = r_times
            .iter()
            .map(|t| (t * 100.0).round() as usize)
            .filter(|&p| p < 1000)
            .collect();
        let seen: Vec<bool> = (0..1000).map(|i| (250..500).contains(&i)).collect();
        let mut x: Vec<f32> = truth
            .iter()
            .zip(&seen)
            .map(|(v, s)| if *s { *v } else { 0.0 })
            .collect();
        fill_unseen(&mut x, &seen, &peaks);
        let error: f32 = x
            .iter()
            .zip(&truth)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        let peak = truth.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(
            error < 0.05 * peak,
            "largest error {error} against a peak of {peak}"
        );
    }

    #[test]
    fn seen_samples_are_never_changed() {
        let len = 300;
        let x0: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
        let seen: Vec<bool> = (0..len).map(|i| i % 7 < 3).collect();
        let mut x = x0.clone();
        fill_unseen(&mut x, &seen, &peaks_every(60, len, 10));
        for i in (0..len).filter(|&i| seen[i]) {
            assert_eq!(x[i], x0[i]);
        }
        assert!(x.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn without_peaks_the_seen_stretch_repeats() {
        let mut x = vec![0.0, 0.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.0];
        let seen = [false, false, true, true, true, false, false, false];
        fill_unseen(&mut x, &seen, &[]);
        assert_eq!(x, vec![2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn nothing_seen_leaves_the_lead_alone() {
        let mut x = vec![0.5; 10];
        fill_unseen(&mut x, &[false; 10], &[2, 6]);
        assert_eq!(x, vec![0.5; 10]);
    }

    #[test]
    fn beats_are_timed_across_leads_seen_at_different_times() {
        // A 6×2 sheet: lead 0 seen for the first 5 s, lead 1 for the last 5 s, none throughout.
        let r_times: Vec<f64> = (0..12).map(|k| 0.3 + 0.85 * k as f64).collect();
        let truth = beats_at(&r_times, 1000);
        let seen: Vec<Vec<bool>> = vec![
            (0..1000).map(|i| i < 500).collect(),
            (0..1000).map(|i| i >= 500).collect(),
        ];
        let mut leads: Vec<Vec<f32>> = seen
            .iter()
            .map(|s| {
                truth
                    .iter()
                    .zip(s)
                    .map(|(v, s)| if *s { *v } else { 0.0 })
                    .collect()
            })
            .collect();
        let peaks = beat_times(&leads, &seen, 100.0);
        let expected: Vec<usize> = r_times
            .iter()
            .map(|t| (t * 100.0).round() as usize)
            .filter(|&p| p < 1000 && p.abs_diff(500) > 10)
            .collect();
        assert_eq!(peaks.len(), expected.len(), "{peaks:?} vs {expected:?}");
        for (p, e) in peaks.iter().zip(&expected) {
            assert!(p.abs_diff(*e) <= 2, "{peaks:?} vs {expected:?}");
        }
        // Each lead's unseen half is then filled with its own beats at the true times.
        fill_leads(&mut leads, &seen, 100.0);
        for x in &leads {
            let error = x
                .iter()
                .zip(&truth)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(error < 0.1, "largest error {error}");
        }
    }
}
