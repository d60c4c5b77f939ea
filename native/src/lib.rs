//! mqstore native addon: module registration only. It lists the exported functions and
//! constants; each feature lives in its own module. The addon keeps no napi_env or JS value
//! between calls, so it is context-aware and loads in every worker thread.

mod aligned;
mod cpu;
mod crc32;
#[cfg(target_arch = "x86_64")]
mod crc32_clmul;
mod crc32c;
mod crc_table;
mod entry;
mod errors;
mod file;
mod js;
mod mmap;
mod napi;
mod sendfile;
mod socket;
mod sys;

use entry::{method, raw_method, value};
use errors::{JsError, JsResult};
use napi::*;
use std::ffi::CStr;

/// Numeric constants exported as properties.
fn constants() -> [(&'static CStr, f64); 13] {
    [
        (c"PAGE_SIZE", sys::page_size() as f64),
        (c"O_DIRECT", sys::O_DIRECT as f64),
        (c"MADV_NORMAL", sys::MADV_NORMAL as f64),
        (c"MADV_RANDOM", sys::MADV_RANDOM as f64),
        (c"MADV_SEQUENTIAL", sys::MADV_SEQUENTIAL as f64),
        (c"MADV_WILLNEED", sys::MADV_WILLNEED as f64),
        (c"MADV_DONTNEED", sys::MADV_DONTNEED as f64),
        (c"MADV_POPULATE_READ", sys::MADV_POPULATE_READ as f64),
        (c"MADV_POPULATE_WRITE", sys::MADV_POPULATE_WRITE as f64),
        (c"FALLOC_FL_KEEP_SIZE", sys::FALLOC_FL_KEEP_SIZE as f64),
        (c"FALLOC_FL_PUNCH_HOLE", sys::FALLOC_FL_PUNCH_HOLE as f64),
        (c"FALLOC_FL_ZERO_RANGE", sys::FALLOC_FL_ZERO_RANGE as f64),
        (c"O_CLOEXEC", sys::O_CLOEXEC as f64),
    ]
}

fn define_exports(env: napi_env, exports: napi_value) -> JsResult<()> {
    let mut props = vec![
        method(c"open", file::open),
        method(c"close", file::close),
        method(c"fsync", file::fsync),
        method(c"fdatasync", file::fdatasync),
        method(c"ftruncate", file::ftruncate),
        method(c"fallocate", file::fallocate),
        method(c"pread", file::pread),
        method(c"pwrite", file::pwrite),
        method(c"mmap", mmap::mmap),
        method(c"munmap", mmap::munmap),
        method(c"msync", mmap::msync),
        method(c"madvise", mmap::madvise),
        method(c"mlock", mmap::mlock),
        method(c"munlock", mmap::munlock),
        method(c"allocAligned", aligned::alloc_aligned),
        method(c"alignedId", aligned::aligned_id),
        method(c"attachAligned", aligned::attach_aligned),
        method(c"releaseAligned", aligned::release_aligned),
        method(c"sendfile", sendfile::sendfile),
        method(c"writeFd", socket::write_fd),
        method(c"pollWritable", socket::js_poll_writable),
        method(c"dupFd", socket::dup_fd),
        method(c"crc32", crc32::js_crc32),
        method(c"crc32c", crc32c::js_crc32c),
        method(c"cpuFeatures", cpu::js_cpu_features),
        raw_method(c"noop", Some(entry::noop)),
        method(c"_testPanic", entry::test_panic),
        value(
            c"version",
            js::create_string(env, env!("CARGO_PKG_VERSION"))?,
        ),
    ];
    for (name, v) in constants() {
        props.push(value(name, js::create_double(env, v)?));
    }
    let st = unsafe { napi_define_properties(env, exports, props.len(), props.as_ptr()) };
    js::check(st, "napi_define_properties")
}

/// Node-API module entry point (looked up by name when the .node file is loaded).
///
/// # Safety
/// Called by Node with a valid `env` and `exports` object, on the JS thread of that env.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    errors::install_panic_hook();
    let outcome = std::panic::catch_unwind(|| define_exports(env, exports));
    let err = match outcome {
        Ok(Ok(())) => return exports,
        Ok(Err(e)) => e,
        Err(payload) => JsError::Panic(errors::panic_message(payload.as_ref())),
    };
    errors::throw(env, &err);
    std::ptr::null_mut()
}

/// The Node-API version this addon is written against (napi_detach_arraybuffer needs 7).
#[no_mangle]
pub extern "C" fn node_api_module_get_api_version_v1() -> i32 {
    8
}
