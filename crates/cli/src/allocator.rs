//! The process's allocator: the C library's, wrapped in
//! [`almanac_api::heap::Counting`] so `/metrics` can tell the bytes in use
//! (`almanac_heap_live_bytes`) from the bytes held. SQLite allocates through
//! it too (`almanac_store::db::sqlite_alloc`), except its page buffers, which
//! come from a pool of their own.
//!
//! It was mimalloc until the soak measured both: at 1,000,000 results, with
//! SQLite's page buffers in their pool, mimalloc held 50 to 56 MiB for a
//! live heap of 7 MiB and grew, while glibc's arenas held about 17 MiB, flat,
//! and the mixed load peaked higher (2,010 against 1,932 operations/s).

use almanac_api::heap::Counting;
use std::alloc::System;

#[global_allocator]
static GLOBAL: Counting<System> = Counting(System);
