//! The process's allocator: the C library's, wrapped in
//! [`almanac_api::heap::Counting`] so `/metrics` can tell the bytes in use
//! (`almanac_heap_live_bytes`) from the bytes held. SQLite allocates through
//! it too (`almanac_store::db::sqlite_alloc`), except its page buffers, which
//! come from a pool of their own.
//!
//! It was mimalloc until the soak measured both: at 1,000,000 results, with
//! SQLite's page buffers in their pool, mimalloc held 50 to 56 MiB for a
//! live heap of 7 MiB and grew, while glibc's arenas held about 17 MiB,
//! flat, and the mixed load peaked higher (2,010 against 1,932 operations/s).

use almanac_api::heap::{self, Counting};
use std::alloc::System;
use std::sync::Once;
use std::time::Duration;

#[global_allocator]
static GLOBAL: Counting<System> = Counting(System);

/// How often a long-running process gives its arenas' free pages back.
const RELEASE_EVERY: Duration = Duration::from_secs(60);

/// Sets the allocator up for a process that runs until stopped (`serve`,
/// `listen`, `demo`); call it before the store starts its threads. glibc's
/// arenas are capped at one per core (it would make up to eight per core,
/// one more whenever a thread finds the others busy, each keeping what was
/// freed in it), and a thread, `almanac-release`, gives the arenas' free
/// pages back every minute: glibc returns only the free memory at the top
/// of an arena, and a page freed between live blocks otherwise stays
/// resident. The soak measured both (see docs/production.md#memory).
pub fn for_a_long_run() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        heap::limit_arenas(std::thread::available_parallelism().map_or(2, |n| n.get()));
        let spawned = std::thread::Builder::new()
            .name("almanac-release".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(RELEASE_EVERY);
                    heap::release_free_pages();
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot start the thread that releases free memory: {e}");
        }
    });
}
