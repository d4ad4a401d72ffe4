//! Digitizing a photo or scan of a printed 12-lead ECG back into signals.
//!
//! The steps, each in its own module:
//! 0. `sheet`: find the sheet's outline in a photo and flatten it to a rectangle
//!    (perspective); a scan filling the picture is kept as it is.
//! 1. `ink`: tell trace ink, grid ink and paper apart by brightness and colour, against the
//!    paper's local brightness (a phone photo is lit unevenly).
//! 2. `grid`: find the rotation from the grid lines' angle, turn the picture straight, and
//!    measure the grid pitch (pixels per millimetre) from the periodicity of the grid.
//! 3. `layout`: find the rows of traces, their baselines, the calibration pulse and where
//!    the 10 s begin (from where each row's ink truly ends, blur undone); name the layout
//!    (3×4 with rhythm strip first). `ruler` reads each row's time axis off its vertical
//!    grid lines, so that perspective left after flattening does not drift it.
//! 4. `trace`: follow each lead column by column through its cell.
//!    `strips` names each rhythm strip by the grid cell whose reading it repeats.
//! 5. `record`: put each lead at its true time window in a 100 Hz, 10 s, 12-lead record;
//!    samples that were not seen are marked not visible and filled beat by beat from the
//!    lead's seen beats (`signal::fill`).
//! 6. `trust`: weigh each lead's reading by the evidence the picture gives (share seen, beats
//!    lining up across leads, the limb leads' relations); doubtful leads stay out of the query,
//!    and a picture with too few trusted leads is not searched.
//!
//! Classical image processing only, no native-only dependencies: this runs in the browser.

mod grid;
mod ink;
mod layout;
mod record;
mod ruler;
pub mod sheet;
mod six_rows;
mod strips;
mod trace;
pub mod trust;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

use super::render::PrintLayout;
use super::Bitmap;
use crate::{Error, Result};
use ecgmatch_formats::{Lead, Record};

/// What a picture must be for the digitizer to read it; shown with every refusal.
pub const ACCEPTED: &str =
    "accepted: a photo or scan of a 12-lead printout at 25 mm/s, in the 3×4 layout (with rhythm strips), 6×2 or 12×1";

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Paper speed the printout is assumed to use.
    pub mm_per_s: f64,
    /// Gain the printout is assumed to use; a calibration pulse only confirms it.
    pub mm_per_mv: f64,
    /// Sampling rate of the record produced.
    pub sampling_rate: f64,
    /// Seconds printed on a full-width row (the rhythm strip).
    pub duration_s: f64,
    /// Seconds in each column of the 3×4 grid.
    pub column_s: f64,
    /// Largest rotation searched for, either way.
    pub max_rotation_deg: f64,
    /// Smallest picture worth reading, in pixels, either side.
    pub min_side_px: usize,
    /// The layout of the printout, as a person chose it; `None` finds it (3×4 with rhythm
    /// strips; 12×1 when twelve rows are found; 6×2 when six rows' limb leads obey the
    /// Goldberger relations, `six_rows`).
    pub layout: Option<PrintLayout>,
    /// The lead printed on a single rhythm strip below the grid.
    pub rhythm_lead: Lead,
    /// The leads on three rhythm strips below the grid, top to bottom.
    pub three_rhythm_leads: [Lead; 3],
    /// Width of the calibration pulse's flat top a pulse must have, in mm.
    pub min_pulse_width_mm: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            mm_per_s: 25.0,
            mm_per_mv: 10.0,
            sampling_rate: 100.0,
            duration_s: 10.0,
            column_s: 2.5,
            max_rotation_deg: 6.0,
            min_side_px: 200,
            layout: None,
            rhythm_lead: Lead::II,
            three_rhythm_leads: [Lead::V1, Lead::II, Lead::V5],
            min_pulse_width_mm: 1.5,
        }
    }
}

/// The signals read from a picture, and what the page needs to draw them over it.
#[derive(Debug, Clone, PartialEq)]
pub struct Digitized {
    /// Twelve leads at `Config::sampling_rate` for `Config::duration_s`, in mV; samples that
    /// were not visible (see `visible`) are filled from the lead's seen beats.
    pub record: Record,
    /// Per lead in [`Lead::STANDARD`] order, per sample: whether it was read from the picture.
    pub visible: Vec<Vec<bool>>,
    /// Grid pitch along the time axis.
    pub px_per_mm: f64,
    /// The sheet's corners in the picture (top left, top right, bottom right, bottom left),
    /// found or given; `None` when the paper fills the picture and it was read as it is.
    pub sheet_corners: Option<sheet::Corners>,
    /// The flattened sheet's rotation found (counter-clockwise positive, in degrees); the
    /// boxes and traces are in the straightened frame, i.e. the flattened sheet turned by
    /// `-rotation_deg` about its centre (see [`Digitized::to_picture`]).
    pub rotation_deg: f64,
    /// The layout found, e.g. `3x4+1` (3×4 grid and one rhythm strip).
    pub layout: String,
    /// Each lead's cell, `[x0, y0, x1, y1]` in pixels of the straightened frame.
    pub lead_boxes: Vec<(Lead, [f64; 4])>,
    /// Each lead's followed trace, `(x, y)` in pixels of the straightened frame, for drawing
    /// the result over the picture.
    pub traces: Vec<(Lead, Vec<(f64, f64)>)>,
    /// The picture's size.
    pub picture_size: (usize, usize),
    /// Size of the flattened sheet, which the straightening turned about its centre.
    pub frame_size: (usize, usize),
    /// From the flattened sheet's pixels to the picture's (identity without `sheet_corners`).
    pub frame_to_picture: [f64; 9],
    pub warnings: Vec<String>,
    /// How far each lead can be trusted, and whether the reading may be searched.
    pub trust: trust::Trust,
}

impl Digitized {
    /// From the straightened frame (boxes, traces) back to the picture's own pixels.
    pub fn to_picture(&self, x: f64, y: f64) -> (f64, f64) {
        let (x, y) = grid::rotate_point(x, y, self.frame_size, self.rotation_deg);
        sheet::to_picture(&self.frame_to_picture, x, y)
    }
}

/// Reads the twelve leads off a photo or scan of a printed ECG, finding the sheet itself.
pub fn digitize(image: &Bitmap, config: &Config) -> Result<Digitized> {
    digitize_within(image, None, config)
}

/// Reads the twelve leads off the sheet whose corners are given (as a person placed them over
/// the picture), or off the sheet found when `corners` is `None`.
pub fn digitize_within(
    image: &Bitmap,
    corners: Option<sheet::Corners>,
    config: &Config,
) -> Result<Digitized> {
    if image.rgb.len() != image.width * image.height * 3 {
        return Err(Error::InvalidPicture(format!(
            "the picture's pixel data ({} bytes) does not match its size {}×{}",
            image.rgb.len(),
            image.width,
            image.height
        )));
    }
    if image.width < config.min_side_px || image.height < config.min_side_px {
        return Err(Error::InvalidPicture(format!(
            "the picture is too small ({}×{} pixels) to read an ECG from; it needs at least {} pixels either side; {ACCEPTED}",
            image.width, image.height, config.min_side_px
        )));
    }
    let mut warnings = Vec::new();
    let sheet_corners = corners.or_else(|| sheet::find_corners(image));
    let flattened = sheet_corners.and_then(|c| sheet::flatten(image, &c));
    if sheet_corners.is_some() && flattened.is_none() {
        return Err(Error::InvalidPicture(format!(
            "the sheet's corners enclose no area; place them on the printout's four corners; {ACCEPTED}"
        )));
    }
    let (frame, frame_to_picture) = match &flattened {
        Some(f) => (&f.bitmap, f.to_picture),
        None => (image, IDENTITY),
    };
    let rotation_deg = grid::find_rotation(&ink::classify(frame), config.max_rotation_deg);
    let straight = if rotation_deg.abs() > 0.05 {
        grid::straighten(frame, rotation_deg)
    } else {
        frame.clone()
    };
    let ink = ink::classify(&straight);
    let max_stretch = if flattened.is_some() {
        grid::MAX_STRETCH_FLATTENED
    } else {
        grid::MAX_STRETCH
    };
    let pitch = grid::find_pitch(&ink, max_stretch).ok_or_else(no_grid)?;
    if (pitch.x - pitch.y).abs() > 0.04 * pitch.x {
        warnings.push(format!(
            "the grid is {:.2} px/mm across but {:.2} px/mm down: the picture is stretched or seen at an angle",
            pitch.x, pitch.y
        ));
    }
    let mut layout = layout::find(&straight, &ink, pitch, config, &mut warnings)?;
    let mut traces = trace::follow_all(&ink, &layout, pitch, config);
    // Six rows are read as 3×4 with three rhythm strips unless they are the 6×2 that the limb
    // leads' relations say they are.
    if config.layout.is_none() && layout.rows.len() == 6 && layout.grid_rows == 3 {
        if let Ok(six) = layout.arranged_as(PrintLayout::SixByTwo, config) {
            let six_traces = trace::follow_all(&ink, &six, pitch, config);
            if six_rows::limb_leads_agree(&six_traces, &six, pitch, config) {
                warnings.push(format!(
                    "read as {}: the six rows' limb leads obey III = II − I, aVR = −(I + II)/2, aVL = I − II/2 and aVF = II − I/2, as a 6×2 printout's do; if it is a 3×4 with three rhythm strips, choose that layout",
                    PrintLayout::SixByTwo.name()
                ));
                (layout, traces) = (six, six_traces);
            }
        }
    }
    let traces = strips::identify(traces, &layout, pitch, config, &mut warnings);
    let assembled = record::assemble(&traces, &layout, pitch, config);
    if assembled.missing.len() >= MAX_MISSING_LEADS {
        return Err(partial_sheet(&assembled.missing));
    }
    warnings.extend(assembled.warnings);
    let trust = trust::assess(&assembled.record, &assembled.visible);
    warnings.extend(trust.leads.iter().filter_map(|l| {
        l.doubt().map(|why| {
            format!(
                "{} is doubtful ({why}): left out of the search",
                l.lead.label()
            )
        })
    }));
    Ok(Digitized {
        record: assembled.record,
        visible: assembled.visible,
        px_per_mm: pitch.x,
        sheet_corners,
        rotation_deg,
        layout: layout.name.clone(),
        lead_boxes: traces.iter().map(|t| (t.lead, t.bounds)).collect(),
        traces: traces.iter().map(|t| (t.lead, t.points())).collect(),
        picture_size: (image.width, image.height),
        frame_size: (frame.width, frame.height),
        frame_to_picture,
        warnings,
        trust,
    })
}

/// As many leads missing as a whole column of a 3×4 sheet: the picture shows part of the
/// printout, and a search on the rest would match cases by leads that were never read.
const MAX_MISSING_LEADS: usize = 3;

fn partial_sheet(missing: &[Lead]) -> Error {
    let names: Vec<&str> = missing.iter().map(|l| l.label()).collect();
    let leads = match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    };
    Error::PartialSheet(format!(
        "only part of the printout is in the picture: {leads} were not found or are cut short; photograph or scan the whole sheet, all four edges of its grid in view; {ACCEPTED}"
    ))
}

const IDENTITY: [f64; 9] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];

fn no_grid() -> Error {
    Error::NoGrid(format!(
        "no ECG grid found: the picture needs the printed millimetre grid visible; {ACCEPTED}"
    ))
}
