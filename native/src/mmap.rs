//! Memory-mapped files as external ArrayBuffers: mmap (MAP_SHARED, unaligned offsets
//! allowed), explicit munmap (detach + unmap), msync, madvise, mlock, munlock, and the
//! global registry that lets explicit munmap and the GC finalizer agree on who unmaps.
//!
//! Registry: data pointer -> `Hint` (boxed, also the finalizer hint). A hint's `done` flag
//! is set, under the lock, by whichever of munmap()/finalizer unmaps first; the box itself is
//! freed only by the finalizer, which Node runs on the JS thread that created the buffer.

use crate::entry::guard_finalizer;
use crate::errors::{JsError, JsResult};
use crate::js::{external_arraybuffer, Backing, Ctx};
use crate::napi::{napi_env, napi_value};
use crate::sys;
use std::collections::BTreeMap;
use std::os::raw::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

struct Hint {
    key: usize,
    base: usize,
    map_len: usize,
    done: AtomicBool,
}

static REGISTRY: Mutex<BTreeMap<usize, usize>> = Mutex::new(BTreeMap::new());

fn registry() -> MutexGuard<'static, BTreeMap<usize, usize>> {
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `mmap(fd, offset, length, writable) -> ArrayBuffer` starting exactly at `offset`.
pub fn mmap(cx: &Ctx) -> JsResult<napi_value> {
    let fd = cx.fd(0, "fd")?;
    let offset = cx.u53(1, "offset")?;
    let length = cx.u53(2, "length")? as usize;
    let writable = cx.boolean(3, "writable")?;
    if length == 0 {
        return Err(JsError::OutOfRange("length must be greater than 0".into()));
    }
    let delta = (offset % sys::page_size() as u64) as usize;
    let map_len = length + delta;
    let prot = sys::PROT_READ | if writable { sys::PROT_WRITE } else { 0 };
    let map_off = (offset - delta as u64) as sys::off_t;
    let base = unsafe {
        sys::mmap(
            std::ptr::null_mut(),
            map_len,
            prot,
            sys::MAP_SHARED,
            fd,
            map_off,
        )
    };
    if base == sys::MAP_FAILED {
        return Err(JsError::last_os("mmap"));
    }
    let data = base as usize + delta;
    let hint = Box::into_raw(Box::new(Hint {
        key: data,
        base: base as usize,
        map_len,
        done: AtomicBool::new(false),
    }));
    registry().insert(data, hint as usize);
    external_arraybuffer(cx.env, data as *mut u8, length, Some(finalize), hint.cast()).inspect_err(
        |_| unsafe {
            registry().remove(&data);
            drop(Box::from_raw(hint));
            sys::munmap(base, map_len);
        },
    )
}

unsafe extern "C" fn finalize(_env: napi_env, _data: *mut c_void, hint: *mut c_void) {
    guard_finalizer(|| {
        let hint = Box::from_raw(hint.cast::<Hint>());
        let mut reg = registry();
        if hint.done.swap(true, Ordering::AcqRel) {
            return; // explicitly unmapped already
        }
        if reg.get(&hint.key) == Some(&(&*hint as *const Hint as usize)) {
            reg.remove(&hint.key);
        }
        drop(reg);
        sys::munmap(hint.base as *mut c_void, hint.map_len);
    });
}

/// The mmap'ed ArrayBuffer behind argument `i` (or ERR_NOT_MAPPED).
fn mapped(cx: &Ctx, i: usize) -> JsResult<Backing> {
    let b = cx.backing(i, "buffer")?;
    if b.data.is_null() || !registry().contains_key(&(b.data as usize)) {
        return Err(JsError::coded(
            "ERR_NOT_MAPPED",
            "buffer is not a live mmap()ed ArrayBuffer (never mapped, or already unmapped)",
        ));
    }
    Ok(b)
}

/// `munmap(ab)`: detaches the ArrayBuffer (views become length 0), then unmaps.
pub fn munmap(cx: &Ctx) -> JsResult<napi_value> {
    let b = mapped(cx, 0)?;
    let key = b.data as usize;
    let hint = {
        let mut reg = registry();
        let Some(hint) = reg.remove(&key) else {
            return Err(JsError::coded(
                "ERR_NOT_MAPPED",
                "buffer was unmapped concurrently",
            ));
        };
        let hint = hint as *const Hint;
        unsafe { (*hint).done.store(true, Ordering::Release) };
        hint
    };
    // Copy out before detaching: the finalizer (which frees the hint) may run after it.
    let (base, map_len) = unsafe { ((*hint).base, (*hint).map_len) };
    if let Err(e) = cx.detach(b.ab) {
        unsafe { (*hint).done.store(false, Ordering::Release) };
        registry().insert(key, hint as usize);
        return Err(e);
    }
    if unsafe { sys::munmap(base as *mut c_void, map_len) } < 0 {
        return Err(JsError::last_os("munmap"));
    }
    cx.undefined()
}

/// Page-aligned (address, length) for args (offset, length) at 1, 2, inside the buffer.
fn page_range(cx: &Ctx, b: &Backing) -> JsResult<(*mut c_void, usize)> {
    let offset = cx.u53(1, "offset")?;
    let length = cx.u53(2, "length")?;
    if offset + length > b.len as u64 {
        return Err(JsError::OutOfRange(format!(
            "offset + length ({offset} + {length}) exceeds the buffer length {}",
            b.len
        )));
    }
    let addr = b.data as usize + offset as usize;
    let start = addr & !(sys::page_size() - 1);
    Ok((start as *mut c_void, length as usize + (addr - start)))
}

/// `msync(ab, offset, length, sync)`: MS_SYNC if `sync`, else MS_ASYNC.
pub fn msync(cx: &Ctx) -> JsResult<napi_value> {
    let b = mapped(cx, 0)?;
    let (addr, len) = page_range(cx, &b)?;
    let flags = if cx.boolean(3, "sync")? {
        sys::MS_SYNC
    } else {
        sys::MS_ASYNC
    };
    sys::retry_eintr(|| unsafe { sys::msync(addr, len, flags) })
        .map_err(|e| JsError::sys(e, "msync"))?;
    cx.undefined()
}

/// `madvise(ab, offset, length, advice)`.
pub fn madvise(cx: &Ctx) -> JsResult<napi_value> {
    let b = mapped(cx, 0)?;
    let (addr, len) = page_range(cx, &b)?;
    let advice = cx.i32(3, "advice")?;
    sys::retry_eintr(|| unsafe { sys::madvise(addr, len, advice) })
        .map_err(|e| JsError::sys(e, "madvise"))?;
    cx.undefined()
}

/// Any ArrayBuffer (a mapping or addon memory) with a live data pointer.
fn lockable(cx: &Ctx, i: usize) -> JsResult<Backing> {
    let b = cx.backing(i, "buffer")?;
    if b.data.is_null() {
        return Err(JsError::coded("ERR_NOT_MAPPED", "buffer has no memory (detached or empty)"));
    }
    Ok(b)
}

/// `mlock(ab, offset, length)`: an mmap'ed buffer or any other ArrayBuffer (e.g. aligned memory).
pub fn mlock(cx: &Ctx) -> JsResult<napi_value> {
    let b = lockable(cx, 0)?;
    let (addr, len) = page_range(cx, &b)?;
    sys::retry_eintr(|| unsafe { sys::mlock(addr, len) }).map_err(|e| JsError::sys(e, "mlock"))?;
    cx.undefined()
}

/// `munlock(ab, offset, length)`.
pub fn munlock(cx: &Ctx) -> JsResult<napi_value> {
    let b = lockable(cx, 0)?;
    let (addr, len) = page_range(cx, &b)?;
    sys::retry_eintr(|| unsafe { sys::munlock(addr, len) })
        .map_err(|e| JsError::sys(e, "munlock"))?;
    cx.undefined()
}
