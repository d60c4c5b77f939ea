//! CRC-32C (Castagnoli; check value 0xE3069283).
//!
//! x86_64 with SSE4.2: the `crc32` instruction on three interleaved streams (it has a
//! 3-cycle latency and 1-per-cycle throughput), first in 3 x 8 KiB blocks, then 3 x 256 B;
//! the three partial CRCs are joined with "append N zero bytes" shift tables. Fallback:
//! slicing-by-8.

use crate::crc_table::{self, Slice8, POLY_CASTAGNOLI};
use crate::errors::JsResult;
use crate::js::Ctx;
use crate::napi::napi_value;

static TABLES: Slice8 = crc_table::slice8_tables(POLY_CASTAGNOLI);

/// CRC-32C continuing from `initial` (0 to start).
pub fn crc32c(initial: u32, data: &[u8]) -> u32 {
    !update_raw(!initial, data)
}

pub fn update_raw(crc: u32, data: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::has_crc32c_hardware() {
        // SAFETY: SSE4.2 is present.
        return unsafe { sse42::update(crc, data) };
    }
    software(crc, data)
}

pub fn software(crc: u32, data: &[u8]) -> u32 {
    crc_table::update(&TABLES, crc, data)
}

#[cfg(target_arch = "x86_64")]
mod sse42 {
    use crate::crc_table::{shift, shift_table, ShiftTable, POLY_CASTAGNOLI};
    use std::arch::x86_64::{_mm_crc32_u64, _mm_crc32_u8};

    /// Stream lengths for the 3-way interleave, and their "append zeros" tables.
    const LONG: usize = 8192;
    const SHORT: usize = 256;
    static SHIFT_LONG: ShiftTable = shift_table(POLY_CASTAGNOLI, LONG as u64);
    static SHIFT_SHORT: ShiftTable = shift_table(POLY_CASTAGNOLI, SHORT as u64);

    #[inline]
    unsafe fn word(p: *const u8) -> u64 {
        p.cast::<u64>().read_unaligned()
    }

    /// Consumes 3 x `block` bytes at a time from `*p` on three independent streams.
    #[inline]
    #[target_feature(enable = "sse4.2")]
    unsafe fn three_way(
        mut crc: u32,
        p: &mut *const u8,
        end: *const u8,
        block: usize,
        table: &ShiftTable,
    ) -> u32 {
        while end.offset_from(*p) as usize >= 3 * block {
            let (mut a, mut b, mut c) = (crc as u64, 0u64, 0u64);
            let mut q = *p;
            let stop = q.add(block);
            while q < stop {
                a = _mm_crc32_u64(a, word(q));
                b = _mm_crc32_u64(b, word(q.add(block)));
                c = _mm_crc32_u64(c, word(q.add(2 * block)));
                q = q.add(8);
            }
            crc = shift(table, a as u32) ^ b as u32;
            crc = shift(table, crc) ^ c as u32;
            *p = p.add(3 * block);
        }
        crc
    }

    #[target_feature(enable = "sse4.2")]
    pub unsafe fn update(mut crc: u32, data: &[u8]) -> u32 {
        let mut p = data.as_ptr();
        let end = p.add(data.len());
        while p < end && (p as usize) & 7 != 0 {
            crc = _mm_crc32_u8(crc, *p);
            p = p.add(1);
        }
        crc = three_way(crc, &mut p, end, LONG, &SHIFT_LONG);
        crc = three_way(crc, &mut p, end, SHORT, &SHIFT_SHORT);
        let mut c = crc as u64;
        while end.offset_from(p) >= 8 {
            c = _mm_crc32_u64(c, word(p));
            p = p.add(8);
        }
        crc = c as u32;
        while p < end {
            crc = _mm_crc32_u8(crc, *p);
            p = p.add(1);
        }
        crc
    }
}

/// `crc32c(data, initial = 0) -> uint32`.
pub fn js_crc32c(cx: &Ctx) -> JsResult<napi_value> {
    let data = cx.bytes(0, "data")?;
    let initial = cx.opt_u32(1, "initial", 0)?;
    cx.uint32(crc32c(initial, data.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crc_table::{bitwise, test_sample as sample};

    fn reference(initial: u32, data: &[u8]) -> u32 {
        !bitwise(POLY_CASTAGNOLI, !initial, data)
    }

    #[test]
    fn check_values() {
        let ascending: Vec<u8> = (0..32).collect();
        let cases: [(&[u8], u32); 5] = [
            (b"123456789", 0xE306_9283),
            (&[0u8; 32], 0x8A91_36AA),
            (&[0xFFu8; 32], 0x62A8_AB43),
            (&ascending, 0x46DD_794E),
            (b"", 0),
        ];
        for (data, want) in cases {
            assert_eq!(crc32c(0, data), want);
            assert_eq!(!software(!0, data), want);
            assert_eq!(reference(0, data), want);
        }
    }

    #[test]
    fn all_paths_agree_with_bitwise_reference() {
        let big = sample((1 << 20) + 64, 11);
        let mut lens: Vec<usize> = (0..=300).collect();
        lens.extend([
            767,
            768,
            769,
            1023,
            4095,
            4096,
            24575,
            24576,
            24577,
            65537,
            1 << 20,
        ]);
        for &len in &lens {
            for start in [0usize, 1, 3, 7, 13] {
                let d = &big[start..start + len];
                let want = reference(0x1357_9bdf, d);
                assert_eq!(
                    crc32c(0x1357_9bdf, d),
                    want,
                    "dispatch len {len} start {start}"
                );
                assert_eq!(
                    !software(!0x1357_9bdf, d),
                    want,
                    "table len {len} start {start}"
                );
            }
        }
    }

    #[test]
    fn incremental_equals_one_shot() {
        let d = sample(100_003, 5);
        let whole = crc32c(0, &d);
        for cut in [0, 1, 7, 8, 9, 255, 256, 769, 24_577, 50_000, 100_003] {
            let (a, b) = d.split_at(cut);
            assert_eq!(crc32c(crc32c(0, a), b), whole, "cut {cut}");
        }
    }
}
