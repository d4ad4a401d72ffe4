//! The picture inside a PDF. A scanned ECG saved as PDF, or a phone's "scan document", is a
//! page holding one large picture: a JPEG (`DCTDecode`) or deflated pixels (`FlateDecode`).
//! This finds the largest such picture without rendering the page; a PDF that draws its
//! traces as vector graphics (as ECG carts export) has none, and is told so.

use super::picture_size::{checked_size, MAX_PIXELS};
use super::Bitmap;

/// The largest picture a PDF holds, as far as this reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum PdfPicture {
    /// A JPEG file's bytes, for an image decoder (the browser's, or `image` natively).
    Jpeg(Vec<u8>),
    /// Pixels decoded here (deflated gray, RGB or CMYK, 1 or 8 bits per component).
    Pixels(Bitmap),
}

/// Pictures smaller than this on either side are logos or icons, not a page.
const MIN_SIDE: usize = 200;

const ACCEPTED: &str = "PDFs of scanned or photographed ECG pages (a JPEG or deflated picture), or the page as a PNG or JPEG picture";

/// The largest picture in `pdf`, or what is wrong and what is accepted.
pub fn largest_picture(pdf: &[u8]) -> Result<PdfPicture, String> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(format!(
            "not a PDF file (it does not begin with %PDF-). Accepted: {ACCEPTED}"
        ));
    }
    if find(pdf, b"/Encrypt", 0).is_some() {
        return Err(format!(
            "the PDF is encrypted, so its pictures cannot be read. Save it without protection, or as a PNG or JPEG picture. Accepted: {ACCEPTED}"
        ));
    }
    let mut best: Option<(usize, Embedded)> = None;
    let mut unreadable: Option<String> = None;
    for image in images(pdf) {
        let pixels = image.width.saturating_mul(image.height);
        if image.width < MIN_SIDE || image.height < MIN_SIDE {
            continue;
        }
        if pixels > MAX_PIXELS {
            unreadable.get_or_insert(format!(
                "{} × {} pixel (over {} megapixels)",
                image.width,
                image.height,
                MAX_PIXELS / 1_000_000
            ));
            continue;
        }
        if let Some(filter) = image.unsupported_filter() {
            unreadable.get_or_insert(filter);
            continue;
        }
        if best.as_ref().is_none_or(|(p, _)| pixels > *p) {
            best = Some((pixels, image));
        }
    }
    match (best, unreadable) {
        (Some((_, image)), _) => image.decode(),
        (None, Some(filter)) => Err(format!(
            "the PDF's page is a {filter} picture, which cannot be decoded here. Save the page as a PNG or JPEG picture. Accepted: {ACCEPTED}"
        )),
        (None, None) => Err(format!(
            "the PDF holds no scanned picture of a page: it draws the ECG as vector graphics, as ECG machines export it. Save or screenshot the page as a PNG or JPEG picture, or export the signals (WFDB, SCP-ECG, DICOM, HL7 aECG, EDF or CSV). Accepted: {ACCEPTED}"
        )),
    }
}

/// A one-page PDF showing one picture over the whole page, as a scanner's "scan to PDF" writes
/// it. `entries` describe the picture's data, e.g. `/Filter /DCTDecode /ColorSpace /DeviceRGB
/// /BitsPerComponent 8` for a JPEG; the page measures the picture at `px_per_mm`.
pub fn scanned_page(
    width: usize,
    height: usize,
    px_per_mm: f64,
    entries: &str,
    data: &[u8],
) -> Vec<u8> {
    // PDF units are 1/72 inch.
    let points = |px: usize| px as f64 / px_per_mm / 25.4 * 72.0;
    let (page_w, page_h) = (points(width), points(height));
    let contents = format!("q {page_w:.2} 0 0 {page_h:.2} 0 0 cm /Scan Do Q");
    let objects: [Vec<u8>; 5] = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page_w:.2} {page_h:.2}] /Resources << /XObject << /Scan 4 0 R >> >> /Contents 5 0 R >>").into_bytes(),
        stream_object(
            &format!("/Type /XObject /Subtype /Image /Width {width} /Height {height} {entries}"),
            data,
        ),
        stream_object("", contents.as_bytes()),
    ];
    let mut pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(object);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

fn stream_object(entries: &str, data: &[u8]) -> Vec<u8> {
    let mut object = format!("<< {entries} /Length {} >>\nstream\n", data.len()).into_bytes();
    object.extend_from_slice(data);
    object.extend_from_slice(b"\nendstream");
    object
}

/// An image XObject's dictionary entries that matter here, and its stream's bytes.
struct Embedded<'a> {
    width: usize,
    height: usize,
    bits: usize,
    filter: String,
    predictor: usize,
    data: &'a [u8],
}

impl Embedded<'_> {
    /// What this cannot decode, in words; `None` when it can.
    fn unsupported_filter(&self) -> Option<String> {
        match self.filter.as_str() {
            "DCTDecode" => None,
            "FlateDecode" | "" if self.bits == 8 || self.bits == 1 => None,
            "FlateDecode" | "" => Some(format!("{}-bit", self.bits)),
            "CCITTFaxDecode" => Some("fax-compressed (CCITT)".into()),
            "JBIG2Decode" => Some("JBIG2".into()),
            "JPXDecode" => Some("JPEG 2000".into()),
            other => Some(other.to_string()),
        }
    }

    fn decode(self) -> Result<PdfPicture, String> {
        if self.filter == "DCTDecode" {
            // The dictionary's size is only a promise; the JPEG's own header is what a decoder
            // will allocate for.
            checked_size(self.data).map_err(|e| format!("the PDF's picture: {e}"))?;
            return Ok(PdfPicture::Jpeg(self.data.to_vec()));
        }
        let damaged =
            |why: &str| format!("the PDF's picture is damaged ({why}). Accepted: {ACCEPTED}");
        let raw;
        let bytes = if self.filter == "FlateDecode" {
            // A row of the largest layout (CMYK, with a predictor byte) bounds the output, so a
            // deflate bomb stops there.
            let limit = self.height * (self.width * 4 * self.bits).div_ceil(8) + self.height;
            raw = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(self.data, limit)
                .map_err(|_| damaged("its compressed data does not inflate"))?;
            raw.as_slice()
        } else {
            self.data
        };
        let predicted = self.predictor >= 10;
        let components = [1, 3, 4]
            .into_iter()
            .find(|c| {
                let row = (self.width * c * self.bits).div_ceil(8) + usize::from(predicted);
                bytes.len() == row * self.height
            })
            .ok_or_else(|| damaged("its size matches no gray, RGB or CMYK picture"))?;
        let row = (self.width * components * self.bits).div_ceil(8);
        let rows = if predicted {
            undo_png_predictors(bytes, row, (components * self.bits / 8).max(1))
                .ok_or_else(|| damaged("an unknown row predictor"))?
        } else {
            bytes.to_vec()
        };
        Ok(PdfPicture::Pixels(to_rgb(
            &rows,
            self.width,
            self.height,
            components,
            self.bits,
        )))
    }
}

/// Every image XObject in the file, in file order.
/// Each byte is looked at a bounded number of times, however the file repeats `stream`:
/// dictionaries are searched back only to the previous keyword, and the next `endstream` found
/// by searching is remembered for the streams before it.
fn images(pdf: &[u8]) -> impl Iterator<Item = Embedded<'_>> {
    let mut at = 0;
    // The next `endstream` at or after some position, once searched for (None: there is none).
    let mut next_end: Option<(usize, Option<usize>)> = None;
    std::iter::from_fn(move || loop {
        let previous = at;
        let keyword = find(pdf, b"stream", at)?;
        at = keyword + 6;
        // `endstream` also contains the keyword; a stream begins only after a dictionary.
        if keyword >= 3 && &pdf[keyword - 3..keyword] == b"end" {
            continue;
        }
        let Some(dict) = dictionary_before(pdf, keyword, previous) else {
            continue;
        };
        let mut start = keyword + 6;
        if pdf.get(start) == Some(&b'\r') {
            start += 1;
        }
        if pdf.get(start) == Some(&b'\n') {
            start += 1;
        }
        let entries = Entries(dict);
        let length = entries.integer("Length");
        let end = length
            .and_then(|n| start.checked_add(n))
            .filter(|&end| {
                end <= pdf.len() && {
                    let rest = &pdf[end..pdf.len().min(end + 12)];
                    let trimmed = rest
                        .iter()
                        .position(|b| !b.is_ascii_whitespace())
                        .unwrap_or(0);
                    rest[trimmed..].starts_with(b"endstream")
                }
            })
            .or_else(|| {
                let found = match next_end {
                    Some((from, found)) if from <= start && found.is_none_or(|e| e >= start) => {
                        found
                    }
                    _ => find(pdf, b"endstream", start),
                };
                next_end = Some((start, found));
                found.map(|e| trim_eol(pdf, start, e))
            })?;
        at = end;
        if entries.name("Subtype").as_deref() != Some("Image") {
            continue;
        }
        let (Some(width), Some(height)) = (entries.integer("Width"), entries.integer("Height"))
        else {
            continue;
        };
        return Some(Embedded {
            width,
            height,
            bits: entries.integer("BitsPerComponent").unwrap_or(8),
            filter: entries.filter(),
            predictor: entries.integer("Predictor").unwrap_or(1),
            data: &pdf[start..end],
        });
    })
}

/// The end of a stream's data found by searching: before the line break that precedes
/// `endstream`.
fn trim_eol(pdf: &[u8], start: usize, mut end: usize) -> usize {
    if end > start && pdf[end - 1] == b'\n' {
        end -= 1;
    }
    if end > start && pdf[end - 1] == b'\r' {
        end -= 1;
    }
    end
}

/// The `<< … >>` dictionary ending just before `keyword` (nested dictionaries included),
/// starting at or after `floor` (the end of the previous keyword).
fn dictionary_before(pdf: &[u8], keyword: usize, floor: usize) -> Option<&[u8]> {
    let mut end = keyword;
    while end > 0 && pdf[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    if end < 2 || &pdf[end - 2..end] != b">>" {
        return None;
    }
    let (mut depth, mut i) = (0usize, end);
    // Stream dictionaries are small; a runaway search means this was not one.
    let floor = end.saturating_sub(64 * 1024).max(floor);
    while i >= floor + 2 {
        match &pdf[i - 2..i] {
            b">>" => {
                depth += 1;
                i -= 2;
            }
            b"<<" => {
                depth -= 1;
                i -= 2;
                if depth == 0 {
                    return Some(&pdf[i..end]);
                }
            }
            _ => i -= 1,
        }
    }
    None
}

/// Looks up entries of a dictionary's text by key, at any nesting (so `/Predictor` is found
/// inside `/DecodeParms`).
struct Entries<'a>(&'a [u8]);

impl Entries<'_> {
    /// The token after `/key`, if the key is there.
    fn after(&self, key: &str) -> Option<&[u8]> {
        let mut needle = Vec::with_capacity(key.len() + 1);
        needle.push(b'/');
        needle.extend_from_slice(key.as_bytes());
        let mut from = 0;
        loop {
            let at = find(self.0, &needle, from)? + needle.len();
            from = at;
            // `/Length` must not match `/Length1`: the key ends at a delimiter.
            match self.0.get(at) {
                Some(b) if b.is_ascii_alphanumeric() => continue,
                _ => {}
            }
            let rest = &self.0[at..];
            let skip = rest.iter().position(|b| !b.is_ascii_whitespace())?;
            return Some(&rest[skip..]);
        }
    }

    /// A direct integer value (`/Length 12 0 R` is indirect: `None`).
    fn integer(&self, key: &str) -> Option<usize> {
        let rest = self.after(key)?;
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let value = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
        let tail = &rest[digits..];
        let indirect = tail
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map(|i| &tail[i..])
            .is_some_and(|t| {
                let n = t.iter().take_while(|b| b.is_ascii_digit()).count();
                n > 0 && t[n..].trim_ascii_start().starts_with(b"R")
            });
        (!indirect).then_some(value)
    }

    fn name(&self, key: &str) -> Option<String> {
        let rest = self.after(key)?.strip_prefix(b"/")?;
        let len = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        Some(String::from_utf8_lossy(&rest[..len]).into_owned())
    }

    /// The stream's filter: a name, or a one-element array; `""` without one. A chain of
    /// filters is reported by its first unsupported member.
    fn filter(&self) -> String {
        if let Some(name) = self.name("Filter") {
            return name;
        }
        let Some(array) = self.after("Filter").and_then(|r| r.strip_prefix(b"[")) else {
            return String::new();
        };
        let close = array.iter().position(|b| *b == b']').unwrap_or(array.len());
        let names: Vec<String> = array[..close]
            .split(|b| *b == b'/')
            .map(|n| String::from_utf8_lossy(n.trim_ascii()).into_owned())
            .filter(|n| !n.is_empty())
            .collect();
        match names.as_slice() {
            [one] => one.clone(),
            [] => String::new(),
            chain => format!("chained ({})", chain.join(", ")),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Undoes PNG row filters (`Predictor` 10–15): each row starts with its filter type.
fn undo_png_predictors(data: &[u8], row: usize, pixel_bytes: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; data.len() / (row + 1) * row];
    let mut previous = vec![0u8; row];
    for (src, dst) in data.chunks_exact(row + 1).zip(out.chunks_exact_mut(row)) {
        let (kind, line) = (src[0], &src[1..]);
        for i in 0..row {
            let left = if i >= pixel_bytes {
                dst[i - pixel_bytes]
            } else {
                0
            };
            let up = previous[i];
            let up_left = if i >= pixel_bytes {
                previous[i - pixel_bytes]
            } else {
                0
            };
            let predicted = match kind {
                0 => 0,
                1 => left,
                2 => up,
                3 => ((left as u16 + up as u16) / 2) as u8,
                4 => paeth(left, up, up_left),
                _ => return None,
            };
            dst[i] = line[i].wrapping_add(predicted);
        }
        previous.copy_from_slice(dst);
    }
    Some(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = a as i16 + b as i16 - c as i16;
    let (pa, pb, pc) = (
        (p - a as i16).abs(),
        (p - b as i16).abs(),
        (p - c as i16).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// Rows of gray (1 or 8 bits), RGB or CMYK samples to an RGB bitmap.
fn to_rgb(rows: &[u8], width: usize, height: usize, components: usize, bits: usize) -> Bitmap {
    let row = (width * components * bits).div_ceil(8);
    let mut rgb = Vec::with_capacity(width * height * 3);
    for line in rows.chunks_exact(row).take(height) {
        // Already RGB (most colour scans): rows are copied whole, not pixel by pixel.
        if components == 3 && bits == 8 {
            rgb.extend_from_slice(&line[..width * 3]);
            continue;
        }
        for x in 0..width {
            let sample = |c: usize| -> u8 {
                if bits == 8 {
                    line[x * components + c]
                } else {
                    // One bit per sample: 1 is white in DeviceGray.
                    let bit = x * components + c;
                    if line[bit / 8] >> (7 - bit % 8) & 1 == 1 {
                        255
                    } else {
                        0
                    }
                }
            };
            match components {
                1 => rgb.extend([sample(0); 3]),
                3 => rgb.extend([sample(0), sample(1), sample(2)]),
                _ => {
                    let k = 255 - sample(3) as u16;
                    rgb.extend((0..3).map(|c| ((255 - sample(c) as u16) * k / 255) as u8));
                }
            }
        }
    }
    Bitmap { width, height, rgb }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecgmatch_testkit::jpeg_header;

    fn gradient(width: usize, height: usize) -> Vec<u8> {
        (0..height)
            .flat_map(|y| (0..width).flat_map(move |x| [x as u8, y as u8, (x ^ y) as u8]))
            .collect()
    }

    #[test]
    fn a_deflated_rgb_picture_comes_back_pixel_for_pixel() {
        let rgb = gradient(300, 220);
        let deflated = miniz_oxide::deflate::compress_to_vec_zlib(&rgb, 6);
        let pdf = scanned_page(
            300,
            220,
            8.0,
            "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode",
            &deflated,
        );
        let PdfPicture::Pixels(bitmap) = largest_picture(&pdf).unwrap() else {
            panic!("expected pixels");
        };
        assert_eq!((bitmap.width, bitmap.height), (300, 220));
        assert_eq!(bitmap.rgb, rgb);
    }

    #[test]
    fn png_predictors_and_one_bit_gray_are_undone() {
        // 1-bit gray, 256 wide: 32 bytes a row, each row "Up"-filtered (type 2) against the last.
        let (width, height) = (256, 210);
        let rows: Vec<Vec<u8>> = (0..height)
            .map(|y| (0..32).map(|x| ((x * 7 + y) % 256) as u8).collect())
            .collect();
        let mut filtered = Vec::new();
        for (y, row) in rows.iter().enumerate() {
            filtered.push(2);
            for (x, v) in row.iter().enumerate() {
                let up = if y == 0 { 0 } else { rows[y - 1][x] };
                filtered.push(v.wrapping_sub(up));
            }
        }
        let deflated = miniz_oxide::deflate::compress_to_vec_zlib(&filtered, 6);
        let pdf = scanned_page(
            width,
            height,
            8.0,
            &format!("/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter [/FlateDecode] /DecodeParms << /Predictor 15 /Columns {width} /Colors 1 /BitsPerComponent 1 >>"),
            &deflated,
        );
        let PdfPicture::Pixels(bitmap) = largest_picture(&pdf).unwrap() else {
            panic!("expected pixels");
        };
        for (y, row) in rows.iter().enumerate() {
            for x in 0..width {
                let white = row[x / 8] >> (7 - x % 8) & 1 == 1;
                assert_eq!(bitmap.rgb[(y * width + x) * 3], if white { 255 } else { 0 });
            }
        }
    }

    #[test]
    fn the_largest_jpeg_is_returned_as_it_is_stored() {
        let small = jpeg_header(250, 250, b"small\xff\xd9");
        let large = jpeg_header(2000, 1400, b"with endstream-like bytes: endstrea\xff\xd9");
        let mut pdf = scanned_page(250, 250, 8.0, "/Filter /DCTDecode", &small);
        pdf.extend(scanned_page(2000, 1400, 8.0, "/Filter /DCTDecode", &large));
        assert_eq!(largest_picture(&pdf).unwrap(), PdfPicture::Jpeg(large));
    }

    #[test]
    fn the_fuzz_seeds_are_pdfs_whose_pictures_are_found() {
        let rgb = gradient(240, 210);
        let gray: Vec<u8> = (0..210 * 32).map(|i| (i * 7) as u8).collect();
        let mut predicted = Vec::new();
        for row in rgb.chunks(240 * 3) {
            predicted.push(1); // "Sub": each byte less the one a pixel before
            predicted.extend(
                row.iter()
                    .enumerate()
                    .map(|(i, v)| v.wrapping_sub(if i >= 3 { row[i - 3] } else { 0 })),
            );
        }
        let seeds = [
            (
                "jpeg.pdf",
                scanned_page(
                    640,
                    480,
                    8.0,
                    "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode",
                    &jpeg_header(640, 480, b"\xff\xd9"),
                ),
            ),
            (
                "flate-rgb.pdf",
                scanned_page(
                    240,
                    210,
                    8.0,
                    "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode",
                    &miniz_oxide::deflate::compress_to_vec_zlib(&rgb, 6),
                ),
            ),
            (
                "flate-predicted.pdf",
                scanned_page(
                    240,
                    210,
                    8.0,
                    "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter [/FlateDecode] /DecodeParms << /Predictor 11 /Colors 3 /Columns 240 >>",
                    &miniz_oxide::deflate::compress_to_vec_zlib(&predicted, 6),
                ),
            ),
            (
                "gray-1bit.pdf",
                scanned_page(
                    256,
                    210,
                    8.0,
                    "/ColorSpace /DeviceGray /BitsPerComponent 1",
                    &gray,
                ),
            ),
        ];
        for (name, made) in seeds {
            let seed = ecgmatch_testkit::fuzz_seed("pdf", name, &made);
            assert!(largest_picture(&seed).is_ok(), "{name}");
        }
    }

    #[test]
    fn a_jpeg_larger_than_its_pdf_declares_is_refused_before_decoding() {
        // The dictionary promises 2000 × 1400; the JPEG's own header asks for 3 gigapixels.
        let bomb = jpeg_header(60_000, 50_000, b"\xff\xd9");
        let pdf = scanned_page(2000, 1400, 8.0, "/Filter /DCTDecode", &bomb);
        let e = largest_picture(&pdf).unwrap_err();
        assert!(e.contains("60000 × 50000 pixels"), "{e}");
    }

    #[test]
    fn an_indirect_length_is_found_by_the_end_marker() {
        let rgb = gradient(200, 200);
        let deflated = miniz_oxide::deflate::compress_to_vec_zlib(&rgb, 1);
        let pdf = scanned_page(200, 200, 8.0, "/Filter /FlateDecode", &deflated);
        let direct = format!("/Length {} ", deflated.len());
        let at = find(&pdf, direct.as_bytes(), 0).unwrap();
        let mut bytes = pdf[..at].to_vec();
        bytes.extend_from_slice(b"/Length 9 0 R ");
        bytes.extend_from_slice(&pdf[at + direct.len()..]);
        let PdfPicture::Pixels(bitmap) = largest_picture(&bytes).unwrap() else {
            panic!("expected pixels");
        };
        assert_eq!(bitmap.rgb, rgb);
    }

    #[test]
    fn pdfs_without_a_readable_picture_say_what_is_accepted() {
        let vector = scanned_page(10, 10, 8.0, "", &[0; 300]);
        let err = largest_picture(&vector).unwrap_err();
        assert!(
            err.contains("vector graphics") && err.contains("PNG or JPEG"),
            "{err}"
        );
        let fax = scanned_page(
            2500,
            1700,
            8.0,
            "/BitsPerComponent 1 /Filter /CCITTFaxDecode",
            &[0; 64],
        );
        let err = largest_picture(&fax).unwrap_err();
        assert!(err.contains("CCITT"), "{err}");
        let huge = scanned_page(20_000, 9_000, 8.0, "/Filter /DCTDecode", &[0xff; 64]);
        let err = largest_picture(&huge).unwrap_err();
        assert!(
            err.contains("20000 × 9000 pixel") && err.contains("50 megapixels"),
            "{err}"
        );
        let err = largest_picture(b"GIF89a").unwrap_err();
        assert!(err.contains("not a PDF"), "{err}");
        let mut bomb = scanned_page(
            300,
            300,
            8.0,
            "/Filter /FlateDecode",
            &miniz_oxide::deflate::compress_to_vec_zlib(&vec![0u8; 20_000_000], 6),
        );
        let err = largest_picture(&bomb).unwrap_err();
        assert!(err.contains("damaged"), "{err}");
        bomb.truncate(bomb.len() / 2);
        assert!(largest_picture(&bomb).is_err());
    }

    #[test]
    fn a_pdf_of_repeated_stream_keywords_is_scanned_in_linear_time() {
        // 1 MB of `>> stream`, a dictionary's end before every keyword and no start: each
        // keyword once searched 64 KB back for the `<<` that would open its dictionary.
        let mut pdf = b"%PDF-1.4\n".to_vec();
        while pdf.len() < 1_000_000 {
            pdf.extend_from_slice(b">> stream ");
        }
        let started = std::time::Instant::now();
        assert!(largest_picture(&pdf).is_err());
        let seconds = started.elapsed().as_secs_f64();
        assert!(seconds < 2.0, "{seconds:.1} s");
    }

    proptest::proptest! {
        #[test]
        fn damaged_pdfs_are_refused_or_read_never_panic(
            jpeg in proptest::bool::ANY,
            cut in 0usize..200_000,
            flips in proptest::collection::vec((0usize..200_000, proptest::num::u8::ANY), 0..24),
        ) {
            let mut pdf = if jpeg {
                scanned_page(400, 300, 8.0, "/Filter /DCTDecode", &[0xff; 2000])
            } else {
                let rgb = gradient(300, 220);
                scanned_page(
                    300,
                    220,
                    8.0,
                    "/BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 12 >>",
                    &miniz_oxide::deflate::compress_to_vec_zlib(&rgb, 1),
                )
            };
            for (at, value) in flips {
                let n = pdf.len();
                pdf[at % n] = value;
            }
            pdf.truncate(cut.max(5));
            let _ = largest_picture(&pdf);
        }
    }
}
