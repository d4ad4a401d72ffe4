//! Whole-record tensors for the model: the seed paper's `paper` layout and our `stack`.

use serde::{Deserialize, Serialize};

use super::resize::{resize_tiles, ResizeScratch};
use crate::{beat_window, median_beat, record_peaks, robust_scale, PrepareConfig, PreparedLeads};
use crate::{Error, Result};
use ecgmatch_formats::{Lead, Record};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Encoding {
    Gasf,
    Gadf,
    Mtf,
    Rp,
}

impl Encoding {
    pub const ALL: [Encoding; 4] = [Encoding::Gasf, Encoding::Gadf, Encoding::Mtf, Encoding::Rp];

    pub fn label(self) -> &'static str {
        match self {
            Encoding::Gasf => "GASF",
            Encoding::Gadf => "GADF",
            Encoding::Mtf => "MTF",
            Encoding::Rp => "RP",
        }
    }
}

/// What one channel of an [`EncodedImage`] holds. `lead` is `None` when every lead is tiled in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelName {
    pub lead: Option<Lead>,
    pub encoding: Encoding,
}

impl std::fmt::Display for ChannelName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.lead {
            Some(lead) => write!(f, "{}_{}", lead.label(), self.encoding.label()),
            None => f.write_str(self.encoding.label()),
        }
    }
}

/// A `[channels, height, width]` f32 tensor, row-major.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EncodedImage {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub data: Vec<f32>,
    pub channel_names: Vec<ChannelName>,
}

impl EncodedImage {
    /// Reshapes to `channel_names.len()`×`height`×`width` zeros, keeping the allocation.
    fn reset(&mut self, height: usize, width: usize, channel_names: Vec<ChannelName>) {
        self.channels = channel_names.len();
        (self.height, self.width, self.channel_names) = (height, width, channel_names);
        reset(&mut self.data, self.channels * height * width);
    }

    pub fn channel(&self, c: usize) -> &[f32] {
        let n = self.height * self.width;
        &self.data[c * n..(c + 1) * n]
    }

    fn channel_mut(&mut self, c: usize) -> &mut [f32] {
        let n = self.height * self.width;
        &mut self.data[c * n..(c + 1) * n]
    }

    /// The distinct encodings, in channel order.
    pub fn encodings(&self) -> Vec<Encoding> {
        let mut seen = Vec::new();
        for name in &self.channel_names {
            if !seen.contains(&name.encoding) {
                seen.push(name.encoding);
            }
        }
        seen
    }
}

/// The seed paper's pipeline (Qiu et al., ML4H 2023): one R-peak-centred beat per lead,
/// GASF, RP and MTF images tiled in the 3×4 print layout, resized to a square.
#[derive(Debug, Clone, PartialEq)]
pub struct BeatTilesConfig {
    pub prepare: PrepareConfig,
    pub samples_before_r: usize,
    pub samples_after_r: usize,
    pub mtf_bins: usize,
    pub output_size: usize,
}

impl Default for BeatTilesConfig {
    fn default() -> Self {
        Self {
            prepare: PrepareConfig {
                sampling_rate: 100.0,
                highpass_hz: Some(0.5),
                lowpass_hz: Some(15.0),
                filter_order: 2,
            },
            samples_before_r: 35,
            samples_after_r: 65,
            mtf_bins: 4,
            output_size: 224,
        }
    }
}

/// Our layout: every lead's whole record, each encoding a channel, at `image_size`.
#[derive(Debug, Clone, PartialEq)]
pub struct StackConfig {
    pub prepare: PrepareConfig,
    /// Seconds of the record encoded, from its start.
    pub duration_s: f64,
    pub image_size: usize,
    pub leads: Vec<Lead>,
    pub encodings: Vec<Encoding>,
    pub mtf_bins: usize,
}

impl Default for StackConfig {
    fn default() -> Self {
        Self {
            prepare: PrepareConfig::default(),
            duration_s: 10.0,
            image_size: 64,
            leads: Lead::STANDARD.to_vec(),
            encodings: Encoding::ALL.to_vec(),
            mtf_bins: 8,
        }
    }
}

/// Which beat of each lead the `hybrid` layout's beat planes show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Beat {
    /// The complete beat nearest the middle of the record, as the seed paper cuts it.
    #[default]
    Central,
    /// The sample-wise median of every complete beat: the record's typical beat, without one
    /// beat's noise or an ectopic beat's form.
    Median,
}

impl std::str::FromStr for Beat {
    type Err = String;

    fn from_str(name: &str) -> std::result::Result<Self, String> {
        match name {
            "central" => Ok(Beat::Central),
            "median" => Ok(Beat::Median),
            _ => Err(format!("'{name}' is not a beat: choose central or median")),
        }
    }
}

/// How a record becomes the image tower's input.
#[derive(Debug, Clone, PartialEq)]
pub enum EncodingLayout {
    /// The seed paper's (Qiu et al. 2023), kept as the baseline: one R-centred beat per lead,
    /// GASF, RP and MTF tiled 3×4.
    BeatTiles(BeatTilesConfig),
    Stack(StackConfig),
    /// Morphology and rhythm: per lead, GASF, GADF and MTF of the R-centred beat (as the
    /// paper cuts it, or the median beat) and the recurrence plot of the whole record, all at
    /// the stack size.
    Hybrid(StackConfig, Beat),
}

impl EncodingLayout {
    pub fn name(&self) -> &'static str {
        match self {
            EncodingLayout::BeatTiles(_) => "paper",
            EncodingLayout::Stack(_) => "stack",
            EncodingLayout::Hybrid(..) => "hybrid",
        }
    }
}

pub fn encode(record: &Record, layout: &EncodingLayout) -> Result<EncodedImage> {
    match layout {
        EncodingLayout::BeatTiles(config) => {
            let leads = crate::prepare(record, &config.prepare)?;
            encode_beat_tiles(&beat_tiles(&leads, config, &record.name)?, config)
        }
        EncodingLayout::Stack(config) => {
            let leads = crate::prepare(record, &config.prepare)?;
            encode_stack_series(&stack_series(&leads, config, &record.name)?, config)
        }
        EncodingLayout::Hybrid(config, beat) => {
            let tiles = BeatTilesConfig::default();
            let beat_leads = crate::prepare(record, &tiles.prepare)?;
            // A record with no clean beat still has its rhythm; its beat planes stay zero.
            let beats = lead_beats(&beat_leads, &tiles, *beat, &record.name).unwrap_or_default();
            let leads = crate::prepare(record, &config.prepare)?;
            let mut out = EncodedImage::default();
            Encoder::default().hybrid_into(
                &beat_refs(&beats),
                &stack_series(&leads, config, &record.name)?,
                config,
                &mut out,
            )?;
            Ok(out)
        }
    }
}

/// The R peaks a record's beats are cut around, found once for every kind of beat.
pub struct BeatPeaks {
    /// Every R peak with a complete beat window, the same instants in every lead.
    peaks: Vec<usize>,
    /// The one nearest the record's middle.
    central: usize,
}

impl BeatPeaks {
    /// [`record_peaks`] with the paper's beat window, or an error naming the record.
    pub fn find(leads: &PreparedLeads, config: &BeatTilesConfig, name: &str) -> Result<Self> {
        let (before, after) = (config.samples_before_r, config.samples_after_r);
        let (peaks, central) =
            record_peaks(leads, before, after).ok_or_else(|| Error::InvalidRecord {
                record: name.to_string(),
                message: format!("no complete heartbeat ({before} samples before and {after} after an R peak) was found in any lead"),
            })?;
        Ok(Self { peaks, central })
    }

    /// The median interval between successive R peaks, in seconds.
    pub fn median_rr(&self, fs: f64) -> Option<f64> {
        let mut rr: Vec<f64> = self
            .peaks
            .windows(2)
            .map(|w| (w[1] - w[0]) as f64 / fs)
            .collect();
        if rr.is_empty() {
            return None;
        }
        rr.sort_by(f64::total_cmp);
        Some(rr[rr.len() / 2])
    }

    /// Per standard lead, the beat around the central R peak.
    pub fn central<'a>(
        &self,
        leads: &'a PreparedLeads,
        config: &BeatTilesConfig,
    ) -> [Option<&'a [f32]>; 12] {
        let (before, after) = (config.samples_before_r, config.samples_after_r);
        Lead::STANDARD.map(|l| {
            leads
                .get(l)
                .and_then(|x| beat_window(x, self.central, before, after))
        })
    }

    /// Per standard lead, `beat`.
    pub fn beats(
        &self,
        leads: &PreparedLeads,
        config: &BeatTilesConfig,
        beat: Beat,
    ) -> [Option<Vec<f32>>; 12] {
        let (before, after) = (config.samples_before_r, config.samples_after_r);
        match beat {
            Beat::Central => self.central(leads, config).map(|b| b.map(<[f32]>::to_vec)),
            Beat::Median => Lead::STANDARD.map(|l| {
                leads
                    .get(l)
                    .and_then(|x| median_beat(x, &self.peaks, before, after))
            }),
        }
    }
}

/// A record's twelve median beats, as the library's are made, and its median RR interval.
#[derive(Debug, Clone, PartialEq)]
pub struct MedianBeats {
    /// Per lead in standard order, `samples_before_r + samples_after_r` samples, R at
    /// `samples_before_r`, mV.
    pub beats: [Vec<f32>; 12],
    pub median_rr_s: Option<f64>,
    pub sampling_rate: f64,
}

/// The median beats of `record` prepared with `config` (the `paper` preparation: 0.5–15 Hz);
/// `None` when no complete beat is found or a standard lead is missing.
pub fn median_beats(record: &Record, config: &BeatTilesConfig) -> Result<Option<MedianBeats>> {
    let leads = crate::prepare(record, &config.prepare)?;
    let Ok(peaks) = BeatPeaks::find(&leads, config, &record.name) else {
        return Ok(None);
    };
    let beats = peaks.beats(&leads, config, Beat::Median);
    if beats.iter().any(Option::is_none) {
        return Ok(None);
    }
    Ok(Some(MedianBeats {
        beats: beats.map(Option::unwrap_or_default),
        median_rr_s: peaks.median_rr(leads.sampling_rate),
        sampling_rate: leads.sampling_rate,
    }))
}

/// Per standard lead, the beat around the central R peak, the same instant in every lead.
pub fn beat_tiles<'a>(
    leads: &'a PreparedLeads,
    config: &BeatTilesConfig,
    name: &str,
) -> Result<[Option<&'a [f32]>; 12]> {
    Ok(BeatPeaks::find(leads, config, name)?.central(leads, config))
}

/// Per standard lead, the `beat` the hybrid layout encodes.
pub fn lead_beats(
    leads: &PreparedLeads,
    config: &BeatTilesConfig,
    beat: Beat,
    name: &str,
) -> Result<[Option<Vec<f32>>; 12]> {
    Ok(BeatPeaks::find(leads, config, name)?.beats(leads, config, beat))
}

/// Borrows owned beats in the shape the encoders read.
pub fn beat_refs(beats: &[Option<Vec<f32>>; 12]) -> [Option<&[f32]>; 12] {
    std::array::from_fn(|l| beats[l].as_deref())
}

/// GASF, RP and MTF of each beat, tiled as the leads are printed, resized to a square.
pub fn encode_beat_tiles(
    beats: &[Option<&[f32]>; 12],
    config: &BeatTilesConfig,
) -> Result<EncodedImage> {
    let mut out = EncodedImage::default();
    Encoder::default().beat_tiles_into(beats, config, &mut out)?;
    Ok(out)
}

/// Encodes record after record into buffers it keeps, so that training and batch runs do
/// not pay for fresh memory (page faults dominate otherwise) on every record.
#[derive(Debug, Default)]
pub struct Encoder {
    tiles: Vec<f32>,
    resize: ResizeScratch,
}

impl Encoder {
    /// [`encode_beat_tiles`] into `out`, reusing its memory.
    pub fn beat_tiles_into(
        &mut self,
        beats: &[Option<&[f32]>; 12],
        config: &BeatTilesConfig,
        out: &mut EncodedImage,
    ) -> Result<()> {
        let beat_len = config.samples_before_r + config.samples_after_r;
        let grid = &Lead::PRINT_GRID;
        let order = [Encoding::Gasf, Encoding::Rp, Encoding::Mtf];
        let tile = beat_len * beat_len;
        // One channel's tiles, in print order; a missing lead's tile stays zero.
        self.tiles.clear();
        self.tiles.resize(grid.len() * grid[0].len() * tile, 0.0);
        let size = config.output_size;
        out.reset(
            size,
            size,
            order
                .iter()
                .map(|encoding| ChannelName {
                    lead: None,
                    encoding: *encoding,
                })
                .collect(),
        );
        for (c, encoding) in order.iter().enumerate() {
            for (lead, dst) in grid.iter().flatten().zip(self.tiles.chunks_exact_mut(tile)) {
                let Some(beat) = beats[lead.index()] else {
                    continue;
                };
                if beat.len() != beat_len {
                    return Err(Error::InvalidParameter(format!(
                        "a beat has {} samples, expected {beat_len}",
                        beat.len()
                    )));
                }
                ops::single(*encoding, beat, config.mtf_bins, dst)?;
            }
            let tiles: Vec<&[f32]> = self.tiles.chunks_exact(tile).collect();
            resize_tiles(
                &tiles,
                grid[0].len(),
                beat_len,
                beat_len,
                out.channel_mut(c),
                size,
                size,
                &mut self.resize,
            );
        }
        Ok(())
    }

    /// [`encode_stack_series`] into `out`, reusing its memory.
    pub fn stack_series_into(
        &mut self,
        series: &[Option<Vec<f32>>; 12],
        config: &StackConfig,
        out: &mut EncodedImage,
    ) -> Result<()> {
        let size = config.image_size;
        let names = config
            .leads
            .iter()
            .flat_map(|lead| {
                config.encodings.iter().map(|encoding| ChannelName {
                    lead: Some(*lead),
                    encoding: *encoding,
                })
            })
            .collect();
        out.reset(size, size, names);
        let lead_block = config.encodings.len() * size * size;
        for (lead, channels) in config
            .leads
            .iter()
            .zip(out.data.chunks_exact_mut(lead_block.max(1)))
        {
            if let Some(x) = &series[lead.index()] {
                ops::stack_lead(x, size, config.mtf_bins, &config.encodings, channels)?;
            }
        }
        Ok(())
    }
}

impl Encoder {
    /// [`EncodingLayout::Hybrid`] into `out`: per lead, GASF, GADF and MTF of `beats` and the
    /// recurrence plot of `series` (robustly scaled). Missing inputs leave zero planes.
    pub fn hybrid_into(
        &mut self,
        beats: &[Option<&[f32]>; 12],
        series: &[Option<Vec<f32>>; 12],
        config: &StackConfig,
        out: &mut EncodedImage,
    ) -> Result<()> {
        const BEAT: [Encoding; 3] = [Encoding::Gasf, Encoding::Gadf, Encoding::Mtf];
        let size = config.image_size;
        let names = config
            .leads
            .iter()
            .flat_map(|lead| {
                BEAT.iter()
                    .chain([Encoding::Rp].iter())
                    .map(|e| ChannelName {
                        lead: Some(*lead),
                        encoding: *e,
                    })
            })
            .collect();
        out.reset(size, size, names);
        let plane = size * size;
        for (lead, channels) in config
            .leads
            .iter()
            .zip(out.data.chunks_exact_mut((4 * plane).max(1)))
        {
            let (beat_planes, rhythm_plane) = channels.split_at_mut(3 * plane);
            if let Some(beat) = beats[lead.index()] {
                ops::stack_lead(beat, size, config.mtf_bins, &BEAT, beat_planes)?;
            }
            if let Some(x) = &series[lead.index()] {
                ops::stack_lead(x, size, config.mtf_bins, &[Encoding::Rp], rhythm_plane)?;
            }
        }
        Ok(())
    }
}

fn reset(buffer: &mut Vec<f32>, len: usize) {
    buffer.clear();
    buffer.resize(len, 0.0);
}

/// Per standard lead: the first `duration_s` of the prepared lead, robustly scaled.
pub fn stack_series(
    leads: &PreparedLeads,
    config: &StackConfig,
    name: &str,
) -> Result<[Option<Vec<f32>>; 12]> {
    let wanted = (config.duration_s * leads.sampling_rate).round() as usize;
    let mut out: [Option<Vec<f32>>; 12] = Default::default();
    for lead in &config.leads {
        let Some(x) = leads.get(*lead) else { continue };
        let x = &x[..x.len().min(wanted)];
        if x.len() < config.image_size {
            return Err(Error::InvalidRecord {
                record: name.to_string(),
                message: format!(
                    "lead {} has {} samples after resampling, fewer than the image size {}",
                    lead.label(),
                    x.len(),
                    config.image_size
                ),
            });
        }
        out[lead.index()] = Some(robust_scale(x));
    }
    Ok(out)
}

/// Every configured encoding of every configured lead as one channel each, lead-major.
/// A missing lead leaves its channels zero.
pub fn encode_stack_series(
    series: &[Option<Vec<f32>>; 12],
    config: &StackConfig,
) -> Result<EncodedImage> {
    let mut out = EncodedImage::default();
    Encoder::default().stack_series_into(series, config, &mut out)?;
    Ok(out)
}

/// The calls into the pyts-exact encoders.
mod ops {
    use super::Encoding;
    use crate::encode::bins::Strategy;
    use crate::encode::{gaf, mtf, paa, rp};
    use crate::Result;

    fn mtf_config(image_size: usize, n_bins: usize) -> mtf::Config {
        mtf::Config {
            image_size: Some(image_size),
            n_bins,
            strategy: Strategy::Quantile,
            overlapping: false,
        }
    }

    fn gaf_config(image_size: usize, method: gaf::Method) -> gaf::Config {
        gaf::Config {
            image_size: Some(image_size),
            method,
            ..gaf::Config::default()
        }
    }

    /// One encoding of a whole short series at its own length (no aggregation).
    pub fn single(encoding: Encoding, x: &[f32], mtf_bins: usize, out: &mut [f32]) -> Result<()> {
        let n = x.len();
        match encoding {
            Encoding::Gasf => gaf::gaf(x, &gaf_config(n, gaf::Method::Summation), out),
            Encoding::Gadf => gaf::gaf(x, &gaf_config(n, gaf::Method::Difference), out),
            Encoding::Mtf => mtf::mtf(x, &mtf_config(n, mtf_bins), out),
            Encoding::Rp => rp::rp(x, &rp::Config::default(), out),
        }
    }

    /// The requested encodings of one lead at `size`, into consecutive `size`×`size` planes of `out`.
    /// The recurrence plot is of the PAA series, since pyts's has no aggregation of its own.
    pub fn stack_lead(
        x: &[f32],
        size: usize,
        mtf_bins: usize,
        encodings: &[Encoding],
        out: &mut [f32],
    ) -> Result<()> {
        let plane = size * size;
        let (mut gasf, mut gadf) = (None, None);
        for (encoding, dst) in encodings.iter().zip(out.chunks_exact_mut(plane)) {
            match encoding {
                Encoding::Gasf => gasf = Some(dst),
                Encoding::Gadf => gadf = Some(dst),
                Encoding::Mtf => mtf::mtf(x, &mtf_config(size, mtf_bins), dst)?,
                Encoding::Rp => {
                    let mut reduced = vec![0.0f32; size];
                    paa::paa(x, &paa::Config::to_size(size, false), &mut reduced)?;
                    rp::rp(&reduced, &rp::Config::default(), dst)?;
                }
            }
        }
        let summation = gaf_config(size, gaf::Method::Summation);
        match (gasf, gadf) {
            (Some(s), Some(d)) => gaf::gasf_gadf(x, &summation, s, d),
            (Some(s), None) => gaf::gasf(x, &summation, s),
            (None, Some(d)) => gaf::gadf(x, &summation, d),
            (None, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpeaks::tests::synthetic_ecg;
    use ecgmatch_formats::{Channel, Metadata};

    fn record() -> Record {
        let r_times: Vec<f64> = (0..12).map(|k| 0.4 + k as f64 * 0.8).collect();
        let base = synthetic_ecg(500.0, 10.0, &r_times);
        Record {
            name: "synthetic".into(),
            sampling_rate: 500.0,
            channels: Lead::STANDARD
                .iter()
                .enumerate()
                .map(|(i, l)| Channel {
                    name: l.label().into(),
                    lead: Some(*l),
                    units: "mV".into(),
                    samples: base.iter().map(|v| v * (0.5 + i as f32 / 12.0)).collect(),
                    derived: false,
                })
                .collect(),
            metadata: Metadata::default(),
            warnings: vec![],
        }
    }

    #[test]
    fn beat_tiles_are_three_224_planes_of_bounded_values() {
        let img = encode(
            &record(),
            &EncodingLayout::BeatTiles(BeatTilesConfig::default()),
        )
        .unwrap();
        assert_eq!((img.channels, img.height, img.width), (3, 224, 224));
        assert_eq!(
            img.encodings(),
            vec![Encoding::Gasf, Encoding::Rp, Encoding::Mtf]
        );
        let gasf = img.channel(0);
        assert!(gasf.iter().all(|v| (-1.0..=1.0).contains(v)));
        let mtf = img.channel(2);
        assert!(mtf.iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(
            img.channel(1).iter().any(|v| *v > 0.1),
            "recurrence plot is empty"
        );
    }

    #[test]
    fn stack_layout_has_a_channel_per_lead_and_encoding() {
        let config = StackConfig {
            image_size: 32,
            ..StackConfig::default()
        };
        let img = encode(&record(), &EncodingLayout::Stack(config)).unwrap();
        assert_eq!((img.channels, img.height, img.width), (48, 32, 32));
        assert_eq!(img.channel_names[5].to_string(), "II_GADF");
        // GASF is symmetric and its diagonal is cos(2φ) ∈ [-1, 1]; GADF's diagonal is zero.
        let (gasf, gadf) = (img.channel(4), img.channel(5));
        for i in 0..32 {
            assert!(gadf[i * 32 + i].abs() < 1e-6);
            for j in 0..32 {
                assert!((gasf[i * 32 + j] - gasf[j * 32 + i]).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn missing_leads_leave_zero_channels_and_no_beat_is_an_error() {
        let mut r = record();
        r.channels.retain(|c| c.lead != Some(Lead::V6));
        let img = encode(
            &r,
            &EncodingLayout::Stack(StackConfig {
                image_size: 16,
                ..StackConfig::default()
            }),
        )
        .unwrap();
        assert!(img.channel(47).iter().all(|v| *v == 0.0));
        for c in &mut r.channels {
            c.samples.iter_mut().for_each(|v| *v = 0.0);
        }
        let err = encode(&r, &EncodingLayout::BeatTiles(BeatTilesConfig::default())).unwrap_err();
        assert!(err.to_string().contains("no complete heartbeat"), "{err}");
    }
}
