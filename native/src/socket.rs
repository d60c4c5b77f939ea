//! Non-blocking socket primitives for a sender running in a worker thread: write(2) of a whole
//! buffer until done or EAGAIN (or send(2) with MSG_MORE, so a frame header waits for the body
//! that follows it instead of leaving as its own TCP segment), poll(2) for POLLOUT with a timeout
//! (blocks the calling thread: worker threads only), and dup(2) so a worker can own its own
//! descriptor of a socket.
//!
//! Errors: a failed write is thrown with its errno (EPIPE, ECONNRESET, ...). poll reports
//! POLLERR as the socket's pending error (SO_ERROR, EPIPE when there is none), POLLHUP as
//! EPIPE and POLLNVAL as EBADF, so a caller never mistakes a dead socket for a writable one.
//! SIGPIPE: Node ignores it process-wide, so writing to a closed peer gives EPIPE, not a signal.

use crate::errors::{JsError, JsResult};
use crate::js::Ctx;
use crate::napi::napi_value;
use crate::sys::{self, EAGAIN, EBADF, EINTR, EPIPE, MAX_RW_COUNT};
use std::os::raw::{c_int, c_void};

/// Longest poll accepted from JS (the caller loops for longer waits and checks its stop flag).
const MAX_POLL_MS: f64 = 60_000.0;

/// Writes `data` to `fd` until all of it went out or the fd would block. Retries EINTR and
/// partial writes. `more`: the fd is a socket and more data follows at once (send(2) with
/// MSG_MORE | MSG_NOSIGNAL). Returns (bytes written, would block) or the errno.
pub fn write_nonblocking(fd: c_int, data: &[u8], more: bool) -> Result<(usize, bool), c_int> {
    let mut done = 0usize;
    while done < data.len() {
        let len = (data.len() - done).min(MAX_RW_COUNT);
        let at = data[done..].as_ptr().cast::<c_void>();
        let n = if more {
            unsafe { sys::send(fd, at, len, sys::MSG_MORE | sys::MSG_NOSIGNAL) }
        } else {
            unsafe { sys::write(fd, at, len) }
        };
        if n < 0 {
            match sys::errno() {
                EINTR => continue,
                EAGAIN => return Ok((done, true)),
                e => return Err(e),
            }
        }
        if n == 0 {
            return Ok((done, true)); // nothing accepted: treat as "try again after poll"
        }
        done += n as usize;
    }
    Ok((done, false))
}

/// Waits up to `timeout_ms` for `fd` to accept writes. Ok(true) = writable, Ok(false) = timed
/// out (or interrupted: the caller re-checks and polls again), Err(errno) = the fd is dead.
pub fn poll_writable(fd: c_int, timeout_ms: c_int) -> Result<bool, c_int> {
    let mut p = sys::pollfd {
        fd,
        events: sys::POLLOUT,
        revents: 0,
    };
    let n = unsafe { sys::poll(&mut p, 1, timeout_ms) };
    if n < 0 {
        return match sys::errno() {
            EINTR => Ok(false),
            e => Err(e),
        };
    }
    if n == 0 {
        return Ok(false);
    }
    if p.revents & sys::POLLNVAL != 0 {
        return Err(EBADF);
    }
    if p.revents & sys::POLLERR != 0 {
        return Err(pending_error(fd).unwrap_or(EPIPE));
    }
    if p.revents & sys::POLLHUP != 0 {
        return Err(EPIPE);
    }
    Ok(p.revents & sys::POLLOUT != 0)
}

/// The socket's pending error (SO_ERROR), if it is a socket and has one.
fn pending_error(fd: c_int) -> Option<c_int> {
    let mut err: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as u32;
    let rc = unsafe {
        sys::getsockopt(
            fd,
            sys::SOL_SOCKET,
            sys::SO_ERROR,
            (&mut err as *mut c_int).cast(),
            &mut len,
        )
    };
    (rc == 0 && err != 0).then_some(err)
}

/// A new descriptor for the same open file, close-on-exec.
pub fn dup_cloexec(fd: c_int) -> Result<c_int, c_int> {
    sys::retry_eintr(|| unsafe { sys::fcntl(fd, sys::F_DUPFD_CLOEXEC, 0 as c_int) })
}

/// `writeFd(fd, data, more = false) -> { bytes, wouldBlock }`.
pub fn write_fd(cx: &Ctx) -> JsResult<napi_value> {
    let fd = cx.fd(0, "fd")?;
    let data = cx.bytes(1, "data")?;
    let more = cx.opt_bool(2, "more", false)?;
    let syscall = if more { "send" } else { "write" };
    let (bytes, would_block) =
        write_nonblocking(fd, data.as_slice(), more).map_err(|e| JsError::sys(e, syscall))?;
    let bytes = cx.double(bytes as f64)?;
    let would_block = cx.boolean_value(would_block)?;
    cx.object(&[(c"bytes", bytes), (c"wouldBlock", would_block)])
}

/// `pollWritable(fd, timeoutMs) -> boolean` (blocks up to timeoutMs; worker threads only).
pub fn js_poll_writable(cx: &Ctx) -> JsResult<napi_value> {
    let fd = cx.fd(0, "fd")?;
    let timeout = cx.int_in(1, "timeoutMs", 0.0, MAX_POLL_MS)? as c_int;
    let ready = poll_writable(fd, timeout).map_err(|e| JsError::sys(e, "poll"))?;
    cx.boolean_value(ready)
}

/// `dupFd(fd) -> fd` (close-on-exec; the caller owns and closes the new descriptor).
pub fn dup_fd(cx: &Ctx) -> JsResult<napi_value> {
    let fd = cx.fd(0, "fd")?;
    let copy = dup_cloexec(fd).map_err(|e| JsError::sys(e, "fcntl(F_DUPFD_CLOEXEC)"))?;
    cx.double(copy as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AF_UNIX: c_int = 1;
    const SOCK_STREAM: c_int = 1;
    const SOCK_NONBLOCK: c_int = 0o4000;

    extern "C" {
        fn socketpair(domain: c_int, kind: c_int, protocol: c_int, sv: *mut c_int) -> c_int;
        fn read(fd: c_int, buf: *mut c_void, count: usize) -> isize;
    }

    /// A non-blocking connected pair of Unix stream sockets, closed on drop.
    struct Pair([c_int; 2]);

    impl Pair {
        fn new() -> Pair {
            let mut sv = [-1; 2];
            let rc =
                unsafe { socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv.as_mut_ptr()) };
            assert_eq!(rc, 0, "socketpair failed: errno {}", sys::errno());
            Pair(sv)
        }

        /// Reads everything available on the second socket (bounded by `max`).
        fn drain(&self, max: usize) -> Vec<u8> {
            let mut out = Vec::new();
            let mut buf = [0u8; 65536];
            while out.len() < max {
                let n = unsafe { read(self.0[1], buf.as_mut_ptr().cast(), buf.len()) };
                if n <= 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n as usize]);
            }
            out
        }
    }

    impl Drop for Pair {
        fn drop(&mut self) {
            for fd in self.0 {
                if fd >= 0 {
                    unsafe { sys::close(fd) };
                }
            }
        }
    }

    #[test]
    fn writes_everything_when_there_is_room() {
        let p = Pair::new();
        assert_eq!(poll_writable(p.0[0], 0), Ok(true));
        assert_eq!(
            write_nonblocking(p.0[0], b"hello, slave", false),
            Ok((12, false))
        );
        assert_eq!(p.drain(100), b"hello, slave");
    }

    #[test]
    fn full_socket_reports_would_block_then_poll_times_out() {
        let p = Pair::new();
        let chunk = vec![0x5a_u8; 1 << 20];
        let mut total = 0usize;
        // a socket buffer is at most a few MiB: 64 rounds of 1 MiB must fill it
        let mut blocked = false;
        for _ in 0..64 {
            let (n, would_block) = write_nonblocking(p.0[0], &chunk, false).expect("write");
            total += n;
            if would_block {
                blocked = true;
                break;
            }
        }
        assert!(blocked, "the socket never filled after {total} bytes");
        assert_eq!(poll_writable(p.0[0], 10), Ok(false));
        let got = p.drain(total);
        assert_eq!(got.len(), total);
        assert!(got.iter().all(|&b| b == 0x5a));
        assert_eq!(poll_writable(p.0[0], 1000), Ok(true));
    }

    #[test]
    fn closed_peer_is_an_error_not_writable() {
        let mut p = Pair::new();
        unsafe { sys::close(p.0[1]) };
        p.0[1] = -1;
        assert_eq!(write_nonblocking(p.0[0], b"x", false), Err(EPIPE));
        assert_eq!(write_nonblocking(p.0[0], b"x", true), Err(EPIPE));
        assert!(poll_writable(p.0[0], 0).is_err());
    }

    #[test]
    fn bad_fd_and_dup() {
        assert_eq!(poll_writable(1 << 20, 0), Err(EBADF));
        let p = Pair::new();
        let copy = dup_cloexec(p.0[0]).expect("dup");
        assert_ne!(copy, p.0[0]);
        assert_eq!(write_nonblocking(copy, b"via dup", true), Ok((7, false)));
        unsafe { sys::close(copy) };
        assert_eq!(p.drain(100), b"via dup");
        assert_eq!(dup_cloexec(-1), Err(EBADF));
    }
}
