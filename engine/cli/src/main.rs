//! `ecgmatch`: the engine's command line: read, convert, encode, search, digitize, train,
//! evaluate and bundle ECG records. Each subcommand is a thin layer over the engine's crates
//! (through the `ecgmatch` crate), in its own module under `commands/`.

mod commands;

fn main() {
    // Rust ignores SIGPIPE, so printing into a pipe its reader closed (`ecgmatch search … |
    // head`) panics; with the default action the program ends quietly like any Unix tool.
    #[cfg(unix)]
    // SAFETY: called first thing, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(commands::run());
}
