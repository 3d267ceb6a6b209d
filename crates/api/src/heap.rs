//! The heap's live bytes: what the process has allocated and not yet freed,
//! counted by [`Counting`], the wrapper the `almanac` binary puts around
//! its global allocator. SQLite allocates through the same allocator, so
//! the count covers its page caches and statements too.
//!
//! Beside the resident memory, this tells a leak (live bytes grow) from an
//! allocator that keeps freed memory (resident memory grows, live bytes
//! do not). On glibc, [`arenas`] tells what the allocator keeps, and
//! [`limit_arenas`] and [`release_free_pages`] bound it.

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

/// What glibc's allocator holds in its arenas (the memory it took from the
/// system for small and medium blocks; large blocks are mapped apart and
/// returned when freed), and how much of it is free, kept for reuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arenas {
    pub held_bytes: u64,
    pub free_bytes: u64,
}

/// The arenas' figures (`None` off glibc). It walks every arena under its
/// lock: for `/metrics`, not for every request.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn arenas() -> Option<Arenas> {
    // SAFETY: mallinfo2 only reads the allocator's state, under its locks.
    let info = unsafe { libc::mallinfo2() };
    Some(Arenas {
        held_bytes: info.arena as u64,
        free_bytes: info.fordblks as u64,
    })
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn arenas() -> Option<Arenas> {
    None
}

/// Caps glibc's arenas at `n` (by default up to 8 per core, each thread
/// taking one when the others are busy, and each keeping what was freed in
/// it). Call before the threads start; off glibc it does nothing.
pub fn limit_arenas(n: usize) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let n = libc::c_int::try_from(n.max(1)).unwrap_or(libc::c_int::MAX);
        // SAFETY: M_ARENA_MAX with a positive value is a documented setting.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, n) };
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = n;
}

/// Gives the free pages inside glibc's arenas back to the system
/// (`malloc_trim(0)`): glibc otherwise returns only the free memory at the
/// top of an arena, and blocks freed between live ones stay resident.
/// Returns whether anything was given back; off glibc, `false`.
pub fn release_free_pages() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim takes the arenas' locks itself.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
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

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn the_arenas_keep_what_is_freed_until_it_is_released() {
        // Blocks below glibc's mapping threshold come from an arena; every
        // other one is freed, so the arena's free memory is in pages that
        // lie between live blocks, where only a trim can reach them.
        let blocks: Vec<Vec<u8>> = (0..4096).map(|i| vec![i as u8; 16 * 1024]).collect();
        let held = arenas().expect("glibc reports its arenas");
        assert!(held.held_bytes >= 4096 * 16 * 1024, "{held:?}");
        let kept: Vec<Vec<u8>> = blocks
            .into_iter()
            .enumerate()
            .filter_map(|(i, b)| (i % 2 == 0).then_some(b))
            .collect();
        let freed = arenas().unwrap();
        assert!(freed.free_bytes >= 2048 * 16 * 1024, "{freed:?}");
        assert!(release_free_pages(), "the freed pages were given back");
        drop(kept);
    }
}
