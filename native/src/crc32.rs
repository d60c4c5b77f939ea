//! CRC-32/IEEE (the zlib / `zlib.crc32` checksum; check value 0xCBF43926): dispatch between
//! the carry-less-multiplication folding of crc32_clmul.rs (chosen at runtime from the CPU
//! features) and the slicing-by-8 fallback, plus the `crc32()` JS function.

use crate::crc_table::{self, Slice8, POLY_IEEE};
use crate::errors::JsResult;
use crate::js::Ctx;
use crate::napi::napi_value;

static TABLES: Slice8 = crc_table::slice8_tables(POLY_IEEE);

/// Shorter inputs use the tables (folding needs at least one 16-byte block and does not
/// pay off for a few blocks).
#[cfg(target_arch = "x86_64")]
const CLMUL_MIN_LEN: usize = 64;
/// The 512-bit path starts with four 64-byte lanes.
#[cfg(target_arch = "x86_64")]
const AVX512_MIN_LEN: usize = 256;

/// zlib-compatible CRC-32: `crc32(initial, data)` continues a checksum `initial`.
pub fn crc32(initial: u32, data: &[u8]) -> u32 {
    !update_raw(!initial, data)
}

/// Updates the raw register with the best available implementation.
pub fn update_raw(crc: u32, data: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if data.len() >= CLMUL_MIN_LEN {
        use crate::{cpu, crc32_clmul};
        if data.len() >= AVX512_MIN_LEN && cpu::has_crc32_avx512() {
            // SAFETY: the CPU has AVX-512F, VPCLMULQDQ, PCLMULQDQ and SSE4.1.
            return unsafe { crc32_clmul::update_avx512(crc, data) };
        }
        if cpu::has_crc32_hardware() {
            // SAFETY: the CPU has PCLMULQDQ and SSE4.1.
            return unsafe { crc32_clmul::update(crc, data) };
        }
    }
    software(crc, data)
}

pub fn software(crc: u32, data: &[u8]) -> u32 {
    crc_table::update(&TABLES, crc, data)
}

/// `crc32(data, initial = 0) -> uint32`.
pub fn js_crc32(cx: &Ctx) -> JsResult<napi_value> {
    let data = cx.bytes(0, "data")?;
    let initial = cx.opt_u32(1, "initial", 0)?;
    cx.uint32(crc32(initial, data.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crc_table::{bitwise, test_sample as sample};

    fn reference(initial: u32, data: &[u8]) -> u32 {
        !bitwise(POLY_IEEE, !initial, data)
    }

    #[test]
    fn check_value() {
        assert_eq!(crc32(0, b"123456789"), 0xCBF4_3926);
        assert_eq!(!software(!0, b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(0, b""), 0);
    }

    /// Every implementation the CPU supports, on many lengths and unaligned starts.
    #[test]
    fn all_paths_agree_with_bitwise_reference() {
        let big = sample((1 << 20) + 64, 7);
        let mut lens: Vec<usize> = (0..=300).collect();
        lens.extend([
            319,
            320,
            321,
            511,
            512,
            513,
            575,
            767,
            1023,
            4095,
            4096,
            4097,
            65537,
            1 << 20,
        ]);
        #[cfg(target_arch = "x86_64")]
        let (clmul, avx512) = (
            crate::cpu::has_crc32_hardware(),
            crate::cpu::has_crc32_avx512(),
        );
        for &len in &lens {
            for start in [0usize, 1, 3, 7, 13] {
                let d = &big[start..start + len];
                let init = 0x5a5a_1234;
                let want = reference(init, d);
                assert_eq!(crc32(init, d), want, "dispatch len {len} start {start}");
                assert_eq!(!software(!init, d), want, "table len {len} start {start}");
                #[cfg(target_arch = "x86_64")]
                {
                    use crate::crc32_clmul::{update, update_avx512};
                    if clmul && len >= 16 {
                        assert_eq!(!unsafe { update(!init, d) }, want, "clmul len {len}");
                    }
                    if avx512 && len >= 256 {
                        assert_eq!(
                            !unsafe { update_avx512(!init, d) },
                            want,
                            "avx512 len {len}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn incremental_equals_one_shot() {
        let d = sample(200_003, 3);
        let whole = crc32(0, &d);
        for cut in [
            0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 1000, 4096, 100_000, 200_003,
        ] {
            let (a, b) = d.split_at(cut);
            assert_eq!(crc32(crc32(0, a), b), whole, "cut {cut}");
        }
    }
}
