//! Rational-rate resampling with a Kaiser-windowed FIR anti-aliasing filter, computing
//! the same samples as `scipy.signal.resample_poly(x, up, down)` with its defaults.

use crate::{Error, Result};

/// Resamples `x` from `from_hz` to `to_hz`. Both rates are rounded to 1/1000 Hz to find
/// the rational factor, which covers every rate ECG files use (e.g. 257, 360, 500, 1000).
pub fn resample(x: &[f32], from_hz: f64, to_hz: f64) -> Result<Vec<f32>> {
    if !(from_hz > 0.0 && to_hz > 0.0 && from_hz.is_finite() && to_hz.is_finite()) {
        return Err(Error::InvalidParameter(format!(
            "cannot resample from {from_hz} Hz to {to_hz} Hz"
        )));
    }
    // Readers refuse rates outside 20 Hz–100 kHz; this guards the arithmetic for any caller:
    // a rate that rounds to 0 mHz would divide by zero, and a thousandfold upsampling only
    // exhausts memory.
    if from_hz < 0.001 || to_hz < 0.001 || to_hz > 1000.0 * from_hz {
        return Err(Error::InvalidParameter(format!(
            "cannot resample from {from_hz} Hz to {to_hz} Hz: accepted are rates of at least 0.001 Hz, raised at most a thousandfold"
        )));
    }
    let (from, to) = (
        (from_hz * 1000.0).round() as u64,
        (to_hz * 1000.0).round() as u64,
    );
    let g = gcd(from, to);
    let (up, down) = ((to / g) as usize, (from / g) as usize);
    if up.max(down) > 100_000 {
        return Err(Error::InvalidParameter(format!(
            "the ratio between {from_hz} Hz and {to_hz} Hz is too irregular to resample exactly"
        )));
    }
    Ok(resample_poly(x, up, down))
}

/// Upsample by `up`, low-pass, downsample by `down`.
pub fn resample_poly(x: &[f32], up: usize, down: usize) -> Vec<f32> {
    let g = gcd(up as u64, down as u64) as usize;
    let (up, down) = (up / g, down / g);
    if up == down || x.is_empty() {
        return x.to_vec();
    }
    let n_in = x.len();
    let n_out = (n_in * up).div_ceil(down);
    let max_rate = up.max(down);
    let half_len = 10 * max_rate;
    let mut h = firwin_kaiser(2 * half_len + 1, 1.0 / max_rate as f64, 5.0);
    for v in &mut h {
        *v *= up as f64;
    }
    // Leading zeros put output sample 0 at the centre of the filter, as scipy does.
    let pre_pad = down - half_len % down;
    let pre_remove = (half_len + pre_pad) / down;
    let len_h = h.len() + pre_pad;
    let tap = |k: usize| {
        if k < pre_pad {
            0.0
        } else {
            h.get(k - pre_pad).copied().unwrap_or(0.0)
        }
    };

    (0..n_out)
        .map(|j| {
            let t = (j + pre_remove) * down;
            // x[i] contributes through tap t - i*up, which must lie in [0, len_h).
            let i_max = (t / up).min(n_in - 1);
            let i_min = if t + 1 > len_h {
                (t + 1 - len_h).div_ceil(up)
            } else {
                0
            };
            let mut acc = 0.0f64;
            if i_min <= i_max {
                for (i, &sample) in x.iter().enumerate().take(i_max + 1).skip(i_min) {
                    acc += tap(t - i * up) * sample as f64;
                }
            }
            acc as f32
        })
        .collect()
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// `scipy.signal.firwin(numtaps, cutoff, window=('kaiser', beta))`: a windowed-sinc low-pass
/// with unit gain at DC; `cutoff` is relative to the Nyquist frequency.
fn firwin_kaiser(numtaps: usize, cutoff: f64, beta: f64) -> Vec<f64> {
    let alpha = 0.5 * (numtaps - 1) as f64;
    let mut h: Vec<f64> = (0..numtaps)
        .map(|n| {
            let m = n as f64 - alpha;
            let ratio = if alpha > 0.0 { m / alpha } else { 0.0 };
            let window = bessel_i0(beta * (1.0 - ratio * ratio).max(0.0).sqrt()) / bessel_i0(beta);
            cutoff * sinc(cutoff * m) * window
        })
        .collect();
    let sum: f64 = h.iter().sum();
    for v in &mut h {
        *v /= sum;
    }
    h
}

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let px = std::f64::consts::PI * x;
        px.sin() / px
    }
}

/// Modified Bessel function of the first kind, order 0, by its power series.
fn bessel_i0(x: f64) -> f64 {
    let q = x * x / 4.0;
    let (mut term, mut sum, mut k) = (1.0, 1.0, 1.0);
    while term > sum * 1e-17 {
        term *= q / (k * k);
        sum += term;
        k += 1.0;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, fs: f64, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * std::f64::consts::PI * freq * i as f64 / fs).sin() as f32)
            .collect()
    }

    #[test]
    fn rates_near_zero_and_huge_ratios_are_refused_not_divided_by() {
        let x = vec![0.0f32; 10];
        for (from, to) in [
            (0.0004, 100.0),
            (0.001, 100.0),
            (100.0, 0.0004),
            (0.05, 100.0),
        ] {
            assert!(resample(&x, from, to).is_err(), "{from} Hz to {to} Hz");
        }
        assert_eq!(resample(&x, 20.0, 100.0).unwrap().len(), 50);
    }

    #[test]
    fn same_rate_is_identity() {
        let x = sine(3.0, 100.0, 50);
        assert_eq!(resample(&x, 100.0, 100.0).unwrap(), x);
    }

    #[test]
    fn output_length_is_ceil_of_ratio() {
        assert_eq!(
            resample(&vec![0.0; 5000], 500.0, 100.0).unwrap().len(),
            1000
        );
        assert_eq!(
            resample(&vec![0.0; 3600], 360.0, 100.0).unwrap().len(),
            1000
        );
        assert_eq!(resample(&vec![0.0; 1001], 500.0, 100.0).unwrap().len(), 201);
        assert_eq!(resample(&vec![0.0; 100], 100.0, 500.0).unwrap().len(), 500);
    }

    #[test]
    fn passband_sine_survives_downsampling() {
        // 5 Hz at 500 Hz down to 100 Hz is the same sine sampled at 100 Hz.
        let y = resample(&sine(5.0, 500.0, 5000), 500.0, 100.0).unwrap();
        let expected = sine(5.0, 100.0, 1000);
        for i in 50..950 {
            assert!(
                (y[i] - expected[i]).abs() < 2e-3,
                "{i}: {} vs {}",
                y[i],
                expected[i]
            );
        }
    }

    #[test]
    fn content_above_new_nyquist_is_removed() {
        // 70 Hz would alias to 30 Hz at 100 Hz without the anti-aliasing filter.
        let y = resample(&sine(70.0, 500.0, 5000), 500.0, 100.0).unwrap();
        let rms = (y[50..950].iter().map(|v| v * v).sum::<f32>() / 900.0).sqrt();
        assert!(rms < 0.01, "aliased energy left: rms {rms}");
    }

    #[test]
    fn irregular_rates_work() {
        let y = resample(&sine(2.0, 257.0, 2570), 257.0, 100.0).unwrap();
        assert_eq!(y.len(), 1000);
        let expected = sine(2.0, 100.0, 1000);
        assert!((y[500] - expected[500]).abs() < 2e-3);
    }

    #[test]
    fn rejects_bad_rates() {
        assert!(resample(&[1.0], 0.0, 100.0).is_err());
        assert!(resample(&[1.0], f64::NAN, 100.0).is_err());
    }
}
