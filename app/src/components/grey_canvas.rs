use std::rc::Rc;

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// RGBA pixels, row-major.
    pub rgba: Rc<Vec<u8>>,
    pub size: u32,
    pub title: AttrValue,
    pub lead: AttrValue,
    pub encoding: AttrValue,
}

/// Shows an encoded image pixel for pixel (the page scales it with CSS).
#[function_component(GreyCanvas)]
pub fn grey_canvas(props: &Props) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        let (rgba, size) = (props.rgba.clone(), props.size);
        use_effect_with((rgba, size), move |(rgba, size)| {
            if let Some(canvas) = canvas.cast::<HtmlCanvasElement>() {
                if let Some(ctx) = canvas
                    .get_context("2d")
                    .ok()
                    .flatten()
                    .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
                {
                    if let Ok(image) = ImageData::new_with_u8_clamped_array_and_sh(
                        Clamped(rgba.as_slice()),
                        *size,
                        *size,
                    ) {
                        let _ = ctx.put_image_data(&image, 0.0, 0.0);
                    }
                }
            }
        });
    }
    html! {
        <canvas ref={canvas} class="encoding" width={props.size.to_string()} height={props.size.to_string()}
            title={props.title.clone()} role="img" aria-label={format!("{} image encoding of lead {}", props.encoding, props.lead)}
            data-lead={props.lead.clone()} data-encoding={props.encoding.clone()} />
    }
}
