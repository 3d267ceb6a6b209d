//! SQLite allocates through Rust's global allocator (in the `almanac`
//! binary, the C library's, counted) rather than calling `malloc` itself, so
//! the process's heap is one account, counted in one place; and, in the
//! processes that run until stopped (`StoreOptions::sqlite_page_pool`), its
//! page buffers come from one pool set aside at start ([`install`]), not
//! from the heap.
//!
//! The pool is there because the heap could not hold page buffers without
//! growing. SQLite frees and allocates them all the time: a reader drops its
//! whole cache whenever another connection has written, and every sort or
//! `DISTINCT` builds a temporary b-tree in memory. Under the soak, glibc's
//! arenas, holding SQLite's memory, grew by 35 MiB in 20 minutes while the
//! page caches held steady, and mimalloc grew about as fast; with either, the
//! bytes in use were flat. A pool of fixed slots, handed out and taken back
//! on a free list, cannot fragment: its resident part is at most the most
//! slots ever in use at once.
//!
//! Each heap block carries its size in a 16-byte header (SQLite asks for a
//! block's size, Rust's allocator must be told it when freeing), which also
//! keeps the 8-byte alignment SQLite needs.

use rusqlite::ffi;
use std::alloc::{GlobalAlloc, Layout, System, alloc, dealloc, realloc};
use std::ffi::{c_int, c_void};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const HEADER: usize = 16;

fn layout(total: usize) -> Option<Layout> {
    Layout::from_size_align(total, HEADER).ok()
}

/// The block's start and total size, from the pointer SQLite holds.
///
/// # Safety
/// `p` came from [`x_malloc`] or [`x_realloc`] and was not freed.
unsafe fn block(p: *mut c_void) -> (*mut u8, usize) {
    // SAFETY: the header is just before `p`, inside the same allocation.
    unsafe {
        let base = p.cast::<u8>().sub(HEADER);
        (base, base.cast::<usize>().read())
    }
}

/// # Safety
/// Called by SQLite only.
unsafe extern "C" fn x_malloc(n: c_int) -> *mut c_void {
    let Some(layout) = usize::try_from(n).ok().and_then(|n| layout(n + HEADER)) else {
        return std::ptr::null_mut();
    };
    // SAFETY: the layout is non-zero sized; the header is written inside it.
    unsafe {
        let base = alloc(layout);
        if base.is_null() {
            return std::ptr::null_mut();
        }
        base.cast::<usize>().write(layout.size());
        base.add(HEADER).cast()
    }
}

/// # Safety
/// Called by SQLite only, with a block of [`x_malloc`] or [`x_realloc`].
unsafe extern "C" fn x_free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    // SAFETY: `p` is a live block of ours; its layout is the one it was made with.
    unsafe {
        let (base, total) = block(p);
        dealloc(base, Layout::from_size_align_unchecked(total, HEADER));
    }
}

/// # Safety
/// Called by SQLite only, with a block of ours (or null) and `n > 0`.
unsafe extern "C" fn x_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
    if p.is_null() {
        // SAFETY: as x_malloc.
        return unsafe { x_malloc(n) };
    }
    let Some(new) = usize::try_from(n).ok().and_then(|n| layout(n + HEADER)) else {
        return std::ptr::null_mut();
    };
    // SAFETY: `p` is a live block of ours; on success the old one is gone and
    // the new one gets its header.
    unsafe {
        let (base, total) = block(p);
        let moved = realloc(
            base,
            Layout::from_size_align_unchecked(total, HEADER),
            new.size(),
        );
        if moved.is_null() {
            return std::ptr::null_mut();
        }
        moved.cast::<usize>().write(new.size());
        moved.add(HEADER).cast()
    }
}

/// # Safety
/// Called by SQLite only, with a block of ours or null.
unsafe extern "C" fn x_size(p: *mut c_void) -> c_int {
    if p.is_null() {
        return 0;
    }
    // SAFETY: `p` is a live block of ours.
    let (_, total) = unsafe { block(p) };
    c_int::try_from(total - HEADER).unwrap_or(c_int::MAX)
}

unsafe extern "C" fn x_roundup(n: c_int) -> c_int {
    n.saturating_add(7) & !7
}

unsafe extern "C" fn x_init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_shutdown(_: *mut c_void) {}

/// Hands SQLite the global allocator and a page pool of about `pool_bytes`,
/// once, before its first connection opens (SQLite takes these settings
/// only before it initializes, for the whole process: a second store in
/// the same process shares the first one's pool). If something in the
/// process used SQLite first, it keeps `malloc` and has no pool.
pub fn install(pool_bytes: u64) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let methods = ffi::sqlite3_mem_methods {
            xMalloc: Some(x_malloc),
            xFree: Some(x_free),
            xRealloc: Some(x_realloc),
            xSize: Some(x_size),
            xRoundup: Some(x_roundup),
            xInit: Some(x_init),
            xShutdown: Some(x_shutdown),
            pAppData: std::ptr::null_mut(),
        };
        // SAFETY: SQLite copies the methods before returning; the functions
        // they point to live as long as the process.
        let rc = unsafe {
            ffi::sqlite3_config(
                ffi::SQLITE_CONFIG_MALLOC,
                &methods as *const ffi::sqlite3_mem_methods,
            )
        };
        if rc == ffi::SQLITE_OK {
            INSTALLED.store(true, Ordering::Relaxed);
            set_aside_page_pool(pool_bytes);
        } else {
            tracing::warn!(code = rc, "SQLite keeps the C library's malloc");
        }
    });
}

/// The page size Almanac's databases and SQLite's temporary b-trees use
/// (SQLite's default); pages of another size come from the heap.
const PAGE_SIZE: usize = 4096;

/// The pool's slot size, once set aside (0: no pool).
static SLOT_BYTES: AtomicU64 = AtomicU64::new(0);
static POOL_BYTES: AtomicU64 = AtomicU64::new(0);

fn set_aside_page_pool(bytes: u64) {
    let mut header: c_int = 0;
    // SAFETY: SQLite writes the size of a page's header into `header`.
    let rc =
        unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_PCACHE_HDRSZ, &mut header as *mut c_int) };
    let slot = (PAGE_SIZE + usize::try_from(header).unwrap_or(0) + 7) & !7;
    let slots = usize::try_from(bytes).unwrap_or(usize::MAX) / slot;
    let slots = slots.min(c_int::MAX as usize);
    if rc != ffi::SQLITE_OK || slots == 0 {
        return;
    }
    let Ok(layout) = Layout::from_size_align(slot * slots, PAGE_SIZE) else {
        return;
    };
    // From the system allocator, beside the counted heap: a block this large
    // is its own mapping, whose pages become resident only once SQLite
    // writes a slot there. It is never freed: SQLite holds it until exit.
    // SAFETY: the layout is non-zero sized.
    let pool = unsafe { System.alloc(layout) };
    if pool.is_null() {
        tracing::warn!(
            bytes,
            "no memory for SQLite's page pool; pages come from the heap"
        );
        return;
    }
    // SAFETY: the pool is `slot * slots` bytes, aligned, and lives as long
    // as the process; SQLite takes it before it initializes.
    let rc = unsafe {
        ffi::sqlite3_config(
            ffi::SQLITE_CONFIG_PAGECACHE,
            pool.cast::<c_void>(),
            slot as c_int,
            slots as c_int,
        )
    };
    if rc == ffi::SQLITE_OK {
        SLOT_BYTES.store(slot as u64, Ordering::Relaxed);
        POOL_BYTES.store((slot * slots) as u64, Ordering::Relaxed);
    } else {
        // SAFETY: SQLite refused the pool, so nothing refers to it.
        unsafe { System.dealloc(pool, layout) };
        tracing::warn!(
            code = rc,
            "SQLite refused its page pool; pages come from the heap"
        );
    }
}

/// SQLite's page pool: its size, the slots in use, and the page buffers
/// that did not fit and came from the heap instead, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PagePool {
    pub bytes: u64,
    pub used_bytes: u64,
    pub overflow_bytes: u64,
}

/// The page pool as it is now, if one was set aside.
pub fn page_pool() -> Option<PagePool> {
    let slot = SLOT_BYTES.load(Ordering::Relaxed);
    if slot == 0 {
        return None;
    }
    let status = |op: c_int| {
        let (mut now, mut most) = (0i64, 0i64);
        // SAFETY: SQLite writes two integers it owns the meaning of.
        let rc = unsafe { ffi::sqlite3_status64(op, &mut now, &mut most, 0) };
        if rc == ffi::SQLITE_OK {
            now.max(0) as u64
        } else {
            0
        }
    };
    Some(PagePool {
        bytes: POOL_BYTES.load(Ordering::Relaxed),
        used_bytes: status(ffi::SQLITE_STATUS_PAGECACHE_USED) * slot,
        overflow_bytes: status(ffi::SQLITE_STATUS_PAGECACHE_OVERFLOW),
    })
}

static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Whether SQLite took the global allocator.
pub fn installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_their_size_through_realloc_and_are_aligned() {
        // SAFETY: the functions are called as SQLite would.
        unsafe {
            let p = x_malloc(100);
            assert!(!p.is_null());
            assert_eq!(p as usize % 8, 0);
            assert_eq!(x_size(p), 100);
            p.cast::<u8>().write_bytes(0xab, 100);
            let q = x_realloc(p, 5000);
            assert_eq!(x_size(q), 5000);
            assert_eq!(q.cast::<u8>().add(99).read(), 0xab, "contents kept");
            let r = x_realloc(q, 10);
            assert_eq!(x_size(r), 10);
            x_free(r);
            x_free(std::ptr::null_mut());
            assert_eq!(x_size(std::ptr::null_mut()), 0);
            assert_eq!(x_roundup(13), 16);
            assert!(x_malloc(-1).is_null());
        }
    }
}
