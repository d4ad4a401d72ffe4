mod disclaimer;
mod drop_zone;
mod ecg_sheet;
mod encodings_view;
mod grey_canvas;
mod notices;
mod record_tabs;

pub use disclaimer::Disclaimer;
pub use drop_zone::DropZone;
pub use ecg_sheet::EcgSheet;
pub use encodings_view::EncodingsView;
pub use notices::Notices;
pub use record_tabs::RecordTabs;
