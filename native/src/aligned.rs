//! Aligned, zeroed memory (for O_DIRECT) that several worker threads can view at once.
//!
//! An ArrayBuffer belongs to one JS heap, so the memory lives in a process-global registry
//! (id -> allocation with a reference count). Every ArrayBuffer over it is a "view" holding
//! one reference; the view's reference is dropped exactly once, by `releaseAligned` (which
//! detaches it) or by its GC finalizer, whichever comes first. The memory is freed when the
//! count reaches 0. Each view is napi_wrap'ed with its record so `releaseAligned` can find
//! it; each view reports its size to its own isolate via napi_adjust_external_memory.

use crate::entry::guard_finalizer;
use crate::errors::{JsError, JsResult};
use crate::js::{check, external_arraybuffer, Ctx, MAX_U53};
use crate::napi::*;
use crate::sys;
use std::collections::BTreeMap;
use std::os::raw::c_void;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

struct Alloc {
    ptr: usize,
    size: usize,
    refs: usize,
}

struct Registry {
    by_id: BTreeMap<u64, Alloc>,
    by_ptr: BTreeMap<usize, u64>,
    next_id: u64,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    by_id: BTreeMap::new(),
    by_ptr: BTreeMap::new(),
    next_id: 1,
});

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One ArrayBuffer's claim on an allocation (finalizer hint and napi_wrap payload).
struct View {
    id: u64,
    size: usize,
    released: AtomicBool,
}

/// Drops one reference; frees the memory at zero.
fn release_ref(id: u64) {
    let freed = {
        let mut reg = registry();
        let Some(a) = reg.by_id.get_mut(&id) else {
            return;
        };
        a.refs -= 1;
        if a.refs > 0 {
            return;
        }
        let a = reg.by_id.remove(&id).expect("present");
        reg.by_ptr.remove(&a.ptr);
        a.ptr
    };
    unsafe { sys::free(freed as *mut c_void) };
}

fn adjust_memory(env: napi_env, delta: i64) {
    let mut total = 0i64;
    unsafe { napi_adjust_external_memory(env, delta, &mut total) };
}

/// Creates an ArrayBuffer view that takes over one already-counted reference of `id`.
fn make_view(env: napi_env, id: u64, ptr: usize, size: usize) -> JsResult<napi_value> {
    let view = Box::into_raw(Box::new(View {
        id,
        size,
        released: AtomicBool::new(false),
    }));
    let ab = external_arraybuffer(env, ptr as *mut u8, size, Some(finalize), view.cast())
        .inspect_err(|_| {
            drop(unsafe { Box::from_raw(view) });
            release_ref(id);
        })?;
    // From here on the finalizer owns the reference, even if wrapping fails.
    adjust_memory(env, size as i64);
    let st = unsafe { napi_wrap(env, ab, view.cast(), None, ptr::null_mut(), ptr::null_mut()) };
    check(st, "napi_wrap")?;
    Ok(ab)
}

unsafe extern "C" fn finalize(env: napi_env, _data: *mut c_void, hint: *mut c_void) {
    guard_finalizer(|| {
        let view = Box::from_raw(hint.cast::<View>());
        if !view.released.swap(true, Ordering::AcqRel) {
            release_ref(view.id);
            adjust_memory(env, -(view.size as i64));
        }
    });
}

/// `allocAligned(size, align) -> ArrayBuffer` (zeroed; size > 0; align: a power of two).
pub fn alloc_aligned(cx: &Ctx) -> JsResult<napi_value> {
    let size = cx.u53(0, "size")? as usize;
    let align = cx.u53(1, "align")? as usize;
    if !align.is_power_of_two() {
        return Err(JsError::OutOfRange(format!(
            "align must be a power of two, got {align}"
        )));
    }
    if size == 0 {
        return Err(JsError::OutOfRange("size must be greater than 0".into()));
    }
    let align = align.max(std::mem::size_of::<usize>());
    let mut p: *mut c_void = ptr::null_mut();
    let rc = unsafe { sys::posix_memalign(&mut p, align, size) };
    if rc != 0 {
        return Err(JsError::sys(rc, "posix_memalign"));
    }
    unsafe { ptr::write_bytes(p.cast::<u8>(), 0, size) };
    let id = {
        let mut reg = registry();
        let id = reg.next_id;
        reg.next_id += 1;
        reg.by_id.insert(
            id,
            Alloc {
                ptr: p as usize,
                size,
                refs: 1,
            },
        );
        reg.by_ptr.insert(p as usize, id);
        id
    };
    make_view(cx.env, id, p as usize, size)
}

/// The allocation id of a live aligned buffer (or ERR_NOT_ALIGNED).
fn id_of(cx: &Ctx, i: usize) -> JsResult<(u64, napi_value)> {
    let b = cx.backing(i, "buffer")?;
    let id = registry().by_ptr.get(&(b.data as usize)).copied();
    match id {
        Some(id) if !b.data.is_null() => Ok((id, b.ab)),
        _ => Err(JsError::coded(
            "ERR_NOT_ALIGNED",
            "buffer is not a live allocAligned()/attachAligned() ArrayBuffer (or was released)",
        )),
    }
}

/// `alignedId(ab) -> number`.
pub fn aligned_id(cx: &Ctx) -> JsResult<napi_value> {
    let (id, _) = id_of(cx, 0)?;
    cx.double(id as f64)
}

/// `attachAligned(id) -> ArrayBuffer` over the same memory, in the calling thread.
pub fn attach_aligned(cx: &Ctx) -> JsResult<napi_value> {
    let id = cx.int_in(0, "id", 1.0, MAX_U53 as f64)? as u64;
    let (ptr, size) = {
        let mut reg = registry();
        let Some(a) = reg.by_id.get_mut(&id) else {
            return Err(JsError::coded(
                "ERR_ALIGNED_UNKNOWN",
                format!("no aligned allocation with id {id}"),
            ));
        };
        a.refs += 1;
        (a.ptr, a.size)
    };
    make_view(cx.env, id, ptr, size)
}

/// `releaseAligned(ab)`: detaches this view and drops its reference.
pub fn release_aligned(cx: &Ctx) -> JsResult<napi_value> {
    let (id, ab) = id_of(cx, 0)?;
    let mut raw: *mut c_void = ptr::null_mut();
    check(unsafe { napi_unwrap(cx.env, ab, &mut raw) }, "napi_unwrap")?;
    let view = raw.cast::<View>();
    // SAFETY: the buffer is attached (id_of saw its data), so its finalizer has not run.
    let (view_id, size) = unsafe { ((*view).id, (*view).size) };
    if view_id != id || unsafe { (*view).released.swap(true, Ordering::AcqRel) } {
        return Err(JsError::coded(
            "ERR_NOT_ALIGNED",
            "aligned view already released",
        ));
    }
    if let Err(e) = cx.detach(ab) {
        unsafe { (*view).released.store(false, Ordering::Release) };
        return Err(e);
    }
    release_ref(id);
    adjust_memory(cx.env, -(size as i64));
    cx.undefined()
}
