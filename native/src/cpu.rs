//! CPU feature detection for the CRC fast paths (runtime, cached by std) and the
//! `cpuFeatures()` report.

use crate::errors::JsResult;
use crate::js::Ctx;
use crate::napi::napi_value;

#[cfg(target_arch = "x86_64")]
pub fn has_sse42() -> bool {
    std::arch::is_x86_feature_detected!("sse4.2")
}

#[cfg(target_arch = "x86_64")]
pub fn has_pclmulqdq() -> bool {
    std::arch::is_x86_feature_detected!("pclmulqdq")
}

#[cfg(not(target_arch = "x86_64"))]
pub fn has_sse42() -> bool {
    false
}

#[cfg(not(target_arch = "x86_64"))]
pub fn has_pclmulqdq() -> bool {
    false
}

/// CRC-32/IEEE folding needs PCLMULQDQ and SSE4.1 (for the final extract).
pub fn has_crc32_hardware() -> bool {
    #[cfg(target_arch = "x86_64")]
    return has_pclmulqdq() && std::arch::is_x86_feature_detected!("sse4.1");
    #[cfg(not(target_arch = "x86_64"))]
    return false;
}

/// The 512-bit CRC-32/IEEE folding additionally needs AVX-512F and VPCLMULQDQ.
#[cfg(target_arch = "x86_64")]
pub fn has_crc32_avx512() -> bool {
    has_crc32_hardware()
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("vpclmulqdq")
}

/// CRC-32C uses the SSE4.2 `crc32` instruction.
pub fn has_crc32c_hardware() -> bool {
    has_sse42()
}

/// `cpuFeatures() -> { sse42, pclmulqdq, crc32Hardware, crc32cHardware }`.
pub fn js_cpu_features(cx: &Ctx) -> JsResult<napi_value> {
    cx.object(&[
        (c"sse42", cx.boolean_value(has_sse42())?),
        (c"pclmulqdq", cx.boolean_value(has_pclmulqdq())?),
        (c"crc32Hardware", cx.boolean_value(has_crc32_hardware())?),
        (c"crc32cHardware", cx.boolean_value(has_crc32c_hardware())?),
    ])
}
