//! How much the command line prints besides its output: `--quiet` (errors only, the exit code
//! says the rest), the default, or `--verbose` (also the files read and each stage's wall time,
//! on standard error). Set once, when the arguments are parsed; read where messages are printed.

use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Level {
    Quiet = 0,
    Normal = 1,
    Verbose = 2,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Normal as u8);

pub fn set(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

fn level() -> u8 {
    LEVEL.load(Ordering::Relaxed)
}

/// `--quiet`: no output and no warning; errors only.
pub fn quiet() -> bool {
    level() == Level::Quiet as u8
}

/// `--verbose`: files read and stage times on standard error.
pub fn verbose() -> bool {
    level() == Level::Verbose as u8
}

/// A `--verbose` line on standard error, repository text made visible.
pub fn detail(line: &str) {
    if verbose() {
        eprintln!("envparity: {}", crate::escape::control(line));
    }
}
