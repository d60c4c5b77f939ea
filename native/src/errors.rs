//! Errors: the `JsError` type every entry point returns, errno -> name/message, the builder
//! that turns a `JsError` into a thrown JS Error (`code`, `errno`, `syscall`), and the
//! silent panic hook whose captured text goes into `ERR_NATIVE_PANIC` errors.

use crate::napi::*;
use crate::sys;
use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::ptr;

pub type JsResult<T> = Result<T, JsError>;

#[derive(Debug)]
pub enum JsError {
    /// A failed system call: `code` = errno name, `errno`, `syscall`.
    Sys { errno: i32, syscall: &'static str },
    /// Wrong argument type: TypeError with code ERR_INVALID_ARG.
    InvalidArg(String),
    /// Argument of the right type but an unusable value: RangeError, ERR_OUT_OF_RANGE.
    OutOfRange(String),
    /// Any other Error with a fixed code (ERR_NOT_MAPPED, ERR_ALIGNED_UNKNOWN, ...).
    Coded { code: &'static str, msg: String },
    /// A Node-API call failed unexpectedly (code ERR_NAPI).
    Napi {
        what: &'static str,
        status: napi_status,
    },
    /// A Rust panic caught at the boundary (code ERR_NATIVE_PANIC).
    Panic(String),
    /// A JS exception is already pending; throw nothing more.
    Pending,
}

impl JsError {
    /// The errno left by the failed `syscall`.
    pub fn last_os(syscall: &'static str) -> Self {
        JsError::Sys {
            errno: sys::errno(),
            syscall,
        }
    }
    pub fn sys(errno: i32, syscall: &'static str) -> Self {
        JsError::Sys { errno, syscall }
    }
    pub fn coded(code: &'static str, msg: impl Into<String>) -> Self {
        JsError::Coded {
            code,
            msg: msg.into(),
        }
    }
}

/// Linux errno names indexed by number (asm-generic/errno*.h; x86_64 and aarch64 agree).
#[rustfmt::skip]
const ERRNO_NAMES: [&str; 134] = [
    "", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF",
    "ECHILD", "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV",
    "ENODEV", "ENOTDIR", "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG",
    "ENOSPC", "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK",
    "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP", "", "ENOMSG", "EIDRM", "ECHRNG",
    "EL2NSYNC", "EL3HLT", "EL3RST", "ELNRNG", "EUNATCH", "ENOCSI", "EL2HLT", "EBADE", "EBADR",
    "EXFULL", "ENOANO", "EBADRQC", "EBADSLT", "", "EBFONT", "ENOSTR", "ENODATA", "ETIME",
    "ENOSR", "ENONET", "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT", "ECOMM", "EPROTO",
    "EMULTIHOP", "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG", "ELIBACC",
    "ELIBBAD", "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS",
    "ENOTSOCK", "EDESTADDRREQ", "EMSGSIZE", "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT",
    "ESOCKTNOSUPPORT", "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE",
    "EADDRNOTAVAIL", "ENETDOWN", "ENETUNREACH", "ENETRESET", "ECONNABORTED", "ECONNRESET",
    "ENOBUFS", "EISCONN", "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT",
    "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH", "EALREADY", "EINPROGRESS", "ESTALE",
    "EUCLEAN", "ENOTNAM", "ENAVAIL", "EISNAM", "EREMOTEIO", "EDQUOT", "ENOMEDIUM",
    "EMEDIUMTYPE", "ECANCELED", "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED", "EKEYREJECTED",
    "EOWNERDEAD", "ENOTRECOVERABLE", "ERFKILL", "EHWPOISON",
];

/// `EIO` for 5, `E<number>` for numbers without a name.
pub fn errno_name(errno: i32) -> String {
    match ERRNO_NAMES.get(errno as usize) {
        Some(name) if !name.is_empty() && errno >= 0 => (*name).to_string(),
        _ => format!("E{errno}"),
    }
}

/// strerror_r text, e.g. "Input/output error".
pub fn strerror(errno: i32) -> String {
    let mut buf = [0 as c_char; 256];
    let rc = unsafe { sys::__xpg_strerror_r(errno, buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return format!("Unknown error {errno}");
    }
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// "fdatasync: Input/output error (EIO)"
pub fn sys_message(errno: i32, syscall: &str) -> String {
    format!("{syscall}: {} ({})", strerror(errno), errno_name(errno))
}

impl JsError {
    /// (error class, code, message)
    fn parts(&self) -> (ErrorKind, String, String) {
        match self {
            JsError::Sys { errno, syscall } => (
                ErrorKind::Error,
                errno_name(*errno),
                sys_message(*errno, syscall),
            ),
            JsError::InvalidArg(m) => (ErrorKind::Type, "ERR_INVALID_ARG".into(), m.clone()),
            JsError::OutOfRange(m) => (ErrorKind::Range, "ERR_OUT_OF_RANGE".into(), m.clone()),
            JsError::Coded { code, msg } => (ErrorKind::Error, (*code).into(), msg.clone()),
            JsError::Napi { what, status } => (
                ErrorKind::Error,
                "ERR_NAPI".into(),
                format!("{what} failed (napi_status {status})"),
            ),
            JsError::Panic(m) => (ErrorKind::Error, "ERR_NATIVE_PANIC".into(), m.clone()),
            JsError::Pending => (ErrorKind::Error, String::new(), String::new()),
        }
    }
}

#[derive(Clone, Copy)]
enum ErrorKind {
    Error,
    Type,
    Range,
}

/// Throws `err` into `env`. Never throws twice: if an exception is already pending, leaves it.
pub unsafe fn throw(env: napi_env, err: &JsError) {
    let mut pending = false;
    napi_is_exception_pending(env, &mut pending);
    if pending || matches!(err, JsError::Pending) {
        return;
    }
    let (kind, code, msg) = err.parts();
    match build_error(env, kind, &code, &msg, err) {
        Some(e) if napi_throw(env, e) == NAPI_OK => {}
        _ => {
            let c = cstring(&code);
            let m = cstring(&msg);
            napi_throw_error(env, c.as_ptr(), m.as_ptr());
        }
    }
}

unsafe fn build_error(
    env: napi_env,
    kind: ErrorKind,
    code: &str,
    msg: &str,
    err: &JsError,
) -> Option<napi_value> {
    let code_v = js_string(env, code)?;
    let msg_v = js_string(env, msg)?;
    let mut e = ptr::null_mut();
    let st = match kind {
        ErrorKind::Error => napi_create_error(env, code_v, msg_v, &mut e),
        ErrorKind::Type => napi_create_type_error(env, code_v, msg_v, &mut e),
        ErrorKind::Range => napi_create_range_error(env, code_v, msg_v, &mut e),
    };
    if st != NAPI_OK {
        return None;
    }
    if let JsError::Sys { errno, syscall } = err {
        let mut n = ptr::null_mut();
        napi_create_int32(env, *errno, &mut n);
        napi_set_named_property(env, e, c"errno".as_ptr(), n);
        if let Some(s) = js_string(env, syscall) {
            napi_set_named_property(env, e, c"syscall".as_ptr(), s);
        }
    }
    Some(e)
}

unsafe fn js_string(env: napi_env, s: &str) -> Option<napi_value> {
    let mut v = ptr::null_mut();
    let st = napi_create_string_utf8(env, s.as_ptr().cast(), s.len(), &mut v);
    (st == NAPI_OK).then_some(v)
}

fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once per process) a panic hook that prints nothing and records the panic text
/// and location for the current thread; `panic_message` turns it into the JS error message.
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let text = info.to_string();
            let _ = LAST_PANIC.try_with(|slot| *slot.borrow_mut() = Some(text));
        }));
    });
}

/// The message for a caught panic: the hook's text if it ran, else the payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = LAST_PANIC
        .try_with(|s| s.borrow_mut().take())
        .ok()
        .flatten()
    {
        return format!("native panic: {text}");
    }
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown payload".into());
    format!("native panic: {detail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_messages() {
        assert_eq!(errno_name(5), "EIO");
        assert_eq!(errno_name(28), "ENOSPC");
        assert_eq!(errno_name(41), "E41");
        assert_eq!(errno_name(9999), "E9999");
        assert_eq!(
            sys_message(5, "fdatasync"),
            "fdatasync: Input/output error (EIO)"
        );
    }

    /// Compares the table with the kernel headers when they are installed.
    #[test]
    fn table_matches_kernel_headers() {
        let mut checked = 0;
        for file in [
            "/usr/include/asm-generic/errno-base.h",
            "/usr/include/asm-generic/errno.h",
        ] {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            for line in text.lines() {
                let mut words = line.split_whitespace();
                let (Some("#define"), Some(name), Some(num)) =
                    (words.next(), words.next(), words.next())
                else {
                    continue;
                };
                let Ok(num) = num.parse::<i32>() else {
                    continue;
                }; // aliases like EWOULDBLOCK
                assert_eq!(errno_name(num), name, "errno {num}");
                checked += 1;
            }
        }
        assert!(
            checked == 0 || checked >= 130,
            "only {checked} entries compared"
        );
    }
}
