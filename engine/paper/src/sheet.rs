use ecgmatch_formats::{Lead, Record};

/// Paper speed and gain as printed; the standard is 25 mm/s and 10 mm/mV.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetConfig {
    pub mm_per_s: f64,
    pub mm_per_mv: f64,
    /// Vertical space given to each row of leads.
    pub row_height_mm: f64,
    /// Seconds shown in each column of the 3×4 grid.
    pub column_s: f64,
    /// Lead shown over the full width below the grid.
    pub rhythm_lead: Option<Lead>,
}

impl Default for SheetConfig {
    fn default() -> Self {
        Self {
            mm_per_s: 25.0,
            mm_per_mv: 10.0,
            row_height_mm: 30.0,
            column_s: 2.5,
            rhythm_lead: Some(Lead::II),
        }
    }
}

/// One lead's trace: its label's position and the polyline, both in mm from the top-left.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub lead: Lead,
    pub label_mm: (f64, f64),
    pub points_mm: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub width_mm: f64,
    pub height_mm: f64,
    pub traces: Vec<Trace>,
}

/// The standard 3×4 layout the sheet prints.
pub const GRID: [[Lead; 4]; 3] = Lead::PRINT_GRID;

impl Sheet {
    /// Lays out `record` as a standard 12-lead printout. Each column shows the next
    /// `column_s` seconds, as a cart prints it; missing leads leave their cell empty.
    pub fn standard(record: &Record, config: &SheetConfig) -> Sheet {
        let fs = record.sampling_rate.max(1e-9);
        let column_mm = config.column_s * config.mm_per_s;
        let rows = GRID.len() + usize::from(config.rhythm_lead.is_some());
        let mut traces = Vec::new();
        let mut place = |lead: Lead, row: usize, start_s: f64, seconds: f64, x0: f64| {
            let Some(channel) = record.lead(lead) else {
                return;
            };
            let start = (start_s * fs).round() as usize;
            let end = (((start_s + seconds) * fs).round() as usize).min(channel.samples.len());
            let samples = channel.samples.get(start..end).unwrap_or(&[]);
            let y0 = (row as f64 + 0.5) * config.row_height_mm;
            traces.push(Trace {
                lead,
                label_mm: (x0 + 1.5, row as f64 * config.row_height_mm + 5.0),
                points_mm: points_mm(samples, fs, (x0, y0), config),
            });
        };
        for (row, leads) in GRID.iter().enumerate() {
            for (col, lead) in leads.iter().enumerate() {
                place(
                    *lead,
                    row,
                    col as f64 * config.column_s,
                    config.column_s,
                    col as f64 * column_mm,
                );
            }
        }
        if let Some(lead) = config.rhythm_lead {
            place(lead, GRID.len(), 0.0, 4.0 * config.column_s, 0.0);
        }
        Sheet {
            width_mm: 4.0 * column_mm,
            height_mm: rows as f64 * config.row_height_mm,
            traces,
        }
    }
}

/// One ECG's tracings as Compare draws them: its lead II rhythm strip and its twelve median
/// beats (standard lead order, R at `samples_before_r`).
#[derive(Debug, Clone, Copy)]
pub struct Tracings<'a> {
    pub sampling_rate: f64,
    pub rhythm_strip: &'a [f32],
    pub median_beats: Option<&'a [Vec<f32>; 12]>,
}

/// Two ECGs on one millimetre grid at one scale: the twelve median beats overlaid lead by lead
/// (3×4 cells, 1 s each), then the two lead II strips one above the other.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub width_mm: f64,
    pub height_mm: f64,
    pub query: Vec<Trace>,
    pub case: Vec<Trace>,
}

impl Comparison {
    /// Height of a median beat's cell and of a rhythm strip's row.
    const BEAT_ROW_MM: f64 = 30.0;
    const STRIP_ROW_MM: f64 = 25.0;

    pub fn new(query: &Tracings, case: &Tracings, config: &SheetConfig) -> Comparison {
        let strip_s = [query, case]
            .iter()
            .map(|t| t.rhythm_strip.len() as f64 / t.sampling_rate.max(1e-9))
            .fold(0.0, f64::max)
            .max(4.0 * config.column_s);
        let width_mm = strip_s * config.mm_per_s;
        let column_mm = width_mm / 4.0;
        let beats_mm = GRID.len() as f64 * Self::BEAT_ROW_MM;
        let trace = |lead: Lead, x: &[f32], fs: f64, x0: f64, y0: f64| Trace {
            lead,
            label_mm: (x0 + 1.5, y0 - 10.0),
            points_mm: points_mm(x, fs, (x0, y0), config),
        };
        let lay_out = |t: &Tracings, strip_row: usize| {
            let fs = t.sampling_rate.max(1e-9);
            let mut traces = Vec::new();
            if let Some(beats) = t.median_beats {
                for (row, leads) in GRID.iter().enumerate() {
                    for (col, lead) in leads.iter().enumerate() {
                        let y0 = (row as f64 + 0.6) * Self::BEAT_ROW_MM;
                        traces.push(trace(
                            *lead,
                            &beats[lead.index()],
                            fs,
                            col as f64 * column_mm,
                            y0,
                        ));
                    }
                }
            }
            let y0 = beats_mm + (strip_row as f64 + 0.55) * Self::STRIP_ROW_MM;
            traces.push(trace(Lead::II, t.rhythm_strip, fs, 0.0, y0));
            traces
        };
        Comparison {
            width_mm,
            height_mm: beats_mm + 2.0 * Self::STRIP_ROW_MM,
            query: lay_out(query, 0),
            case: lay_out(case, 1),
        }
    }
}

/// What calipers read between two points of a sheet (in mm from its top left): the time and
/// voltage between them at the sheet's paper speed and gain, and the rate an interval that
/// long would make (an RR interval's heart rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaliperReading {
    /// Right minus left, in ms (negative when the second point is left of the first).
    pub dt_ms: f64,
    /// Up is positive, in mV.
    pub dv_mv: f64,
    /// 60,000 / |Δt| per minute; `None` under 1 ms.
    pub rate_per_min: Option<f64>,
}

impl CaliperReading {
    pub fn between(from_mm: (f64, f64), to_mm: (f64, f64), config: &SheetConfig) -> Self {
        let dt_ms = (to_mm.0 - from_mm.0) / config.mm_per_s * 1000.0;
        CaliperReading {
            dt_ms,
            dv_mv: (from_mm.1 - to_mm.1) / config.mm_per_mv,
            rate_per_min: (dt_ms.abs() >= 1.0).then(|| 60_000.0 / dt_ms.abs()),
        }
    }
}

/// `samples` (mV at `fs` Hz) as a polyline in mm: starting at `origin`'s x, around its y at the
/// samples' [`cell_baseline`], at the config's paper speed and gain; non-finite samples skipped.
fn points_mm(
    samples: &[f32],
    fs: f64,
    origin: (f64, f64),
    config: &SheetConfig,
) -> Vec<(f64, f64)> {
    let baseline = cell_baseline(samples);
    samples
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .map(|(i, v)| {
            (
                origin.0 + i as f64 / fs * config.mm_per_s,
                origin.1 - (*v as f64 - baseline) * config.mm_per_mv,
            )
        })
        .collect()
}

/// The level a printed cell's trace is drawn around: the median of its finite samples (0 when
/// it has none). The page's sheet and the paper renderer share it, so that both print alike.
pub fn cell_baseline(x: &[f32]) -> f64 {
    let mut v: Vec<f32> = x.iter().copied().filter(|v| v.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2] as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecgmatch_formats::{Channel, Metadata};

    fn twelve_lead(fs: f64, seconds: f64) -> Record {
        let n = (fs * seconds) as usize;
        Record {
            name: "t".into(),
            sampling_rate: fs,
            channels: Lead::STANDARD
                .iter()
                .map(|l| Channel {
                    name: l.label().into(),
                    lead: Some(*l),
                    units: "mV".into(),
                    samples: (0..n)
                        .map(|i| {
                            if i % (fs as usize / 4 * 10) == 0 {
                                1.0
                            } else {
                                0.0
                            }
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
    fn calipers_read_time_voltage_and_rate_at_the_sheets_scale() {
        // 25 mm across and 10 mm up at 25 mm/s and 10 mm/mV: one second, one millivolt, 60/min.
        let r = CaliperReading::between((40.0, 80.0), (65.0, 70.0), &SheetConfig::default());
        assert!((r.dt_ms - 1000.0).abs() < 1e-9 && (r.dv_mv - 1.0).abs() < 1e-9);
        assert!((r.rate_per_min.unwrap() - 60.0).abs() < 1e-9);
        let back = CaliperReading::between((65.0, 70.0), (55.0, 75.0), &SheetConfig::default());
        assert!((back.dt_ms + 400.0).abs() < 1e-9 && (back.dv_mv + 0.5).abs() < 1e-9);
        assert!((back.rate_per_min.unwrap() - 150.0).abs() < 1e-9);
        assert_eq!(
            CaliperReading::between((1.0, 1.0), (1.0, 5.0), &SheetConfig::default()).rate_per_min,
            None
        );
    }

    #[test]
    fn a_comparison_overlays_beats_lead_by_lead_and_stacks_the_strips_at_one_scale() {
        // The query's beats are flat; the case's carry 1 mV at R. Strips of 10 s.
        let flat: [Vec<f32>; 12] = std::array::from_fn(|_| vec![0.0; 100]);
        let peaked: [Vec<f32>; 12] =
            std::array::from_fn(|_| (0..100).map(|i| if i == 35 { 1.0 } else { 0.0 }).collect());
        let strip = vec![0.0f32; 1000];
        let tracings = |beats| Tracings {
            sampling_rate: 100.0,
            rhythm_strip: &strip,
            median_beats: Some(beats),
        };
        let c = Comparison::new(
            &tracings(&flat),
            &tracings(&peaked),
            &SheetConfig::default(),
        );
        assert_eq!(c.width_mm, 250.0);
        assert_eq!((c.query.len(), c.case.len()), (13, 13));
        for (q, k) in c.query.iter().zip(&c.case).take(12) {
            assert_eq!(q.lead, k.lead);
            // Same cell, same time axis: 1 s of beat is 25 mm wide.
            assert_eq!(q.points_mm[0].0, k.points_mm[0].0);
            assert!((k.points_mm[99].0 - k.points_mm[0].0 - 24.75).abs() < 1e-9);
            // 1 mV above the same baseline is 10 mm up.
            assert!((q.points_mm[35].1 - k.points_mm[35].1 - 10.0).abs() < 1e-9);
        }
        // The strips lie one above the other, the query's first.
        assert!(c.query[12].points_mm[0].1 < c.case[12].points_mm[0].1);
        assert!(c.case[12].points_mm[0].1 < c.height_mm);
    }

    #[test]
    fn standard_sheet_places_each_lead_in_its_cell() {
        let sheet = Sheet::standard(&twelve_lead(100.0, 10.0), &SheetConfig::default());
        assert_eq!(sheet.traces.len(), 13);
        assert_eq!(sheet.width_mm, 250.0);
        assert_eq!(sheet.height_mm, 120.0);
        let v4 = sheet.traces.iter().find(|t| t.lead == Lead::V4).unwrap();
        // V4 sits in the last column: from 7.5 s, i.e. 187.5 mm, for 2.5 s.
        assert_eq!(v4.points_mm.len(), 250);
        assert_eq!(v4.points_mm[0].0, 187.5);
        // A 1 mV sample is 10 mm above the row's baseline (row 0 centre at 15 mm).
        assert_eq!(v4.points_mm[0].1, 5.0);
        let rhythm = sheet.traces.last().unwrap();
        assert_eq!((rhythm.lead, rhythm.points_mm.len()), (Lead::II, 1000));
    }

    #[test]
    fn short_records_and_missing_leads_leave_gaps() {
        let mut r = twelve_lead(500.0, 3.0);
        r.channels.retain(|c| c.lead != Some(Lead::V6));
        let sheet = Sheet::standard(&r, &SheetConfig::default());
        assert!(sheet
            .traces
            .iter()
            .all(|t| t.lead != Lead::V6 || t.points_mm.is_empty()));
        let v1 = sheet.traces.iter().find(|t| t.lead == Lead::V1).unwrap();
        assert!(v1.points_mm.is_empty());
    }
}
