//! Draws a record as a printed ECG sheet into a [`Bitmap`]: grid, header text, lead labels,
//! calibration pulses and anti-aliased traces, and says exactly where each lead was drawn
//! (the ground truth a digitizer is scored against). Pure Rust, so it also runs in wasm.
//!
//! Coordinates are continuous pixel coordinates: pixel `(i, j)` covers `[i, i+1) × [j, j+1)`,
//! so its centre is `(i + 0.5, j + 0.5)`. y grows downwards.

use super::Bitmap;
use crate::sheet::{cell_baseline, GRID};
use ecgmatch_formats::{Lead, Record, Sex};

/// How the twelve leads are arranged on the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintLayout {
    /// Three rows of four 2.5 s columns (I aVR V1 V4 / II aVL V2 V5 / III aVF V3 V6)
    /// and a 10 s lead II rhythm strip below.
    ThreeByFour,
    /// Six rows of two 5 s columns: limb leads from 0 s, chest leads from 5 s.
    SixByTwo,
    /// Twelve rows, each lead over the full 10 s.
    TwelveByOne,
}

impl PrintLayout {
    pub const ALL: [PrintLayout; 3] = [
        PrintLayout::ThreeByFour,
        PrintLayout::SixByTwo,
        PrintLayout::TwelveByOne,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PrintLayout::ThreeByFour => "3x4",
            PrintLayout::SixByTwo => "6x2",
            PrintLayout::TwelveByOne => "12x1",
        }
    }

    /// Row height that fits the layout on a landscape sheet, as carts print it.
    pub fn default_row_height_mm(self) -> f64 {
        match self {
            PrintLayout::ThreeByFour => 30.0,
            PrintLayout::SixByTwo => 25.0,
            PrintLayout::TwelveByOne => 15.0,
        }
    }

    /// Each cell: (lead, row, column, start in seconds, duration in seconds); the 3×4's
    /// rhythm strip (lead II) is its last row.
    pub fn cells(self, column_s: f64) -> Vec<(Lead, usize, usize, f64, f64)> {
        match self {
            PrintLayout::ThreeByFour => {
                let mut cells = Vec::new();
                for (row, leads) in GRID.iter().enumerate() {
                    for (col, lead) in leads.iter().enumerate() {
                        cells.push((*lead, row, col, col as f64 * column_s, column_s));
                    }
                }
                cells.push((Lead::II, GRID.len(), 0, 0.0, 4.0 * column_s));
                cells
            }
            PrintLayout::SixByTwo => Lead::STANDARD
                .iter()
                .enumerate()
                .map(|(i, lead)| {
                    (
                        *lead,
                        i % 6,
                        i / 6,
                        (i / 6) as f64 * 2.0 * column_s,
                        2.0 * column_s,
                    )
                })
                .collect(),
            PrintLayout::TwelveByOne => Lead::STANDARD
                .iter()
                .enumerate()
                .map(|(i, lead)| (*lead, i, 0, 0.0, 4.0 * column_s))
                .collect(),
        }
    }

    /// Rows of the grid of leads, rhythm strips not counted.
    pub fn grid_rows(self) -> usize {
        match self {
            PrintLayout::ThreeByFour => 3,
            PrintLayout::SixByTwo => 6,
            PrintLayout::TwelveByOne => 12,
        }
    }

    pub fn from_name(name: &str) -> Option<PrintLayout> {
        PrintLayout::ALL.into_iter().find(|l| l.name() == name)
    }

    fn rows(self) -> usize {
        match self {
            PrintLayout::ThreeByFour => 4,
            PrintLayout::SixByTwo => 6,
            PrintLayout::TwelveByOne => 12,
        }
    }
}

/// The printed grid's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridStyle {
    /// Pink minor and red major lines on white, as most carts print.
    Red,
    /// A grey grid, as on thermal paper or a greyscale laser printout.
    Grey,
    /// A black-and-white printout: thin black major lines only, no minor grid.
    BlackAndWhite,
}

impl GridStyle {
    /// (paper, minor line, major line); `None` for a grid the style leaves out.
    fn colours(self) -> ([u8; 3], Option<[u8; 3]>, [u8; 3]) {
        match self {
            GridStyle::Red => ([255, 253, 250], Some([247, 190, 190]), [232, 120, 120]),
            GridStyle::Grey => ([252, 252, 252], Some([215, 215, 215]), [160, 160, 160]),
            GridStyle::BlackAndWhite => ([255, 255, 255], None, [70, 70, 70]),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RenderConfig {
    /// Resolution: 8 px/mm is about 203 dpi.
    pub px_per_mm: f64,
    pub layout: PrintLayout,
    pub grid: GridStyle,
    pub mm_per_s: f64,
    pub mm_per_mv: f64,
    /// Seconds per column of the 3×4 layout (the 6×2 shows twice, the 12×1 four times this).
    pub column_s: f64,
    pub row_height_mm: f64,
    /// Width of the trace line.
    pub trace_width_mm: f64,
    /// Blank paper around everything.
    pub margin_mm: f64,
    /// Height of the band above the grid that holds the printed header text (0: none).
    pub header_height_mm: f64,
    /// The header's lines; `None` prints the usual ones from the record (name, age, sex,
    /// speed and gain, a device line), so that a digitizer must cope with text.
    pub header_lines: Option<Vec<String>>,
    pub lead_labels: bool,
    /// A 1 mV × 0.2 s pulse at the start of each row, in its own zone left of the traces.
    pub calibration_pulse: bool,
}

impl Default for RenderConfig {
    fn default() -> Self {
        Self::for_layout(PrintLayout::ThreeByFour)
    }
}

impl RenderConfig {
    pub fn for_layout(layout: PrintLayout) -> Self {
        Self {
            px_per_mm: 8.0,
            layout,
            grid: GridStyle::Red,
            mm_per_s: 25.0,
            mm_per_mv: 10.0,
            column_s: 2.5,
            row_height_mm: layout.default_row_height_mm(),
            // Thinner than the 0.25 mm between two 100 Hz samples at 25 mm/s, so that a steep
            // QRS stays readable column by column (0.3 mm cost about 5 dB in the read-back test).
            trace_width_mm: 0.2,
            margin_mm: 10.0,
            header_height_mm: 22.0,
            header_lines: None,
            lead_labels: true,
            calibration_pulse: true,
        }
    }

    /// Width of the calibration zone at the left of each row.
    fn calibration_zone_mm(&self) -> f64 {
        if self.calibration_pulse {
            10.0
        } else {
            0.0
        }
    }

    fn trace_area_mm(&self) -> (f64, f64) {
        (
            4.0 * self.column_s * self.mm_per_s,
            self.layout.rows() as f64 * self.row_height_mm,
        )
    }

    /// The image size this configuration gives, in pixels.
    pub fn image_size_px(&self) -> (usize, usize) {
        let (w, h) = self.trace_area_mm();
        let width_mm = 2.0 * self.margin_mm + self.calibration_zone_mm() + w;
        let height_mm = 2.0 * self.margin_mm + self.header_height_mm + h;
        (
            (width_mm * self.px_per_mm).ceil() as usize,
            (height_mm * self.px_per_mm).ceil() as usize,
        )
    }
}

/// Where one lead's samples were drawn: sample `n` (from `start_s·fs`) lies at
/// `x = x0_px + (n/fs − start_s)·px_per_s` and `y = baseline_y_px − v·px_per_mv` for `v` in mV.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadPlacement {
    pub lead: Lead,
    pub start_s: f64,
    /// Exclusive: the last sample drawn is the one before `end_s`.
    pub end_s: f64,
    pub x0_px: f64,
    pub px_per_s: f64,
    /// Where 0 mV is: the trace is printed around its cell's median, as carts centre it.
    pub baseline_y_px: f64,
    pub px_per_mv: f64,
    /// The lead's cell (x0, y0, x1, y1): its time span across, its row's band down.
    pub cell_px: [f64; 4],
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub bitmap: Bitmap,
    pub truth: Vec<LeadPlacement>,
}

/// Draws `record` as a printed sheet. Missing leads leave their cell empty; a record shorter
/// than a cell's window is drawn as far as it goes.
pub fn render(record: &Record, config: &RenderConfig) -> Rendered {
    let (width, height) = config.image_size_px();
    let (paper, minor, major) = config.grid.colours();
    let mut bitmap = Bitmap::filled(width, height, paper);
    let s = config.px_per_mm;
    let grid_x0 = config.margin_mm * s;
    let grid_y0 = (config.margin_mm + config.header_height_mm) * s;
    let (area_w, area_h) = config.trace_area_mm();
    let grid_w_mm = config.calibration_zone_mm() + area_w;
    draw_grid(
        &mut bitmap,
        [grid_x0, grid_y0],
        [grid_w_mm, area_h],
        s,
        minor,
        major,
    );

    let mut ink = Ink::new(width, height);
    let stroke = config.trace_width_mm * s;
    let trace_x0 = grid_x0 + config.calibration_zone_mm() * s;
    let px_per_s = config.mm_per_s * s;
    let px_per_mv = config.mm_per_mv * s;
    let row_h = config.row_height_mm * s;
    let fs = record.sampling_rate;

    if config.calibration_pulse {
        for row in 0..config.layout.rows() {
            let base = grid_y0 + (row as f64 + 0.5) * row_h;
            let x = |mm: f64| grid_x0 + mm * s;
            let top = base - px_per_mv;
            let pulse = [
                (x(1.0), base),
                (x(3.0), base),
                (x(3.0), top),
                (x(3.0) + 0.2 * px_per_s, top),
            ];
            let end = [(x(3.0) + 0.2 * px_per_s, base), (x(9.0), base)];
            ink.polyline(&[&pulse[..], &end[..]].concat(), stroke);
        }
    }

    let mut truth = Vec::new();
    if fs > 0.0 && fs.is_finite() {
        for (lead, row, _col, start_s, seconds) in config.layout.cells(config.column_s) {
            let x0 = trace_x0 + start_s * px_per_s;
            let row_top = grid_y0 + row as f64 * row_h;
            if config.lead_labels {
                ink.text(
                    lead.label(),
                    x0 + 1.5 * s,
                    row_top + 2.0 * s,
                    3.0 * s,
                    0.3 * s,
                );
            }
            let Some(channel) = record.lead(lead) else {
                continue;
            };
            let start = (start_s * fs).round() as usize;
            let end = (((start_s + seconds) * fs).round() as usize).min(channel.samples.len());
            if start >= end {
                continue;
            }
            let samples = &channel.samples[start..end];
            let centre = row_top + 0.5 * row_h;
            let baseline_y = centre + cell_baseline(samples) * px_per_mv;
            let placement = LeadPlacement {
                lead,
                start_s: start as f64 / fs,
                end_s: end as f64 / fs,
                x0_px: x0,
                px_per_s,
                baseline_y_px: baseline_y,
                px_per_mv,
                cell_px: [x0, row_top, x0 + seconds * px_per_s, row_top + row_h],
            };
            // A missing (NaN) sample breaks the line, as a gap in the recording would.
            let mut run: Vec<(f64, f64)> = Vec::new();
            for (i, v) in samples.iter().enumerate() {
                if v.is_finite() {
                    run.push((
                        x0 + i as f64 / fs * px_per_s,
                        baseline_y - *v as f64 * px_per_mv,
                    ));
                } else if !run.is_empty() {
                    ink.polyline(&run, stroke);
                    run.clear();
                }
            }
            ink.polyline(&run, stroke);
            truth.push(placement);
        }
    }

    let lines = config
        .header_lines
        .clone()
        .unwrap_or_else(|| default_header(record, config));
    let text_h = 3.0 * s;
    for (i, line) in lines.iter().enumerate() {
        let y = (config.margin_mm + 1.0) * s + i as f64 * text_h * 1.6;
        if y + text_h > grid_y0 {
            break;
        }
        ink.text(line, grid_x0, y, text_h, 0.3 * s);
    }

    ink.composite(&mut bitmap, [20, 20, 25]);
    Rendered { bitmap, truth }
}

/// The lines a cart prints above the grid.
pub fn default_header(record: &Record, config: &RenderConfig) -> Vec<String> {
    let age = record
        .metadata
        .age
        .map(|a| format!("{a:.0} YR"))
        .unwrap_or_else(|| "-- YR".into());
    let sex = match record.metadata.sex {
        Some(Sex::Male) => "MALE",
        Some(Sex::Female) => "FEMALE",
        None => "SEX --",
    };
    vec![
        format!(
            "NAME: PATIENT {}   ID: {}",
            record.name.to_uppercase(),
            record.name.to_uppercase()
        ),
        format!(
            "{age}   {sex}   {}",
            record.metadata.date.clone().unwrap_or_default()
        ),
        format!(
            "{} mm/s   {} mm/mV   0.05-150 Hz   {}",
            config.mm_per_s,
            config.mm_per_mv,
            config.layout.name()
        ),
        "ECGMATCH CARDIO-12 V2.1  SN 40417".into(),
    ]
}

/// Minor lines every 1 mm and major every 5 mm over `size_mm` from `origin_px`, drawn with
/// their exact sub-pixel coverage so the pitch stays exact at any resolution.
fn draw_grid(
    bitmap: &mut Bitmap,
    origin_px: [f64; 2],
    size_mm: [f64; 2],
    s: f64,
    minor: Option<[u8; 3]>,
    major: [u8; 3],
) {
    let (x0, y0) = (origin_px[0], origin_px[1]);
    let (x1, y1) = (x0 + size_mm[0] * s, y0 + size_mm[1] * s);
    let lines = |extent_mm: f64| -> Vec<(f64, bool)> {
        (0..=extent_mm.floor() as usize)
            .map(|mm| (mm as f64 * s, mm % 5 == 0))
            .collect()
    };
    // Minor lines first, so that majors are drawn over them.
    for pass_major in [false, true] {
        let (colour, width) = if pass_major {
            (Some(major), 0.2 * s)
        } else {
            (minor, 0.1 * s)
        };
        let Some(colour) = colour else { continue };
        for (offset, is_major) in lines(size_mm[0]) {
            if is_major == pass_major {
                band(bitmap, x0 + offset, width, [y0, y1], colour, true);
            }
        }
        for (offset, is_major) in lines(size_mm[1]) {
            if is_major == pass_major {
                band(bitmap, y0 + offset, width, [x0, x1], colour, false);
            }
        }
    }
}

/// A straight grid line centred on `pos` across `span`: vertical if `vertical`.
fn band(
    bitmap: &mut Bitmap,
    pos: f64,
    width: f64,
    span: [f64; 2],
    colour: [u8; 3],
    vertical: bool,
) {
    let (lo, hi) = (pos - width / 2.0, pos + width / 2.0);
    let limit = if vertical {
        bitmap.width
    } else {
        bitmap.height
    };
    let other_limit = if vertical {
        bitmap.height
    } else {
        bitmap.width
    };
    let first = lo.floor().max(0.0) as usize;
    let last = (hi.ceil().max(0.0) as usize).min(limit);
    let (a, b) = (
        span[0].floor().max(0.0) as usize,
        (span[1].ceil().max(0.0) as usize).min(other_limit),
    );
    for i in first..last {
        let coverage = ((i as f64 + 1.0).min(hi) - (i as f64).max(lo)).clamp(0.0, 1.0);
        if coverage <= 0.0 {
            continue;
        }
        for j in a..b {
            let (x, y) = if vertical { (i, j) } else { (j, i) };
            let p = bitmap.get(x, y);
            bitmap.set(x, y, blend(p, colour, coverage));
        }
    }
}

fn blend(under: [u8; 3], over: [u8; 3], alpha: f64) -> [u8; 3] {
    let mix = |u: u8, o: u8| {
        (u as f64 + (o as f64 - u as f64) * alpha)
            .round()
            .clamp(0.0, 255.0) as u8
    };
    [
        mix(under[0], over[0]),
        mix(under[1], over[1]),
        mix(under[2], over[2]),
    ]
}

/// Coverage of the ink (traces, pulses, text) per pixel: the maximum over strokes, so that the
/// joints of a polyline are not darker than its segments.
struct Ink {
    width: usize,
    height: usize,
    coverage: Vec<f32>,
}

impl Ink {
    fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            coverage: vec![0.0; width * height],
        }
    }

    fn polyline(&mut self, points: &[(f64, f64)], stroke: f64) {
        match points {
            [] => {}
            [p] => self.segment(*p, *p, stroke),
            _ => points
                .windows(2)
                .for_each(|w| self.segment(w[0], w[1], stroke)),
        }
    }

    /// A round-capped segment; each pixel's coverage is how far its centre lies inside the
    /// stroke's outline, clamped to [0, 1] (a one-pixel ramp: anti-aliasing at sub-pixel
    /// precision).
    fn segment(&mut self, a: (f64, f64), b: (f64, f64), stroke: f64) {
        let r = stroke / 2.0;
        let pad = r + 1.0;
        let x_lo = (a.0.min(b.0) - pad).floor().max(0.0) as usize;
        let y_lo = (a.1.min(b.1) - pad).floor().max(0.0) as usize;
        let x_hi = ((a.0.max(b.0) + pad).ceil().max(0.0) as usize).min(self.width);
        let y_hi = ((a.1.max(b.1) + pad).ceil().max(0.0) as usize).min(self.height);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        for y in y_lo..y_hi {
            for x in x_lo..x_hi {
                let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
                let t = if len2 > 0.0 {
                    (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (ex, ey) = (px - (a.0 + t * dx), py - (a.1 + t * dy));
                let d = (ex * ex + ey * ey).sqrt();
                let c = (r + 0.5 - d).clamp(0.0, 1.0) as f32;
                let cell = &mut self.coverage[y * self.width + x];
                if c > *cell {
                    *cell = c;
                }
            }
        }
    }

    /// Prints `text` with the stroke font, top-left at (x, y), capitals `height` tall.
    fn text(&mut self, text: &str, x: f64, y: f64, height: f64, stroke: f64) {
        let unit = height / 6.0;
        let mut pen = x;
        for ch in text.chars() {
            // Lower case: the capital's shape at x-height, so that "aVR" reads as printed.
            let (shape, scale_y, drop) = if ch.is_lowercase() {
                (ch.to_ascii_uppercase(), 0.7, 1.8)
            } else {
                (ch, 1.0, 0.0)
            };
            for stroke_points in glyph(shape) {
                let points: Vec<(f64, f64)> = stroke_points
                    .iter()
                    .map(|(gx, gy)| (pen + gx * unit * 0.9, y + (drop + gy * scale_y) * unit))
                    .collect();
                self.polyline(&points, stroke);
            }
            pen += 5.2 * unit;
        }
    }

    fn composite(&self, bitmap: &mut Bitmap, colour: [u8; 3]) {
        for (i, c) in self.coverage.iter().enumerate() {
            if *c > 0.0 {
                let (x, y) = (i % self.width, i / self.width);
                let p = bitmap.get(x, y);
                bitmap.set(x, y, blend(p, colour, *c as f64));
            }
        }
    }
}

/// The strokes of a character on a 4 × 6 grid (y down); unknown characters print as a space.
/// Legibility is secondary: it has to look like printed text to a digitizer.
fn glyph(ch: char) -> Vec<Vec<(f64, f64)>> {
    let spec = match ch {
        'A' => "0,6 0,2 2,0 4,2 4,6;0,4 4,4",
        'B' => "0,0 0,6 3,6 4,5 4,4 3,3 0,3;0,0 3,0 4,1 4,2 3,3",
        'C' => "4,1 3,0 1,0 0,1 0,5 1,6 3,6 4,5",
        'D' => "0,0 0,6 2,6 4,4 4,2 2,0 0,0",
        'E' => "4,0 0,0 0,6 4,6;0,3 3,3",
        'F' => "4,0 0,0 0,6;0,3 3,3",
        'G' => "4,1 3,0 1,0 0,1 0,5 1,6 3,6 4,5 4,3 2,3",
        'H' => "0,0 0,6;4,0 4,6;0,3 4,3",
        'I' => "1,0 3,0;2,0 2,6;1,6 3,6",
        'J' => "4,0 4,5 3,6 1,6 0,5",
        'K' => "0,0 0,6;4,0 0,3 4,6",
        'L' => "0,0 0,6 4,6",
        'M' => "0,6 0,0 2,3 4,0 4,6",
        'N' => "0,6 0,0 4,6 4,0",
        'O' => "1,0 3,0 4,1 4,5 3,6 1,6 0,5 0,1 1,0",
        'P' => "0,6 0,0 3,0 4,1 4,2 3,3 0,3",
        'Q' => "1,0 3,0 4,1 4,5 3,6 1,6 0,5 0,1 1,0;2,4 4,6",
        'R' => "0,6 0,0 3,0 4,1 4,2 3,3 0,3;2,3 4,6",
        'S' => "4,1 3,0 1,0 0,1 0,2 1,3 3,3 4,4 4,5 3,6 1,6 0,5",
        'T' => "0,0 4,0;2,0 2,6",
        'U' | 'µ' => "0,0 0,5 1,6 3,6 4,5 4,0",
        'V' => "0,0 2,6 4,0",
        'W' => "0,0 1,6 2,3 3,6 4,0",
        'X' => "0,0 4,6;4,0 0,6",
        'Y' => "0,0 2,3 4,0;2,3 2,6",
        'Z' => "0,0 4,0 0,6 4,6",
        '0' => "1,0 3,0 4,1 4,5 3,6 1,6 0,5 0,1 1,0;0,5 4,1",
        '1' => "1,1 2,0 2,6;1,6 3,6",
        '2' => "0,1 1,0 3,0 4,1 4,2 0,6 4,6",
        '3' => "0,0 4,0 2,2 3,2 4,3 4,5 3,6 1,6 0,5",
        '4' => "3,6 3,0 0,4 4,4",
        '5' => "4,0 0,0 0,3 3,3 4,4 4,5 3,6 0,6",
        '6' => "3,0 1,0 0,1 0,5 1,6 3,6 4,5 4,4 3,3 0,3",
        '7' => "0,0 4,0 1,6",
        '8' => "1,3 0,2 0,1 1,0 3,0 4,1 4,2 3,3 1,3 0,4 0,5 1,6 3,6 4,5 4,4 3,3",
        '9' => "4,3 1,3 0,2 0,1 1,0 3,0 4,1 4,5 3,6 1,6",
        ':' => "2,1.8 2,2.2;2,4.8 2,5.2",
        '.' => "2,5.6 2,6",
        ',' => "2,5.4 1.5,6.6",
        '/' => "0,6 4,0",
        '-' => "1,3 3,3",
        '+' => "2,1.5 2,4.5;0.5,3 3.5,3",
        '=' => "1,2 3,2;1,4 3,4",
        '(' => "3,0 2,1 2,5 3,6",
        ')' => "1,0 2,1 2,5 1,6",
        '%' => "0,6 4,0;0.5,0.5 1,0.5;3,5.5 3.5,5.5",
        _ => "",
    };
    spec.split(';')
        .filter(|s| !s.is_empty())
        .map(|stroke| {
            stroke
                .split_whitespace()
                .filter_map(|p| {
                    let (x, y) = p.split_once(',')?;
                    Some((x.parse().ok()?, y.parse().ok()?))
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecgmatch_formats::{Channel, Metadata};

    fn synthetic(fs: f64, seconds: f64) -> Record {
        let n = (fs * seconds) as usize;
        Record {
            name: "synthetic".into(),
            sampling_rate: fs,
            channels: Lead::STANDARD
                .iter()
                .enumerate()
                .map(|(k, l)| Channel {
                    name: l.label().into(),
                    lead: Some(*l),
                    units: "mV".into(),
                    samples: (0..n)
                        .map(|i| {
                            (0.5 * (2.0 * std::f64::consts::PI * (1.0 + k as f64 * 0.1) * i as f64
                                / fs)
                                .sin()) as f32
                        })
                        .collect(),
                    derived: false,
                })
                .collect(),
            metadata: Metadata::default(),
            warnings: vec![],
        }
    }

    #[test]
    fn every_layout_places_each_lead_where_it_says() {
        let record = synthetic(100.0, 10.0);
        for layout in PrintLayout::ALL {
            let config = RenderConfig {
                px_per_mm: 4.0,
                trace_width_mm: 0.3,
                ..RenderConfig::for_layout(layout)
            };
            let out = render(&record, &config);
            assert_eq!(
                (out.bitmap.width, out.bitmap.height),
                config.image_size_px()
            );
            let expected = if layout == PrintLayout::ThreeByFour {
                13
            } else {
                12
            };
            assert_eq!(out.truth.len(), expected, "{}", layout.name());
            for p in &out.truth {
                // Sample 37 of the window: the pixel under it is ink.
                let n = (p.start_s * 100.0).round() as usize + 37;
                let v = record.lead(p.lead).unwrap().samples[n] as f64;
                let x = p.x0_px + (n as f64 / 100.0 - p.start_s) * p.px_per_s;
                let y = p.baseline_y_px - v * p.px_per_mv;
                let darkest = (0..4)
                    .map(|k| {
                        out.bitmap
                            .get((x - 0.5) as usize + k % 2, (y - 0.5) as usize + k / 2)
                    })
                    .min_by_key(|p| p.iter().map(|v| *v as u32).sum::<u32>())
                    .unwrap();
                let [r, g, b] = darkest;
                assert!(
                    r < 100 && g < 100 && b < 100,
                    "{} {:?} at ({x}, {y}): {:?}",
                    layout.name(),
                    p.lead,
                    [r, g, b]
                );
            }
        }
    }

    #[test]
    fn grid_pitch_is_one_millimetre() {
        let config = RenderConfig {
            px_per_mm: 8.0,
            header_height_mm: 0.0,
            lead_labels: false,
            ..Default::default()
        };
        let mut record = synthetic(100.0, 10.0);
        record.channels.clear();
        let out = render(&record, &config);
        // Along a row between two traces' bands, the minor lines repeat every 8 px.
        let y = ((config.margin_mm + 0.5) * 8.0) as usize;
        let reds: Vec<usize> = (0..out.bitmap.width)
            .filter(|&x| {
                let [r, g, _] = out.bitmap.get(x, y);
                r > 200 && g < 245
            })
            .collect();
        let gaps: Vec<usize> = reds
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|g| *g > 1)
            .collect();
        assert!(gaps.len() > 200, "{} grid lines", gaps.len());
        assert!(
            gaps.iter().all(|g| *g == 7 || *g == 8 || *g == 9),
            "{gaps:?}"
        );
    }

    #[test]
    fn text_and_calibration_are_ink() {
        let config = RenderConfig::default();
        let out = render(&synthetic(100.0, 10.0), &config);
        let dark_in = |x0: f64, y0: f64, x1: f64, y1: f64| {
            let mut n = 0;
            for y in (y0 * 8.0) as usize..(y1 * 8.0) as usize {
                for x in (x0 * 8.0) as usize..(x1 * 8.0) as usize {
                    let [r, g, b] = out.bitmap.get(x, y);
                    n += usize::from(r < 90 && g < 90 && b < 90);
                }
            }
            n
        };
        // Header text in its band, and the calibration pulse's top 1 mV above the first baseline.
        assert!(dark_in(10.0, 10.0, 150.0, 32.0) > 2000);
        let top = 10.0 + 22.0 + 15.0 - 10.0;
        assert!(dark_in(13.0, top - 0.5, 18.0, top + 0.5) > 50);
    }

    /// Reads a lead back from the picture using its true placement. In each pixel column of
    /// its span, the runs of trace-coloured pixels are found and the darkness-weighted centroid
    /// of one is taken; where traces of neighbouring leads cross, the truth says which run is
    /// this lead's (the position itself is measured from the pixels). A column's centroid is
    /// the trace's height at the column's centre, so the samples, which sit at the vertices,
    /// are read by fitting a line to the columns of each segment between two samples and
    /// taking its ends (averaged over the two segments that meet at a sample); taking the
    /// nearest column instead would cut every QRS peak by a quarter of its last step.
    fn read_back(bitmap: &Bitmap, p: &LeadPlacement, truth: &[f32], fs: f64) -> Vec<f32> {
        let row_h = p.cell_px[3] - p.cell_px[1];
        let top = (p.cell_px[1] - row_h).max(0.0) as usize;
        let bottom = ((p.cell_px[3] + row_h) as usize).min(bitmap.height);
        let darkness = |x: usize, y: usize| {
            let px = bitmap.get(x, y);
            let (hi, lo) = (
                *px.iter().max().unwrap() as f64,
                *px.iter().min().unwrap() as f64,
            );
            // Trace-coloured: dark and grey (the grid is light and red).
            if hi < 200.0 && hi - lo < 60.0 {
                255.0 - hi
            } else {
                0.0
            }
        };
        let start = (p.start_s * fs).round() as usize;
        let end = ((p.end_s * fs).round() as usize).min(truth.len());
        let x_of = |n: usize| p.x0_px + (n as f64 / fs - p.start_s) * p.px_per_s;
        let true_y = |x: f64| {
            let t = (x - p.x0_px) / p.px_per_s * fs + start as f64;
            let i = (t.floor().max(start as f64) as usize).min(end - 1);
            let j = (i + 1).min(end - 1);
            let f = (t - i as f64).clamp(0.0, 1.0);
            p.baseline_y_px - (truth[i] as f64 * (1.0 - f) + truth[j] as f64 * f) * p.px_per_mv
        };
        let column = |x: usize| -> Option<f64> {
            let mut runs: Vec<(f64, f64)> = Vec::new(); // (darkness-weighted sum of y, weight)
            let mut open = false;
            for y in top..bottom {
                let d = darkness(x, y);
                if d > 0.0 {
                    if !open {
                        runs.push((0.0, 0.0));
                        open = true;
                    }
                    let run = runs.last_mut().unwrap();
                    run.0 += d * (y as f64 + 0.5);
                    run.1 += d;
                } else {
                    open = false;
                }
            }
            let expected = true_y(x as f64 + 0.5);
            runs.iter()
                .map(|r| r.0 / r.1)
                .min_by(|a, b| (a - expected).abs().total_cmp(&(b - expected).abs()))
        };
        let mut estimates: Vec<Vec<f64>> = vec![Vec::new(); end];
        for n in start..end.saturating_sub(1) {
            let (xa, xb) = (x_of(n), x_of(n + 1));
            let points: Vec<(f64, f64)> = (xa.floor() as usize..xb.ceil() as usize)
                .filter(|&x| x as f64 + 0.5 > xa && (x as f64 + 0.5) < xb && x < bitmap.width)
                .filter_map(|x| column(x).map(|y| (x as f64 + 0.5, y)))
                .collect();
            match points.len() {
                0 => {}
                1 => {
                    estimates[n].push(points[0].1);
                    estimates[n + 1].push(points[0].1);
                }
                m => {
                    let mx = points.iter().map(|q| q.0).sum::<f64>() / m as f64;
                    let my = points.iter().map(|q| q.1).sum::<f64>() / m as f64;
                    let sxx: f64 = points.iter().map(|q| (q.0 - mx).powi(2)).sum();
                    let sxy: f64 = points.iter().map(|q| (q.0 - mx) * (q.1 - my)).sum();
                    let slope = sxy / sxx;
                    estimates[n].push(my + slope * (xa - mx));
                    estimates[n + 1].push(my + slope * (xb - mx));
                }
            }
        }
        let mut out = vec![f32::NAN; truth.len()];
        for n in start..end {
            if !estimates[n].is_empty() {
                let y = estimates[n].iter().sum::<f64>() / estimates[n].len() as f64;
                out[n] = ((p.baseline_y_px - y) / p.px_per_mv) as f32;
            }
        }
        out
    }

    #[test]
    fn reading_a_real_record_back_through_the_truth_scores_above_20_db() {
        use crate::snr::{challenge_snr, summarize, SnrConfig};
        let record = ecgmatch_testkit::ptbxl_00009();
        let config = RenderConfig::default();
        let out = render(&record, &config);
        // 10 + 10 + 250 + 10 mm across, 10 + 22 + 4 × 30 + 10 mm down, at 8 px/mm.
        assert_eq!((out.bitmap.width, out.bitmap.height), (2240, 1296));
        assert_eq!(out.truth.len(), 13);
        let fs = record.sampling_rate;
        let mut snrs = Vec::new();
        for p in &out.truth {
            let truth = &record.lead(p.lead).unwrap().samples;
            let (start, end) = (
                (p.start_s * fs).round() as usize,
                (p.end_s * fs).round() as usize,
            );
            // Trace pixels inside the lead's box.
            let [x0, y0, x1, y1] = p.cell_px;
            let ink = (y0 as usize..y1 as usize)
                .flat_map(|y| (x0 as usize..x1 as usize).map(move |x| (x, y)))
                .filter(|&(x, y)| out.bitmap.get(x, y).iter().all(|v| *v < 128))
                .count();
            assert!(ink > 500, "{:?}: {ink} ink pixels in its box", p.lead);
            let reference: Vec<f32> = (0..truth.len())
                .map(|n| {
                    if (start..end).contains(&n) {
                        truth[n]
                    } else {
                        f32::NAN
                    }
                })
                .collect();
            let estimate = read_back(&out.bitmap, p, truth, fs);
            let s = challenge_snr(&reference, &estimate, fs, &SnrConfig::default());
            eprintln!(
                "{:?} {:.1}-{:.1} s: SNR {:.2} dB (shift {}, offset {:.3} mV)",
                p.lead,
                p.start_s,
                p.end_s,
                s.snr_db,
                s.alignment.shift_samples,
                s.alignment.offset_mv
            );
            snrs.push(s.snr_db);
        }
        let (median, mean) = summarize(&snrs);
        eprintln!(
            "render read-back: median {median:.2} dB, mean {mean:.2} dB, min {:.2} dB",
            snrs.iter().copied().fold(f64::INFINITY, f64::min)
        );
        // Where V2's and V3's QRS complexes cross each other's rows the columns hold both
        // traces, so single leads read lower than the rest (about 18.5 dB for V2).
        assert!(median > 20.0 && mean > 20.0, "{snrs:?}");
        assert!(snrs.iter().all(|s| *s > 15.0), "{snrs:?}");
    }
}
