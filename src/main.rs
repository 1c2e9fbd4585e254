// envparity allocates many small values (keys, settings, rows) from several threads: mimalloc
// does that in fewer instructions than the system allocator (bench/analysis.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` of mimalloc.h (v3), which libmimalloc-sys does not name: how many
/// milliseconds freed memory is kept before it is given back to the system (1,000 by default).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // A run lasts about a second and frees each stage's data before the next: kept for
    // mimalloc's default second, that memory stacks up into the peak; given back at once, it
    // is faulted in again page by page (a second of system time on 10,000 Compose services).
    // 50 ms keeps the peak of the first and the system time of the default.
    // SAFETY: setting an option is safe at any time; it only changes when memory is purged.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 50) };
    std::process::exit(envparity::cli::main());
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // Its default (1,000 ms, options.c): a renumbered option in a new mimalloc fails here
        // rather than changing another setting.
        // SAFETY: reading an option is safe at any time.
        assert_eq!(
            unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) },
            1000
        );
    }
}
