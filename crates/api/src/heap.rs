//! The heap's live bytes: what the process has allocated and not yet freed,
//! counted by [`Counting`], the wrapper the `almanac` binary puts around
//! its global allocator. SQLite allocates through the same allocator, so
//! the count covers its page caches and statements too.
//!
//! Beside the resident memory, this tells a leak (live bytes grow) from an
//! allocator that keeps freed memory (resident memory grows, live bytes
//! do not).

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// A global allocator that counts the bytes `A` has handed out and not had
/// back. One relaxed atomic add per allocation and per free.
pub struct Counting<A>(pub A);

// SAFETY: every call is passed to `A` unchanged; only the count is added.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { self.0.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { self.0.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { self.0.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size, Ordering::Relaxed);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

/// The bytes allocated and not freed, when [`Counting`] is the global
/// allocator (`None` otherwise: nothing was ever counted).
pub fn live_bytes() -> Option<u64> {
    match LIVE.load(Ordering::Relaxed) {
        0 => None,
        n => Some(n as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;

    #[test]
    fn counts_what_is_allocated_until_it_is_freed() {
        let heap = Counting(System);
        let before = LIVE.load(Ordering::Relaxed);
        let layout = Layout::from_size_align(1000, 8).unwrap();
        // SAFETY: a non-zero layout; each block is freed once, with its layout.
        unsafe {
            let a = heap.alloc(layout);
            let b = heap.alloc_zeroed(layout);
            assert_eq!(LIVE.load(Ordering::Relaxed) - before, 2000);
            let b = heap.realloc(b, layout, 3000);
            assert_eq!(LIVE.load(Ordering::Relaxed) - before, 4000);
            heap.dealloc(a, layout);
            heap.dealloc(b, Layout::from_size_align(3000, 8).unwrap());
        }
        assert_eq!(LIVE.load(Ordering::Relaxed), before);
        assert_eq!(live_bytes(), (before > 0).then_some(before as u64));
    }
}
