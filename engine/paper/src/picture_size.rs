//! A picture's size, read from its header before anything decodes it: a file of a few kB can
//! declare billions of pixels, which a decoder (the browser's included) would try to allocate.

/// Longer side of the picture handed to the digitizer (larger pictures are shrunk to it first,
/// in the page and the CLI alike). A printout filling the frame then has about 8 px per mm,
/// enough for its 1 mm grid; a 12-megapixel photo would only cost time.
pub const MAX_SIDE: usize = 2400;

/// The size a `width` × `height` picture is shrunk to for the digitizer: at most [`MAX_SIDE`]
/// on its longer side, the aspect kept, never enlarged.
pub fn shrunk(width: usize, height: usize) -> (usize, usize) {
    let scale = (MAX_SIDE as f64 / width.max(height).max(1) as f64).min(1.0);
    (
        ((width as f64 * scale).round() as usize).max(1),
        ((height as f64 * scale).round() as usize).max(1),
    )
}

/// Largest picture accepted, in pixels (a 50-megapixel camera's photo); more would only exhaust
/// a phone's memory.
pub const MAX_PIXELS: usize = 50_000_000;

/// Width and height as the picture's header declares them, or what is wrong and what is
/// accepted. Reads only the header: nothing is decoded.
pub fn checked_size(bytes: &[u8]) -> Result<(usize, usize), String> {
    let size = imagesize::blob_size(bytes).map_err(|_| {
        "its size cannot be read from its header: the picture is damaged, or not a PNG, JPEG, BMP, GIF or WebP picture".to_string()
    })?;
    check_pixels(size.width, size.height)?;
    Ok((size.width, size.height))
}

/// Refuses an empty picture or one over [`MAX_PIXELS`].
pub fn check_pixels(width: usize, height: usize) -> Result<(), String> {
    if width == 0 || height == 0 {
        return Err(format!(
            "the picture has {width} × {height} pixels: it is empty"
        ));
    }
    if width.saturating_mul(height) > MAX_PIXELS {
        return Err(format!(
            "the picture has {width} × {height} pixels; up to {} megapixels are accepted",
            MAX_PIXELS / 1_000_000
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecgmatch_testkit::{jpeg_header, png_header};

    #[test]
    fn a_header_declaring_a_huge_picture_is_refused_without_decoding() {
        // 60 bytes that would ask a decoder for 4 × 10⁹ pixels.
        let e = checked_size(&png_header(65_535, 65_535)).unwrap_err();
        assert!(
            e.contains("65535 × 65535 pixels") && e.contains("50 megapixels"),
            "{e}"
        );
        assert_eq!(checked_size(&png_header(1920, 1080)), Ok((1920, 1080)));
    }

    #[test]
    fn a_jpeg_declaring_a_huge_frame_is_refused() {
        let e = checked_size(&jpeg_header(60_000, 50_000, &[])).unwrap_err();
        assert!(e.contains("60000 × 50000"), "{e}");
        assert_eq!(
            checked_size(&jpeg_header(4000, 3000, &[])),
            Ok((4000, 3000))
        );
    }

    #[test]
    fn large_pictures_shrink_to_the_digitizers_side_and_small_ones_stay() {
        assert_eq!(shrunk(7000, 7000), (2400, 2400));
        assert_eq!(shrunk(4000, 3000), (2400, 1800));
        assert_eq!(shrunk(1920, 1080), (1920, 1080));
    }

    #[test]
    fn what_is_not_a_picture_says_what_is_accepted() {
        let e = checked_size(b"0.1,0.2,0.3\n").unwrap_err();
        assert!(e.contains("PNG, JPEG"), "{e}");
        assert!(check_pixels(0, 10).is_err());
    }
}
