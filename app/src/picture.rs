//! Pictures of paper ECGs: decoded by the browser (no image codec in the wasm), shrunk to a
//! size the digitizer reads quickly, and kept on the device as a `blob:` or `data:` URL for
//! drawing the traces over. A scanned PDF gives up its page's picture first
//! ([`ecgmatch::paper::pdf`]).

use std::rc::Rc;

use ecgmatch::paper::pdf::{largest_picture, PdfPicture};
use ecgmatch::paper::picture_size::checked_size;
use ecgmatch::paper::Bitmap;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement, ImageBitmap};

/// Largest picture file read: a phone photo is a few MB; far larger would only exhaust a
/// phone's memory while the browser decodes it.
pub const MAX_PICTURE_BYTES: f64 = 40e6;

const PICTURE_EXTENSIONS: [&str; 6] = ["png", "jpg", "jpeg", "bmp", "gif", "webp"];

/// A decoded picture and a local URL to show it with.
pub struct Picture {
    pub bitmap: Bitmap,
    pub url: Rc<LocalUrl>,
}

/// A picture's URL inside this page. A `blob:` URL keeps the file in the browser's memory until
/// it is revoked, so it is revoked when the last record showing the picture is gone (a re-read
/// shares it with the reading it replaces).
#[derive(Debug, PartialEq)]
pub struct LocalUrl(String);

impl LocalUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Drop for LocalUrl {
    fn drop(&mut self) {
        if self.0.starts_with("blob:") {
            let _ = web_sys::Url::revoke_object_url(&self.0);
        }
    }
}

fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether the file is a photo, scan or scanned PDF to digitize rather than a signal file.
pub fn is_picture(file: &web_sys::File) -> bool {
    file.type_().starts_with("image/")
        || is_pdf(file)
        || PICTURE_EXTENSIONS.contains(&extension(&file.name()).as_str())
}

fn is_pdf(file: &web_sys::File) -> bool {
    file.type_() == "application/pdf" || extension(&file.name()) == "pdf"
}

/// Decodes a dropped or chosen picture, or the page inside a scanned PDF, with the browser's
/// own decoder, once its header says it is of a size that can be decoded.
pub async fn decode(file: &web_sys::File) -> Result<Picture, String> {
    let name = file.name();
    if file.size() > MAX_PICTURE_BYTES {
        return Err(format!(
            "{name}: too large a picture ({:.0} MB). Pictures up to {:.0} MB are accepted; a phone photo or a 300 dpi scan of the printout is enough",
            file.size() / 1e6,
            MAX_PICTURE_BYTES / 1e6
        ));
    }
    let bytes = read(&name, file).await?;
    if is_pdf(file) {
        return from_pdf(&name, &bytes).await;
    }
    // The header's size is checked before the browser decodes: a few kB of PNG can ask it for
    // gigapixels, and a failed allocation there takes the whole page down.
    checked_size(&bytes).map_err(|e| format!("{name}: {e}"))?;
    decode_blob(&name, file).await
}

async fn read(name: &str, file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| format!("{name}: the file could not be read"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The largest picture in a scanned PDF: a JPEG goes to the browser's decoder, deflated pixels
/// are already decoded.
async fn from_pdf(name: &str, bytes: &[u8]) -> Result<Picture, String> {
    match largest_picture(bytes).map_err(|e| format!("{name}: {e}"))? {
        PdfPicture::Jpeg(jpeg) => {
            let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(jpeg.as_slice()));
            let options = web_sys::BlobPropertyBag::new();
            options.set_type("image/jpeg");
            let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options)
                .map_err(|_| format!("{name}: the PDF's picture could not be kept"))?;
            decode_blob(name, &blob).await
        }
        PdfPicture::Pixels(bitmap) => from_pixels(name, &bitmap),
    }
}

/// Pixels decoded here, shrunk like any picture.
fn from_pixels(name: &str, bitmap: &Bitmap) -> Result<Picture, String> {
    let (w, h) = (bitmap.width as u32, bitmap.height as u32);
    let rgba: Vec<u8> = bitmap
        .rgb
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    let data =
        web_sys::ImageData::new_with_u8_clamped_array_and_sh(wasm_bindgen::Clamped(&rgba), w, h)
            .map_err(|_| format!("{name}: the PDF's picture could not be drawn"))?;
    let full = canvas(w, h)?;
    context(&full)?
        .put_image_data(&data, 0.0, 0.0)
        .map_err(|_| format!("{name}: the PDF's picture could not be drawn"))?;
    let (sw, sh) = shrunk(w, h);
    kept_drawing(
        sw,
        sh,
        |ctx| {
            ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
                &full, 0.0, 0.0, sw as f64, sh as f64,
            )
            .map_err(|_| format!("{name}: the PDF's picture could not be drawn"))
        },
        &format!("{name}: the PDF's picture could not be kept"),
    )
}

async fn decode_blob(name: &str, blob: &Blob) -> Result<Picture, String> {
    let not_decoded = || {
        format!("{name}: the browser could not decode this picture. Accepted pictures: PNG, JPEG, BMP, GIF or WebP photos or scans of a printed 12-lead ECG, or a PDF of a scanned page")
    };
    let window = web_sys::window().ok_or("no window")?;
    let promise = window
        .create_image_bitmap_with_blob(blob)
        .map_err(|_| not_decoded())?;
    let image: ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(|_| not_decoded())?
        .dyn_into()
        .map_err(|_| not_decoded())?;
    let (w, h) = shrunk(image.width(), image.height());
    let bitmap = draw(w, h, |ctx| {
        ctx.draw_image_with_image_bitmap_and_dw_and_dh(&image, 0.0, 0.0, w as f64, h as f64)
    })
    .map_err(|e| format!("{name}: {e}"))?;
    image.close();
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(|_| not_decoded())?;
    Ok(Picture {
        bitmap,
        url: Rc::new(LocalUrl(url)),
    })
}

/// The video's current frame, as the camera shows it.
pub fn capture(video: &HtmlVideoElement) -> Result<Picture, String> {
    let (vw, vh) = (video.video_width(), video.video_height());
    if vw == 0 || vh == 0 {
        return Err(
            "the camera has not delivered a picture yet; wait a moment and try again".into(),
        );
    }
    let (w, h) = shrunk(vw, vh);
    kept_drawing(
        w,
        h,
        |ctx| {
            ctx.draw_image_with_html_video_element_and_dw_and_dh(
                video, 0.0, 0.0, w as f64, h as f64,
            )
            .map_err(|_| "the camera's picture could not be taken".to_string())
        },
        "the camera's picture could not be kept",
    )
}

/// What `paint` draws at `w`×`h`, read back for the digitizer and kept as a JPEG `data:` URL
/// to show (there is no file behind it to point a `blob:` URL at).
fn kept_drawing(
    w: u32,
    h: u32,
    paint: impl FnOnce(&CanvasRenderingContext2d) -> Result<(), String>,
    not_kept: &str,
) -> Result<Picture, String> {
    let canvas = canvas(w, h)?;
    let ctx = context(&canvas)?;
    paint(&ctx)?;
    let bitmap = pixels(&ctx, w, h)?;
    let url = canvas
        .to_data_url_with_type("image/jpeg")
        .map_err(|_| not_kept.to_string())?;
    Ok(Picture {
        bitmap,
        url: Rc::new(LocalUrl(url)),
    })
}

fn shrunk(w: u32, h: u32) -> (u32, u32) {
    let (w, h) = ecgmatch::paper::picture_size::shrunk(w as usize, h as usize);
    (w as u32, h as u32)
}

fn draw(
    w: u32,
    h: u32,
    paint: impl FnOnce(&CanvasRenderingContext2d) -> Result<(), wasm_bindgen::JsValue>,
) -> Result<Bitmap, String> {
    let canvas = canvas(w, h)?;
    let ctx = context(&canvas)?;
    paint(&ctx).map_err(|_| "the picture could not be drawn".to_string())?;
    pixels(&ctx, w, h)
}

fn canvas(w: u32, h: u32) -> Result<HtmlCanvasElement, String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let canvas: HtmlCanvasElement = document
        .create_element("canvas")
        .map_err(|_| "no canvas")?
        .dyn_into()
        .map_err(|_| "no canvas")?;
    canvas.set_width(w);
    canvas.set_height(h);
    Ok(canvas)
}

fn context(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, String> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
        .ok_or_else(|| "this browser gives no 2D canvas to read the picture with".to_string())
}

fn pixels(ctx: &CanvasRenderingContext2d, w: u32, h: u32) -> Result<Bitmap, String> {
    let data = ctx
        .get_image_data(0.0, 0.0, w as f64, h as f64)
        .map_err(|_| "the picture's pixels could not be read".to_string())?;
    Bitmap::from_rgba(w as usize, h as usize, &data.data())
        .ok_or_else(|| "the picture's pixels could not be read".to_string())
}

/// Lets the browser paint (a busy note) before the thread is held by a long computation.
pub async fn yield_to_page() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 30);
        }
    });
    let _ = JsFuture::from(promise).await;
}
