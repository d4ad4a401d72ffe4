use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlVideoElement, MediaStream, MediaStreamConstraints};
use yew::prelude::*;

use crate::picture::{self, Picture};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub on_capture: Callback<Picture>,
}

/// The rear camera, in high resolution where the phone allows it.
fn constraints() -> MediaStreamConstraints {
    let video = js_sys::Object::new();
    let set = |o: &js_sys::Object, k: &str, v: &wasm_bindgen::JsValue| {
        let _ = js_sys::Reflect::set(o, &k.into(), v);
    };
    set(&video, "facingMode", &"environment".into());
    let width = js_sys::Object::new();
    set(&width, "ideal", &1920.into());
    set(&video, "width", &width);
    let c = MediaStreamConstraints::new();
    c.set_video(&video);
    c.set_audio(&false.into());
    c
}

async fn open_camera() -> Result<MediaStream, String> {
    let devices = web_sys::window()
        .ok_or("no window")?
        .navigator()
        .media_devices()
        .map_err(|_| "this browser gives the page no camera".to_string())?;
    let promise = devices
        .get_user_media_with_constraints(&constraints())
        .map_err(|_| "this browser gives the page no camera".to_string())?;
    let stream = JsFuture::from(promise).await.map_err(|e| {
        let name = js_sys::Reflect::get(&e, &"name".into())
            .ok()
            .and_then(|n| n.as_string())
            .unwrap_or_default();
        match name.as_str() {
            "NotAllowedError" => "the camera was not allowed".to_string(),
            "NotFoundError" => "no camera was found".to_string(),
            other => format!("the camera could not be started ({other})"),
        }
    })?;
    stream
        .dyn_into()
        .map_err(|_| "the camera gave no video".to_string())
}

fn stop(stream: &RefCell<Option<MediaStream>>) {
    if let Some(stream) = stream.borrow_mut().take() {
        for track in stream.get_tracks() {
            if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                track.stop();
            }
        }
    }
}

/// Photographing a printout: the live rear-camera preview with a frame guide and a shutter,
/// or a photo chosen (or taken with the phone's own camera app) through the file picker. The
/// picture stays in this page.
#[function_component(CameraCapture)]
pub fn camera_capture(props: &Props) -> Html {
    let video = use_node_ref();
    let stream: Rc<RefCell<Option<MediaStream>>> = use_mut_ref(|| None);
    let open = use_state(|| false);
    let error = use_state(|| None::<String>);
    {
        // Leaving the page section must free the camera.
        let stream = stream.clone();
        use_effect_with((), move |_| move || stop(&stream));
    }
    {
        let (video, stream) = (video.clone(), stream.clone());
        use_effect_with(*open, move |open| {
            if let (true, Some(video), Some(s)) = (
                *open,
                video.cast::<HtmlVideoElement>(),
                stream.borrow().as_ref(),
            ) {
                video.set_src_object(Some(s));
                let _ = video.play();
            }
        });
    }
    let on_open = {
        let (stream, open, error) = (stream.clone(), open.clone(), error.clone());
        Callback::from(move |_| {
            let (stream, open, error) = (stream.clone(), open.clone(), error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match open_camera().await {
                    Ok(s) => {
                        *stream.borrow_mut() = Some(s);
                        error.set(None);
                        open.set(true);
                    }
                    Err(e) => error.set(Some(format!(
                        "{e}. Choose a photo of the printout with the picker instead."
                    ))),
                }
            });
        })
    };
    let on_close = {
        let (stream, open) = (stream.clone(), open.clone());
        Callback::from(move |_| {
            stop(&stream);
            open.set(false);
        })
    };
    let on_shutter = {
        let (video, stream, open, error, on_capture) = (
            video.clone(),
            stream.clone(),
            open.clone(),
            error.clone(),
            props.on_capture.clone(),
        );
        Callback::from(move |_| {
            let Some(element) = video.cast::<HtmlVideoElement>() else {
                return;
            };
            match picture::capture(&element) {
                Ok(p) => {
                    stop(&stream);
                    open.set(false);
                    on_capture.emit(p);
                }
                Err(e) => error.set(Some(e)),
            }
        })
    };
    let on_photo = {
        let (on_capture, error) = (props.on_capture.clone(), error.clone());
        Callback::from(move |e: Event| {
            let Some(file) = crate::files::take_chosen(&e).and_then(|f| f.item(0)) else {
                return;
            };
            let (on_capture, error) = (on_capture.clone(), error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match picture::decode(&file).await {
                    Ok(p) => on_capture.emit(p),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    html! {
        <section class="camera" id="camera">
            if *open {
                <div class="viewfinder">
                    <video ref={video} id="camera-video" autoplay=true playsinline=true muted=true />
                    <div class="frame-guide" aria-hidden="true"></div>
                </div>
                <p class="hint">{ "Fit the whole printout inside the frame, flat and evenly lit, then take the picture." }</p>
                <button id="camera-shutter" class="shutter" onclick={on_shutter}>{ "Take picture" }</button>
                <button id="camera-close" onclick={on_close}>{ "Cancel" }</button>
            } else {
                <button id="camera-open" onclick={on_open}>{ "Photograph a paper ECG" }</button>
                <label class="picker">
                    { "or choose a photo or scan" }
                    <input type="file" id="photo-input" accept="image/*,application/pdf" capture="environment" onchange={on_photo} />
                </label>
            }
            if let Some(e) = &*error { <p class="notice" role="alert" id="camera-error">{ e }</p> }
        </section>
    }
}
