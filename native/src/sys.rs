//! libc declarations and Linux constants (glibc, x86_64 / aarch64), written by hand so the
//! crate needs no `libc` crate. Only what the addon calls. `off_t` is 64-bit on both targets.

#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_long, c_uint, c_void};

#[cfg(not(target_os = "linux"))]
compile_error!("mqstore-native targets Linux only");
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("mqstore-native: add this architecture's O_DIRECT value to sys.rs");

pub type off_t = i64;

// open(2) flags
pub const O_CLOEXEC: c_int = 0o2_000_000;
#[cfg(target_arch = "x86_64")]
pub const O_DIRECT: c_int = 0o40_000; // 0x4000
#[cfg(target_arch = "aarch64")]
pub const O_DIRECT: c_int = 0o200_000; // 0x10000

// mmap(2) / msync(2)
pub const PROT_READ: c_int = 1;
pub const PROT_WRITE: c_int = 2;
pub const MAP_SHARED: c_int = 1;
pub const MS_ASYNC: c_int = 1;
pub const MS_SYNC: c_int = 4;

// madvise(2) advice values exported to JS
pub const MADV_NORMAL: c_int = 0;
pub const MADV_RANDOM: c_int = 1;
pub const MADV_SEQUENTIAL: c_int = 2;
pub const MADV_WILLNEED: c_int = 3;
pub const MADV_DONTNEED: c_int = 4;
pub const MADV_POPULATE_READ: c_int = 22;
pub const MADV_POPULATE_WRITE: c_int = 23;

// fallocate(2) modes exported to JS
pub const FALLOC_FL_KEEP_SIZE: c_int = 1;
pub const FALLOC_FL_PUNCH_HOLE: c_int = 2;
pub const FALLOC_FL_ZERO_RANGE: c_int = 0x10;

// errno values the code branches on
pub const EINTR: c_int = 4;
pub const EBADF: c_int = 9;
pub const EAGAIN: c_int = 11;
pub const EPIPE: c_int = 32;

// poll(2) events, fcntl(2) and getsockopt(2) values (asm-generic; x86_64 and aarch64 agree)
pub const POLLOUT: i16 = 0x4;
pub const POLLERR: i16 = 0x8;
pub const POLLHUP: i16 = 0x10;
pub const POLLNVAL: i16 = 0x20;
pub const F_DUPFD_CLOEXEC: c_int = 1030;
pub const SOL_SOCKET: c_int = 1;
pub const SO_ERROR: c_int = 4;
// send(2) flags
pub const MSG_NOSIGNAL: c_int = 0x4000;
pub const MSG_MORE: c_int = 0x8000;

/// struct pollfd
#[repr(C)]
pub struct pollfd {
    pub fd: c_int,
    pub events: i16,
    pub revents: i16,
}

pub const SC_PAGESIZE: c_int = 30;

/// Largest count Linux transfers in one read/write/sendfile call.
pub const MAX_RW_COUNT: usize = 0x7fff_f000;

extern "C" {
    pub fn open(path: *const c_char, flags: c_int, ...) -> c_int;
    pub fn close(fd: c_int) -> c_int;
    pub fn fsync(fd: c_int) -> c_int;
    pub fn fdatasync(fd: c_int) -> c_int;
    pub fn ftruncate(fd: c_int, length: off_t) -> c_int;
    pub fn fallocate(fd: c_int, mode: c_int, offset: off_t, len: off_t) -> c_int;
    pub fn pread(fd: c_int, buf: *mut c_void, count: usize, offset: off_t) -> isize;
    pub fn pwrite(fd: c_int, buf: *const c_void, count: usize, offset: off_t) -> isize;
    pub fn sendfile(out_fd: c_int, in_fd: c_int, offset: *mut off_t, count: usize) -> isize;
    pub fn write(fd: c_int, buf: *const c_void, count: usize) -> isize;
    pub fn send(fd: c_int, buf: *const c_void, count: usize, flags: c_int) -> isize;
    pub fn poll(fds: *mut pollfd, nfds: u64, timeout: c_int) -> c_int;
    pub fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
    pub fn getsockopt(
        fd: c_int,
        level: c_int,
        name: c_int,
        value: *mut c_void,
        len: *mut u32,
    ) -> c_int;

    pub fn mmap(
        addr: *mut c_void,
        len: usize,
        prot: c_int,
        flags: c_int,
        fd: c_int,
        offset: off_t,
    ) -> *mut c_void;
    pub fn munmap(addr: *mut c_void, len: usize) -> c_int;
    pub fn msync(addr: *mut c_void, len: usize, flags: c_int) -> c_int;
    pub fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
    pub fn mlock(addr: *const c_void, len: usize) -> c_int;
    pub fn munlock(addr: *const c_void, len: usize) -> c_int;

    pub fn posix_memalign(memptr: *mut *mut c_void, alignment: usize, size: usize) -> c_int;
    pub fn free(ptr: *mut c_void);
    pub fn sysconf(name: c_int) -> c_long;

    /// The XSI-compliant strerror_r of glibc (returns 0 and fills `buf`).
    pub fn __xpg_strerror_r(errnum: c_int, buf: *mut c_char, buflen: usize) -> c_int;
}

pub const MAP_FAILED: *mut c_void = !0usize as *mut c_void;

/// errno of the calling thread, read right after a failed call.
pub fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Runs `call` until it does not fail with EINTR. Returns the result or the errno.
pub fn retry_eintr<T: Copy + PartialOrd + Default>(
    mut call: impl FnMut() -> T,
) -> Result<T, c_int> {
    loop {
        let r = call();
        if r >= T::default() {
            return Ok(r);
        }
        let e = errno();
        if e != EINTR {
            return Err(e);
        }
    }
}

/// sysconf(_SC_PAGESIZE), cached.
pub fn page_size() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static PAGE: AtomicUsize = AtomicUsize::new(0);
    let p = PAGE.load(Ordering::Relaxed);
    if p != 0 {
        return p;
    }
    let v = unsafe { sysconf(SC_PAGESIZE) };
    let v = if v > 0 { v as usize } else { 4096 };
    PAGE.store(v, Ordering::Relaxed);
    v
}

/// The mode argument of open(2) as it travels through C varargs (promoted to unsigned int).
pub type mode_t = c_uint;
