//! Dates and times as the binary formats (DICOM, SCP-ECG) store them and as
//! [`Metadata::date`](crate::Metadata::date) shows them.

/// A calendar date with an optional time of day, as the binary formats store them and as
/// [`Metadata::date`] shows them (`YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DateTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub time: Option<(u8, u8, u8)>,
}

impl DateTime {
    pub fn new(year: u16, month: u8, day: u8, time: Option<(u8, u8, u8)>) -> Option<Self> {
        let valid_time = time.is_none_or(|(h, m, s)| h < 24 && m < 60 && s < 61);
        ((1..=12).contains(&month) && (1..=31).contains(&day) && valid_time).then_some(Self {
            year,
            month,
            day,
            time,
        })
    }

    /// DICOM DT (or DA followed by TM): `YYYYMMDD[HH[MM[SS[.F]]]]`.
    pub(crate) fn parse_dicom(text: &str) -> Option<Self> {
        let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
        let field =
            |range: std::ops::Range<usize>| digits.get(range).and_then(|d| d.parse::<u16>().ok());
        let time = field(8..10).map(|h| {
            (
                h as u8,
                field(10..12).unwrap_or(0) as u8,
                field(12..14).unwrap_or(0) as u8,
            )
        });
        Self::new(field(0..4)?, field(4..6)? as u8, field(6..8)? as u8, time)
    }

    /// What readers put in [`Metadata::date`], and the WFDB form `HH:MM:SS DD/MM/YYYY`, so
    /// that a converted record keeps its date.
    pub fn parse(text: &str) -> Option<Self> {
        let mut date = None;
        let mut time = None;
        for part in text.split([' ', 'T']).filter(|p| !p.is_empty()) {
            let numbers: Vec<u16> = part
                .split([':', '-', '/', '.'])
                .filter_map(|n| n.parse().ok())
                .collect();
            let small = |i: usize| numbers.get(i).and_then(|&n| u8::try_from(n).ok());
            match (
                part.contains(':'),
                part.contains('-'),
                part.contains('/'),
                numbers.as_slice(),
            ) {
                (true, ..) => {
                    time = Some((
                        small(0)?,
                        small(1)?,
                        if numbers.len() > 2 { small(2)? } else { 0 },
                    ))
                }
                (false, true, _, &[year, _, _]) => date = Some((year, small(1)?, small(2)?)),
                (false, _, true, &[_, _, year]) => date = Some((year, small(1)?, small(0)?)),
                _ if part.len() >= 8 && part.chars().all(|c| c.is_ascii_digit()) => {
                    return Self::parse_dicom(part)
                }
                _ => {}
            }
        }
        let (year, month, day) = date?;
        Self::new(year, month, day, time)
    }
}

impl std::fmt::Display for DateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)?;
        if let Some((h, m, s)) = self.time {
            write!(f, " {h:02}:{m:02}:{s:02}")?;
        }
        Ok(())
    }
}
