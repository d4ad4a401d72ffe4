//! Butterworth filters as second-order sections, applied forward and backward
//! (zero phase) with the same edge handling as `scipy.signal.sosfiltfilt`, so that
//! our prepared signals equal the ones the Python reference pipeline produces.

use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKind {
    LowPass,
    HighPass,
}

/// One biquad: `b0 b1 b2 / 1 a1 a2`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Section {
    pub b: [f64; 3],
    pub a: [f64; 3],
}

/// A digital Butterworth filter designed with the bilinear transform (pre-warped cut-off).
#[derive(Debug, Clone, PartialEq)]
pub struct Butterworth {
    pub sections: Vec<Section>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Complex {
    re: f64,
    im: f64,
}

impl Complex {
    fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }
    fn add(self, o: Self) -> Self {
        Self::new(self.re + o.re, self.im + o.im)
    }
    fn sub(self, o: Self) -> Self {
        Self::new(self.re - o.re, self.im - o.im)
    }
    fn mul(self, o: Self) -> Self {
        Self::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
    fn div(self, o: Self) -> Self {
        let d = o.re * o.re + o.im * o.im;
        Self::new(
            (self.re * o.re + self.im * o.im) / d,
            (self.im * o.re - self.re * o.im) / d,
        )
    }
    fn scale(self, s: f64) -> Self {
        Self::new(self.re * s, self.im * s)
    }
}

impl Butterworth {
    /// Designs an `order`-th order filter with its −3 dB point at `cutoff_hz`.
    pub fn design(
        kind: FilterKind,
        order: usize,
        cutoff_hz: f64,
        sampling_rate: f64,
    ) -> Result<Self> {
        let nyquist = sampling_rate / 2.0;
        if order == 0 || order > 12 {
            return Err(Error::InvalidParameter(format!(
                "filter order must be 1 to 12, got {order}"
            )));
        }
        if !(cutoff_hz > 0.0 && cutoff_hz < nyquist) {
            return Err(Error::InvalidParameter(format!(
                "filter cut-off must lie between 0 and the Nyquist frequency {nyquist} Hz, got {cutoff_hz} Hz"
            )));
        }
        // scipy's convention: normalised to Nyquist, bilinear transform at fs = 2.
        let fs2 = 4.0;
        let warped = fs2 * (std::f64::consts::PI * cutoff_hz / sampling_rate).tan();
        let mut sections = Vec::new();
        let mut gain = 1.0;
        // Analog prototype poles on the left half of the unit circle, upper half-plane first.
        for k in 0..order.div_ceil(2) {
            let theta = std::f64::consts::PI * (2 * k + order + 1) as f64 / (2 * order) as f64;
            let proto = Complex::new(theta.cos(), theta.sin());
            let analog = match kind {
                FilterKind::LowPass => proto.scale(warped),
                FilterKind::HighPass => Complex::new(warped, 0.0).div(proto),
            };
            let pole = Complex::new(fs2, 0.0)
                .add(analog)
                .div(Complex::new(fs2, 0.0).sub(analog));
            let zero = match kind {
                FilterKind::LowPass => -1.0,
                FilterKind::HighPass => 1.0,
            };
            let real_pole = order % 2 == 1 && k == order / 2;
            let section_gain_analog = match kind {
                // Low-pass prototype gain wo^n spread over poles: each pole contributes wo/(fs2 - p).
                FilterKind::LowPass => {
                    let g = Complex::new(warped, 0.0).div(Complex::new(fs2, 0.0).sub(analog));
                    if real_pole {
                        g
                    } else {
                        g.mul(Complex::new(g.re, -g.im))
                    }
                }
                // High-pass: each pole contributes fs2 / (fs2 - p) times 1/(-p_proto) normalisation.
                FilterKind::HighPass => {
                    let g = Complex::new(fs2, 0.0).div(Complex::new(fs2, 0.0).sub(analog));
                    if real_pole {
                        g
                    } else {
                        g.mul(Complex::new(g.re, -g.im))
                    }
                }
            };
            gain *= section_gain_analog.re;
            if real_pole {
                sections.push(Section {
                    b: [1.0, -zero, 0.0],
                    a: [1.0, -pole.re, 0.0],
                });
            } else {
                sections.push(Section {
                    b: [1.0, -2.0 * zero, zero * zero],
                    a: [1.0, -2.0 * pole.re, pole.re * pole.re + pole.im * pole.im],
                });
            }
        }
        if let Some(first) = sections.first_mut() {
            for b in &mut first.b {
                *b *= gain;
            }
        }
        Ok(Self { sections })
    }

    /// Magnitude of the frequency response at `freq_hz`.
    pub fn magnitude(&self, freq_hz: f64, sampling_rate: f64) -> f64 {
        let w = 2.0 * std::f64::consts::PI * freq_hz / sampling_rate;
        let z1 = Complex::new(w.cos(), -w.sin());
        let z2 = z1.mul(z1);
        self.sections.iter().fold(1.0, |acc, s| {
            let num = Complex::new(s.b[0], 0.0)
                .add(z1.scale(s.b[1]))
                .add(z2.scale(s.b[2]));
            let den = Complex::new(s.a[0], 0.0)
                .add(z1.scale(s.a[1]))
                .add(z2.scale(s.a[2]));
            let h = num.div(den);
            acc * (h.re * h.re + h.im * h.im).sqrt()
        })
    }

    /// Number of samples `filtfilt` mirrors at each edge (scipy's default `padlen`).
    pub fn pad_len(&self) -> usize {
        let n = self.sections.len();
        let first_order = |s: &Section| s.b[2] == 0.0;
        let trailing_b = self.sections.iter().filter(|s| first_order(s)).count();
        let trailing_a = self.sections.iter().filter(|s| s.a[2] == 0.0).count();
        3 * (2 * n + 1 - trailing_b.min(trailing_a))
    }

    /// Zero-phase filtering with odd extension at both edges and steady-state initial
    /// conditions, as `scipy.signal.sosfiltfilt(sos, x)` does. Signals too short to pad
    /// are padded by as much as they allow.
    pub fn filtfilt(&self, x: &[f32]) -> Vec<f32> {
        if x.len() < 2 {
            return x.to_vec();
        }
        let pad = self.pad_len().min(x.len() - 1);
        let n = x.len();
        let mut ext = Vec::with_capacity(n + 2 * pad);
        let (first, last) = (x[0] as f64, x[n - 1] as f64);
        ext.extend((1..=pad).rev().map(|i| 2.0 * first - x[i] as f64));
        ext.extend(x.iter().map(|v| *v as f64));
        ext.extend((1..=pad).map(|i| 2.0 * last - x[n - 1 - i] as f64));

        let zi = self.steady_state();
        let start = ext[0];
        self.run(&mut ext, &zi, start);
        ext.reverse();
        let start = ext[0];
        self.run(&mut ext, &zi, start);
        ext.reverse();
        ext[pad..pad + n].iter().map(|v| *v as f32).collect()
    }

    /// Initial state per section for a unit step (scipy's `sosfilt_zi`).
    fn steady_state(&self) -> Vec<[f64; 2]> {
        let mut scale = 1.0;
        self.sections
            .iter()
            .map(|s| {
                let (b, a) = (s.b, s.a);
                let b0 = b[1] - a[1] * b[0];
                let b1 = b[2] - a[2] * b[0];
                let z0 = (b0 + b1) / (1.0 + a[1] + a[2]);
                let z1 = b1 - a[2] * z0;
                let zi = [scale * z0, scale * z1];
                scale *= b.iter().sum::<f64>() / a.iter().sum::<f64>();
                zi
            })
            .collect()
    }

    /// Transposed direct form II, section after section, in place.
    fn run(&self, x: &mut [f64], zi: &[[f64; 2]], x0: f64) {
        for (s, z) in self.sections.iter().zip(zi) {
            let (b, a) = (s.b, s.a);
            let (mut z0, mut z1) = (z[0] * x0, z[1] * x0);
            for v in x.iter_mut() {
                let input = *v;
                let y = b[0] * input + z0;
                z0 = b[1] * input - a[1] * y + z1;
                z1 = b[2] * input - a[2] * y;
                *v = y;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, fs: f64, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * std::f64::consts::PI * freq * i as f64 / fs).sin() as f32)
            .collect()
    }

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn cutoff_is_minus_3_db_and_passband_is_flat() {
        for order in 1..=6 {
            for kind in [FilterKind::LowPass, FilterKind::HighPass] {
                let f = Butterworth::design(kind, order, 10.0, 100.0).unwrap();
                assert!(
                    (f.magnitude(10.0, 100.0) - 0.5f64.sqrt()).abs() < 1e-9,
                    "{kind:?} {order}"
                );
                let (pass, stop, beyond_cutoff) = match kind {
                    FilterKind::LowPass => (0.0, 50.0, 20.0),
                    FilterKind::HighPass => (50.0, 0.0, 5.0),
                };
                assert!(
                    (f.magnitude(pass, 100.0) - 1.0).abs() < 1e-6,
                    "{kind:?} {order}"
                );
                assert!(f.magnitude(stop, 100.0) < 1e-9, "{kind:?} {order}");
                assert!(
                    f.magnitude(beyond_cutoff, 100.0) < 0.5f64.sqrt(),
                    "{kind:?} {order}"
                );
            }
        }
    }

    #[test]
    fn highpass_removes_baseline_and_keeps_qrs_band() {
        let hp = Butterworth::design(FilterKind::HighPass, 2, 0.5, 100.0).unwrap();
        let x: Vec<f32> = sine(10.0, 100.0, 2000).iter().map(|v| v + 3.0).collect();
        let y = hp.filtfilt(&x);
        let mean: f32 = y[200..1800].iter().sum::<f32>() / 1600.0;
        assert!(mean.abs() < 1e-3, "offset left: {mean}");
        assert!((rms(&y[200..1800]) - rms(&sine(10.0, 100.0, 1600))).abs() < 1e-3);
    }

    #[test]
    fn filtfilt_has_zero_phase() {
        // A 2 Hz sine through a 15 Hz low-pass must come out neither delayed nor attenuated.
        let lp = Butterworth::design(FilterKind::LowPass, 4, 15.0, 100.0).unwrap();
        let x = sine(2.0, 100.0, 1000);
        let y = lp.filtfilt(&x);
        for i in 100..900 {
            assert!((x[i] - y[i]).abs() < 1e-3, "{i}: {} vs {}", x[i], y[i]);
        }
    }

    #[test]
    fn rejects_impossible_cutoffs() {
        assert!(Butterworth::design(FilterKind::LowPass, 2, 60.0, 100.0).is_err());
        assert!(Butterworth::design(FilterKind::LowPass, 0, 10.0, 100.0).is_err());
        assert!(Butterworth::design(FilterKind::HighPass, 2, 0.0, 100.0).is_err());
    }

    #[test]
    fn short_signals_do_not_panic() {
        let lp = Butterworth::design(FilterKind::LowPass, 4, 15.0, 100.0).unwrap();
        assert_eq!(lp.filtfilt(&[]).len(), 0);
        assert_eq!(lp.filtfilt(&[1.0]).len(), 1);
        assert_eq!(lp.filtfilt(&[1.0, 2.0, 3.0]).len(), 3);
    }
}
