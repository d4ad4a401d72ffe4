//! `ecgmatch`: the engine's command line — read, encode and benchmark ECG records.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    // Rust ignores SIGPIPE, so printing into a pipe its reader closed (`ecgmatch search … |
    // head`) panics; with the default action the program ends quietly like any Unix tool.
    #[cfg(unix)]
    // SAFETY: called first thing, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(cli::run());
}

#[cfg(target_arch = "wasm32")]
fn main() {}
