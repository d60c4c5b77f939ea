//! Safe helpers over Node-API for one call: argument access and validation (numbers,
//! booleans, strings, byte ranges of ArrayBuffer/TypedArray/DataView) and value creation.
//! A `Ctx` only lives for the duration of one JS -> native call.

use crate::errors::{JsError, JsResult};
use crate::napi::*;
use std::ffi::{CStr, CString};
use std::os::raw::{c_int, c_void};
use std::ptr;

pub const MAX_ARGS: usize = 6;

/// Largest integer accepted for offsets and lengths (JS numbers are exact up to 2^53).
pub const MAX_U53: u64 = 1 << 53;

pub struct Ctx {
    pub env: napi_env,
    argv: [napi_value; MAX_ARGS],
    /// Number of arguments the caller actually passed.
    argc: usize,
}

/// Turns a napi_status into a JsResult.
pub fn check(status: napi_status, what: &'static str) -> JsResult<()> {
    match status {
        NAPI_OK => Ok(()),
        NAPI_PENDING_EXCEPTION => Err(JsError::Pending),
        status => Err(JsError::Napi { what, status }),
    }
}

/// A byte range inside JS-owned memory, valid for the current call.
#[derive(Clone, Copy)]
pub struct Bytes {
    pub ptr: *mut u8,
    pub len: usize,
}

impl Bytes {
    pub fn as_slice(&self) -> &[u8] {
        if self.len == 0 || self.ptr.is_null() {
            return &[];
        }
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// The ArrayBuffer behind an argument, with its base pointer and length.
pub struct Backing {
    pub ab: napi_value,
    pub data: *mut u8,
    pub len: usize,
}

fn element_size(kind: c_int) -> Option<usize> {
    // napi_typedarray_type: int8 uint8 uint8c int16 uint16 int32 uint32 f32 f64 i64 u64
    const SIZES: [usize; 11] = [1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8];
    SIZES.get(usize::try_from(kind).ok()?).copied()
}

impl Ctx {
    /// Reads up to MAX_ARGS arguments (missing ones are `undefined`) and the callback data.
    pub unsafe fn from_info(
        env: napi_env,
        info: napi_callback_info,
    ) -> JsResult<(Ctx, *mut c_void)> {
        let mut argc = MAX_ARGS;
        let mut argv = [ptr::null_mut(); MAX_ARGS];
        let mut data = ptr::null_mut();
        let st = napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            &mut data,
        );
        check(st, "napi_get_cb_info")?;
        Ok((Ctx { env, argv, argc }, data))
    }

    pub fn is_undefined(&self, i: usize) -> JsResult<bool> {
        let mut t = 0;
        check(
            unsafe { napi_typeof(self.env, self.argv[i], &mut t) },
            "napi_typeof",
        )?;
        Ok(t == NAPI_UNDEFINED)
    }

    pub fn number(&self, i: usize, name: &str) -> JsResult<f64> {
        let mut v = 0.0;
        match unsafe { napi_get_value_double(self.env, self.argv[i], &mut v) } {
            NAPI_NUMBER_EXPECTED => Err(JsError::InvalidArg(format!("{name} must be a number"))),
            st => check(st, "napi_get_value_double").map(|_| v),
        }
    }

    /// An integer number in [min, max].
    pub fn int_in(&self, i: usize, name: &str, min: f64, max: f64) -> JsResult<f64> {
        let v = self.number(i, name)?;
        if v.trunc() == v && v >= min && v <= max {
            return Ok(v);
        }
        Err(JsError::OutOfRange(format!(
            "{name} must be an integer in [{min}, {max}], got {v}"
        )))
    }

    /// Offset or length: an integer in [0, 2^53].
    pub fn u53(&self, i: usize, name: &str) -> JsResult<u64> {
        self.int_in(i, name, 0.0, MAX_U53 as f64).map(|v| v as u64)
    }

    pub fn fd(&self, i: usize, name: &str) -> JsResult<c_int> {
        self.int_in(i, name, 0.0, i32::MAX as f64)
            .map(|v| v as c_int)
    }

    pub fn i32(&self, i: usize, name: &str) -> JsResult<i32> {
        self.int_in(i, name, i32::MIN as f64, i32::MAX as f64)
            .map(|v| v as i32)
    }

    /// Optional uint32 (missing or undefined -> `default`).
    pub fn opt_u32(&self, i: usize, name: &str, default: u32) -> JsResult<u32> {
        if i >= self.argc {
            return Ok(default);
        }
        let mut v = 0.0;
        match unsafe { napi_get_value_double(self.env, self.argv[i], &mut v) } {
            NAPI_OK if v.trunc() == v && (0.0..=u32::MAX as f64).contains(&v) => Ok(v as u32),
            NAPI_OK => Err(JsError::OutOfRange(format!(
                "{name} must be an integer in [0, 4294967295], got {v}"
            ))),
            NAPI_NUMBER_EXPECTED if self.is_undefined(i)? => Ok(default),
            NAPI_NUMBER_EXPECTED => Err(JsError::InvalidArg(format!("{name} must be a number"))),
            st => check(st, "napi_get_value_double").map(|_| default),
        }
    }

    /// Optional boolean (missing or undefined -> `default`).
    pub fn opt_bool(&self, i: usize, name: &str, default: bool) -> JsResult<bool> {
        if i >= self.argc || self.is_undefined(i)? {
            return Ok(default);
        }
        self.boolean(i, name)
    }

    pub fn boolean(&self, i: usize, name: &str) -> JsResult<bool> {
        let mut v = false;
        match unsafe { napi_get_value_bool(self.env, self.argv[i], &mut v) } {
            NAPI_BOOLEAN_EXPECTED => Err(JsError::InvalidArg(format!("{name} must be a boolean"))),
            st => check(st, "napi_get_value_bool").map(|_| v),
        }
    }

    pub fn string(&self, i: usize, name: &str) -> JsResult<CString> {
        let mut len = 0usize;
        let st = unsafe {
            napi_get_value_string_utf8(self.env, self.argv[i], ptr::null_mut(), 0, &mut len)
        };
        if st == NAPI_STRING_EXPECTED {
            return Err(JsError::InvalidArg(format!("{name} must be a string")));
        }
        check(st, "napi_get_value_string_utf8")?;
        let mut buf = vec![0u8; len + 1];
        let st = unsafe {
            napi_get_value_string_utf8(
                self.env,
                self.argv[i],
                buf.as_mut_ptr().cast(),
                len + 1,
                &mut len,
            )
        };
        check(st, "napi_get_value_string_utf8")?;
        buf.truncate(len);
        CString::new(buf)
            .map_err(|_| JsError::InvalidArg(format!("{name} must not contain NUL characters")))
    }

    /// The byte range of an ArrayBuffer, any TypedArray (incl. Buffer) or DataView argument.
    pub fn bytes(&self, i: usize, name: &str) -> JsResult<Bytes> {
        let v = self.argv[i];
        // Typed arrays (Buffer above all) first, without a separate napi_is_typedarray call:
        // the info call itself answers napi_invalid_arg for anything else.
        match self.typedarray_bytes(v, false) {
            Ok((b, _)) => return Ok(b),
            Err(JsError::Napi {
                status: NAPI_INVALID_ARG,
                ..
            }) => {}
            Err(e) => return Err(e),
        }
        if self.is(napi_is_arraybuffer, v)? {
            return self.arraybuffer_bytes(v);
        }
        if self.is(napi_is_dataview, v)? {
            return self.dataview_bytes(v).map(|(b, _)| b);
        }
        Err(JsError::InvalidArg(format!(
            "{name} must be an ArrayBuffer, TypedArray, Buffer or DataView"
        )))
    }

    /// The ArrayBuffer itself, or the one behind a TypedArray/DataView argument.
    pub fn backing(&self, i: usize, name: &str) -> JsResult<Backing> {
        let v = self.argv[i];
        let ab = if self.is(napi_is_arraybuffer, v)? {
            v
        } else if self.is(napi_is_typedarray, v)? {
            self.typedarray_bytes(v, true)?.1
        } else if self.is(napi_is_dataview, v)? {
            self.dataview_bytes(v)?.1
        } else {
            return Err(JsError::InvalidArg(format!(
                "{name} must be an ArrayBuffer or a view of one"
            )));
        };
        let b = self
            .arraybuffer_bytes(ab)
            .map_err(|_| JsError::InvalidArg(format!("{name} is not backed by an ArrayBuffer")))?;
        Ok(Backing {
            ab,
            data: b.ptr,
            len: b.len,
        })
    }

    fn is(
        &self,
        f: unsafe extern "C" fn(napi_env, napi_value, *mut bool) -> napi_status,
        v: napi_value,
    ) -> JsResult<bool> {
        let mut r = false;
        check(unsafe { f(self.env, v, &mut r) }, "napi_is_*")?;
        Ok(r)
    }

    fn arraybuffer_bytes(&self, ab: napi_value) -> JsResult<Bytes> {
        let (mut data, mut len) = (ptr::null_mut(), 0usize);
        let st = unsafe { napi_get_arraybuffer_info(self.env, ab, &mut data, &mut len) };
        check(st, "napi_get_arraybuffer_info")?;
        Ok(Bytes {
            ptr: data.cast(),
            len,
        })
    }

    fn typedarray_bytes(&self, v: napi_value, want_ab: bool) -> JsResult<(Bytes, napi_value)> {
        let (mut kind, mut count, mut data, mut ab) = (0, 0usize, ptr::null_mut(), ptr::null_mut());
        let ab_out: *mut napi_value = if want_ab { &mut ab } else { ptr::null_mut() };
        let st = unsafe {
            napi_get_typedarray_info(
                self.env,
                v,
                &mut kind,
                &mut count,
                &mut data,
                ab_out,
                ptr::null_mut(),
            )
        };
        check(st, "napi_get_typedarray_info")?;
        let size = element_size(kind)
            .ok_or_else(|| JsError::InvalidArg(format!("unsupported TypedArray kind {kind}")))?;
        Ok((
            Bytes {
                ptr: data.cast(),
                len: count * size,
            },
            ab,
        ))
    }

    fn dataview_bytes(&self, v: napi_value) -> JsResult<(Bytes, napi_value)> {
        let (mut len, mut data, mut ab) = (0usize, ptr::null_mut(), ptr::null_mut());
        let st = unsafe {
            napi_get_dataview_info(self.env, v, &mut len, &mut data, &mut ab, ptr::null_mut())
        };
        check(st, "napi_get_dataview_info")?;
        Ok((
            Bytes {
                ptr: data.cast(),
                len,
            },
            ab,
        ))
    }

    // ---- value creation ----

    pub fn undefined(&self) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        check(
            unsafe { napi_get_undefined(self.env, &mut v) },
            "napi_get_undefined",
        )?;
        Ok(v)
    }

    pub fn double(&self, x: f64) -> JsResult<napi_value> {
        create_double(self.env, x)
    }

    pub fn uint32(&self, x: u32) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        check(
            unsafe { napi_create_uint32(self.env, x, &mut v) },
            "napi_create_uint32",
        )?;
        Ok(v)
    }

    pub fn boolean_value(&self, x: bool) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        check(
            unsafe { napi_get_boolean(self.env, x, &mut v) },
            "napi_get_boolean",
        )?;
        Ok(v)
    }

    /// A plain object with the given properties.
    pub fn object(&self, props: &[(&CStr, napi_value)]) -> JsResult<napi_value> {
        let mut o = ptr::null_mut();
        check(
            unsafe { napi_create_object(self.env, &mut o) },
            "napi_create_object",
        )?;
        for (name, value) in props {
            let st = unsafe { napi_set_named_property(self.env, o, name.as_ptr(), *value) };
            check(st, "napi_set_named_property")?;
        }
        Ok(o)
    }

    /// Detaches an ArrayBuffer (all views over it become length 0).
    pub fn detach(&self, ab: napi_value) -> JsResult<()> {
        check(
            unsafe { napi_detach_arraybuffer(self.env, ab) },
            "napi_detach_arraybuffer",
        )
    }
}

pub fn create_double(env: napi_env, x: f64) -> JsResult<napi_value> {
    let mut v = ptr::null_mut();
    check(
        unsafe { napi_create_double(env, x, &mut v) },
        "napi_create_double",
    )?;
    Ok(v)
}

pub fn create_string(env: napi_env, s: &str) -> JsResult<napi_value> {
    let mut v = ptr::null_mut();
    let st = unsafe { napi_create_string_utf8(env, s.as_ptr().cast(), s.len(), &mut v) };
    check(st, "napi_create_string_utf8")?;
    Ok(v)
}

/// An external ArrayBuffer over `len` bytes at `data`; `finalize(hint)` runs when it is
/// collected or detached (Node runs it on the owning JS thread).
pub fn external_arraybuffer(
    env: napi_env,
    data: *mut u8,
    len: usize,
    finalize: napi_finalize,
    hint: *mut c_void,
) -> JsResult<napi_value> {
    let mut v = ptr::null_mut();
    let st =
        unsafe { napi_create_external_arraybuffer(env, data.cast(), len, finalize, hint, &mut v) };
    check(st, "napi_create_external_arraybuffer")?;
    Ok(v)
}
