//! The JS -> Rust boundary. Every exported function goes through one `extern "C"`
//! trampoline that reads the arguments, runs the Rust body (whose fn pointer travels in the
//! property's `data` slot) inside `catch_unwind`, and converts an `Err` or a panic into a
//! thrown JS error. Finalizers use `guard_finalizer` so a panic never crosses into C.
//! Also the two boundary probes: `noop` (call cost) and `_testPanic` (panic path).

use crate::errors::{self, JsError, JsResult};
use crate::js::Ctx;
use crate::napi::*;
use std::os::raw::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

/// A JS-callable function body.
pub type Body = fn(&Ctx) -> JsResult<napi_value>;

pub unsafe extern "C" fn trampoline(env: napi_env, info: napi_callback_info) -> napi_value {
    let outcome = catch_unwind(AssertUnwindSafe(|| -> JsResult<napi_value> {
        let (cx, data) = Ctx::from_info(env, info)?;
        // SAFETY: `data` was set from a `Body` fn pointer in `method()` below.
        let body: Body = std::mem::transmute::<*mut c_void, Body>(data);
        body(&cx)
    }));
    let err = match outcome {
        Ok(Ok(v)) => return v,
        Ok(Err(e)) => e,
        Err(payload) => JsError::Panic(errors::panic_message(payload.as_ref())),
    };
    // Throwing allocates; keep a panic there from unwinding into C as well.
    let _ = catch_unwind(AssertUnwindSafe(|| errors::throw(env, &err)));
    ptr::null_mut()
}

/// `noop()` for call-cost measurement: no argument access, no unwinding guard needed.
pub unsafe extern "C" fn noop(_env: napi_env, _info: napi_callback_info) -> napi_value {
    ptr::null_mut()
}

/// `_testPanic()`: panics on purpose, so tests can check the ERR_NATIVE_PANIC path.
pub fn test_panic(_cx: &Ctx) -> JsResult<napi_value> {
    panic!("_testPanic() called");
}

/// A property descriptor for a method implemented by `body`.
pub fn method(name: &'static std::ffi::CStr, body: Body) -> napi_property_descriptor {
    descriptor(name, Some(trampoline), ptr::null_mut(), body as *mut c_void)
}

/// A property descriptor for a raw callback (no trampoline).
pub fn raw_method(name: &'static std::ffi::CStr, cb: napi_callback) -> napi_property_descriptor {
    descriptor(name, cb, ptr::null_mut(), ptr::null_mut())
}

/// A read-only value property.
pub fn value(name: &'static std::ffi::CStr, v: napi_value) -> napi_property_descriptor {
    descriptor(name, None, v, ptr::null_mut())
}

fn descriptor(
    name: &'static std::ffi::CStr,
    method: napi_callback,
    value: napi_value,
    data: *mut c_void,
) -> napi_property_descriptor {
    napi_property_descriptor {
        utf8name: name.as_ptr(),
        name: ptr::null_mut(),
        method,
        getter: None,
        setter: None,
        value,
        attributes: NAPI_ENUMERABLE,
        data,
    }
}

/// Runs a finalizer body; a panic is swallowed (there is no JS caller to report it to).
pub fn guard_finalizer(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}
