//! Hands argon2's memory back to the system after each hash (glibc).
//!
//! glibc raises its mmap threshold to the size of the largest block freed
//! so far (up to 32 MiB). After the first hash, argon2's 19 MiB blocks come
//! from the arena of the thread that hashes, which keeps them once freed:
//! every blocking thread that ever hashed held on to a couple of hundred MB,
//! and with one hash per core at a time, 300 logins still left the demo at
//! 868 MB on 2 cores, never given back. A fixed threshold turns every block
//! above it into a mapping of its own, unmapped when freed, so the demo
//! holds only the hashes in flight.

/// Far below argon2's 19 MiB, far above what a page, a row or a request
/// needs, which keep coming from the arenas as before.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 1 << 20;

/// Fixes glibc's mmap threshold. Call it before any other thread starts:
/// glibc reads the setting without a lock.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn return_large_blocks() {
    // SAFETY: `mallopt` takes two integers and only sets allocator
    // parameters; no other thread exists yet to read them meanwhile.
    let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) };
    if set == 0 {
        tracing::warn!("glibc refused a fixed mmap threshold: hash memory may stay held");
    }
}

/// Other allocators are left as they are.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn return_large_blocks() {}
