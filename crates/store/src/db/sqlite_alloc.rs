//! SQLite allocates through Rust's global allocator (mimalloc in the
//! `almanac` binary) instead of the C library's `malloc`, so the process's
//! memory is one account, read from one place.
//!
//! The readers run on whichever blocking thread is free, so a page buffer
//! allocated on one thread is often freed on another. Under the soak,
//! glibc's per-thread arenas, holding SQLite's memory, grew by 35 MiB in 20
//! minutes while the page caches held steady; with mimalloc the process
//! still grows at about that rate (see the README's soak section), so this
//! is not yet the cure, but it leaves one heap to profile.
//!
//! Each block carries its size in a 16-byte header (SQLite asks for a
//! block's size, Rust's allocator must be told it when freeing), which also
//! keeps the 8-byte alignment SQLite needs.

use rusqlite::ffi;
use std::alloc::{Layout, alloc, dealloc, realloc};
use std::ffi::{c_int, c_void};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// Hands SQLite the global allocator, once, before its first connection
/// opens (SQLite takes allocator settings only before it initializes). If
/// something in the process used SQLite first, it keeps `malloc`.
pub fn install() {
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
        } else {
            tracing::warn!(code = rc, "SQLite keeps the C library's malloc");
        }
    });
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
