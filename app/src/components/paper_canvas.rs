//! Drawing on millimetre paper, shared by the record's sheet and Compare: the grid as ECG paper
//! prints it, and traces laid out in millimetres by the engine (`ecgmatch::paper::sheet`).

use ecgmatch::paper::sheet::Trace;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Canvas pixels per millimetre of paper.
pub const PX_PER_MM: f64 = 4.0;

pub fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

/// The paper: minor lines every millimetre, major every 5 mm.
pub fn draw_grid(ctx: &CanvasRenderingContext2d, width_mm: f64, height_mm: f64) {
    let (w, h) = (width_mm * PX_PER_MM, height_mm * PX_PER_MM);
    ctx.set_fill_style_str("#fffafa");
    ctx.fill_rect(0.0, 0.0, w, h);
    for (step_mm, colour, width) in [(1.0, "#f6cfcf", 0.5), (5.0, "#e89a9a", 1.0)] {
        ctx.set_stroke_style_str(colour);
        ctx.set_line_width(width);
        ctx.begin_path();
        let mut x = 0.0;
        while x <= width_mm + 1e-9 {
            ctx.move_to(x * PX_PER_MM, 0.0);
            ctx.line_to(x * PX_PER_MM, h);
            x += step_mm;
        }
        let mut y = 0.0;
        while y <= height_mm + 1e-9 {
            ctx.move_to(0.0, y * PX_PER_MM);
            ctx.line_to(w, y * PX_PER_MM);
            y += step_mm;
        }
        ctx.stroke();
    }
}

/// Traces in `colour`, each with its lead's label when `labels` is set.
pub fn draw_traces(ctx: &CanvasRenderingContext2d, traces: &[Trace], colour: &str, labels: bool) {
    ctx.set_stroke_style_str(colour);
    ctx.set_fill_style_str(colour);
    ctx.set_line_width(1.2);
    ctx.set_font("bold 14px sans-serif");
    for trace in traces {
        if labels {
            let _ = ctx.fill_text(
                trace.lead.label(),
                trace.label_mm.0 * PX_PER_MM,
                trace.label_mm.1 * PX_PER_MM,
            );
        }
        ctx.begin_path();
        for (i, (x, y)) in trace.points_mm.iter().enumerate() {
            if i == 0 {
                ctx.move_to(x * PX_PER_MM, y * PX_PER_MM);
            } else {
                ctx.line_to(x * PX_PER_MM, y * PX_PER_MM);
            }
        }
        ctx.stroke();
    }
}
