//! sendfile(2) from a file range to a socket/fd, looping until done, EOF or EAGAIN.
//! The input file position is never moved (an explicit off_t pointer is passed).

use crate::errors::{JsError, JsResult};
use crate::js::Ctx;
use crate::napi::napi_value;
use crate::sys::{self, off_t, EAGAIN, EINTR, MAX_RW_COUNT};

/// `sendfile(outFd, inFd, offset, length) -> { bytes, wouldBlock }`.
pub fn sendfile(cx: &Ctx) -> JsResult<napi_value> {
    let out_fd = cx.fd(0, "outFd")?;
    let in_fd = cx.fd(1, "inFd")?;
    let offset = cx.u53(2, "offset")?;
    let length = cx.u53(3, "length")?;
    let mut pos = offset as off_t;
    let mut sent = 0u64;
    let mut would_block = false;
    while sent < length {
        let count = (length - sent).min(MAX_RW_COUNT as u64) as usize;
        let n = unsafe { sys::sendfile(out_fd, in_fd, &mut pos, count) };
        if n < 0 {
            match sys::errno() {
                EINTR => continue,
                EAGAIN => {
                    would_block = true;
                    break;
                }
                e => return Err(JsError::sys(e, "sendfile")),
            }
        }
        if n == 0 {
            break; // EOF of the input file
        }
        sent += n as u64;
    }
    let bytes = cx.double(sent as f64)?;
    let would_block = cx.boolean_value(would_block)?;
    cx.object(&[(c"bytes", bytes), (c"wouldBlock", would_block)])
}
