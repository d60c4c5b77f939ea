//! File-descriptor system calls exposed to JS: open, close, fsync, fdatasync, ftruncate,
//! fallocate, and the full-range pread/pwrite loops (short transfers and EINTR retried).

use crate::errors::{JsError, JsResult};
use crate::js::{Bytes, Ctx};
use crate::napi::napi_value;
use crate::sys::{self, off_t, EINTR, MAX_RW_COUNT};
use std::os::raw::c_int;

/// `open(path, flags, mode) -> fd`; O_CLOEXEC is always added.
pub fn open(cx: &Ctx) -> JsResult<napi_value> {
    let path = cx.string(0, "path")?;
    let flags = cx.i32(1, "flags")?;
    let mode = cx.int_in(2, "mode", 0.0, 0o7777 as f64)? as sys::mode_t;
    let fd = sys::retry_eintr(|| unsafe { sys::open(path.as_ptr(), flags | sys::O_CLOEXEC, mode) })
        .map_err(|e| JsError::sys(e, "open"))?;
    cx.double(fd as f64)
}

/// `close(fd)`; EINTR is not retried (Linux has already released the fd).
pub fn close(cx: &Ctx) -> JsResult<napi_value> {
    let fd = cx.fd(0, "fd")?;
    if unsafe { sys::close(fd) } < 0 {
        return Err(JsError::last_os("close"));
    }
    cx.undefined()
}

pub fn fsync(cx: &Ctx) -> JsResult<napi_value> {
    let fd = cx.fd(0, "fd")?;
    sys::retry_eintr(|| unsafe { sys::fsync(fd) }).map_err(|e| JsError::sys(e, "fsync"))?;
    cx.undefined()
}

pub fn fdatasync(cx: &Ctx) -> JsResult<napi_value> {
    let fd = cx.fd(0, "fd")?;
    sys::retry_eintr(|| unsafe { sys::fdatasync(fd) }).map_err(|e| JsError::sys(e, "fdatasync"))?;
    cx.undefined()
}

pub fn ftruncate(cx: &Ctx) -> JsResult<napi_value> {
    let fd = cx.fd(0, "fd")?;
    let len = cx.u53(1, "length")? as off_t;
    sys::retry_eintr(|| unsafe { sys::ftruncate(fd, len) })
        .map_err(|e| JsError::sys(e, "ftruncate"))?;
    cx.undefined()
}

/// `fallocate(fd, mode, offset, length)`.
pub fn fallocate(cx: &Ctx) -> JsResult<napi_value> {
    let fd = cx.fd(0, "fd")?;
    let mode = cx.i32(1, "mode")?;
    let offset = cx.u53(2, "offset")? as off_t;
    let len = cx.u53(3, "length")? as off_t;
    sys::retry_eintr(|| unsafe { sys::fallocate(fd, mode, offset, len) })
        .map_err(|e| JsError::sys(e, "fallocate"))?;
    cx.undefined()
}

/// `pread(fd, data, position) -> bytesRead` (fills `data` unless EOF comes first).
pub fn pread(cx: &Ctx) -> JsResult<napi_value> {
    let fd = cx.fd(0, "fd")?;
    let buf = cx.bytes(1, "data")?;
    let pos = cx.u53(2, "position")?;
    let n = transfer(buf, pos, "pread", |p, len, off| unsafe {
        sys::pread(fd, p.cast(), len, off)
    })?;
    cx.double(n as f64)
}

/// `pwrite(fd, data, position) -> bytesWritten` (the whole range).
pub fn pwrite(cx: &Ctx) -> JsResult<napi_value> {
    let fd = cx.fd(0, "fd")?;
    let buf = cx.bytes(1, "data")?;
    let pos = cx.u53(2, "position")?;
    let n = transfer(buf, pos, "pwrite", |p, len, off| unsafe {
        sys::pwrite(fd, p.cast_const().cast(), len, off)
    })?;
    cx.double(n as f64)
}

/// Calls `op(ptr, len, offset)` until the whole range moved or `op` returns 0 (EOF).
fn transfer(
    buf: Bytes,
    pos: u64,
    syscall: &'static str,
    mut op: impl FnMut(*mut u8, usize, off_t) -> isize,
) -> JsResult<usize> {
    let mut done = 0usize;
    while done < buf.len {
        let len = (buf.len - done).min(MAX_RW_COUNT);
        let n = op(
            unsafe { buf.ptr.add(done) },
            len,
            (pos + done as u64) as off_t,
        );
        if n < 0 {
            match sys::errno() {
                EINTR => continue,
                e => return Err(JsError::sys(e as c_int, syscall)),
            }
        }
        if n == 0 {
            break;
        }
        done += n as usize;
    }
    Ok(done)
}
