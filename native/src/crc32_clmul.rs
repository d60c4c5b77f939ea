//! CRC-32/IEEE by carry-less multiplication folding (x86_64), the reflected variant of
//! Intel's "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ":
//!
//! * `update` (PCLMULQDQ + SSE4.1): four 128-bit lanes fold 64 bytes per step; the lanes are
//!   folded into one, then single 16-byte blocks, then 128 -> 96 -> 64 bits and a Barrett
//!   reduction to 32 bits; the last < 16 bytes go through the tables.
//! * `update_avx512` (VPCLMULQDQ + AVX-512F): the same with four 512-bit lanes (256 bytes
//!   per step), reduced to one 128-bit block and finished like `update`.
//!
//! Folding a 128-bit block (high-degree half H, low half L) forward by D bits uses the pair
//! (x^(D+32) mod P, x^(D-32) mod P): H*K_hi ^ L*K_lo is congruent to the block times x^D.
//! Each constant is stored as reflect32(r) << 1 (the extra x absorbs the one-bit offset of a
//! reflected carry-less product) and computed at compile time from the polynomial.

use crate::crc_table::{x_pow_mod, POLY_IEEE};
use std::arch::x86_64::*;

/// reflect32(x^e mod P) << 1.
const fn k(e: u64) -> i64 {
    (x_pow_mod(e, POLY_IEEE) as i64) << 1
}

/// [multiplier for the high-degree qword, for the low-degree qword] folding by `d` bits.
const fn fold_pair(d: u64) -> [i64; 2] {
    [k(d + 32), k(d - 32)]
}

const FOLD_128: [i64; 2] = fold_pair(128);
const FOLD_256: [i64; 2] = fold_pair(256);
const FOLD_384: [i64; 2] = fold_pair(384);
const FOLD_512: [i64; 2] = fold_pair(512);
const FOLD_2048: [i64; 2] = fold_pair(2048);

/// The final-reduction multipliers (the paper's K4 and K5).
const K4: i64 = FOLD_128[1]; // 128 -> 96 bits
const K5: i64 = k(64); // 96 -> 64 bits
/// reflect33(P) and reflect33(floor(x^64 / P)) for the Barrett reduction.
const P: i64 = ((POLY_IEEE as i64) << 1) | 1;
const MU: i64 = 0x1_f701_1641;

#[inline]
#[target_feature(enable = "pclmulqdq,sse4.1")]
fn pair(c: [i64; 2]) -> __m128i {
    _mm_set_epi64x(c[1], c[0])
}

#[inline]
#[target_feature(enable = "pclmulqdq,sse4.1")]
unsafe fn load(p: *const u8) -> __m128i {
    _mm_loadu_si128(p.cast())
}

/// `x` moved forward by the distance encoded in `k`, plus `next`.
#[inline]
#[target_feature(enable = "pclmulqdq,sse4.1")]
fn fold(x: __m128i, k: __m128i, next: __m128i) -> __m128i {
    let hi_degree = _mm_clmulepi64_si128(x, k, 0x00);
    let lo_degree = _mm_clmulepi64_si128(x, k, 0x11);
    _mm_xor_si128(_mm_xor_si128(hi_degree, lo_degree), next)
}

/// 128-bit remainder -> 32-bit raw CRC register.
#[inline]
#[target_feature(enable = "pclmulqdq,sse4.1")]
fn reduce(x: __m128i) -> u32 {
    let low32 = _mm_set_epi32(0, 0, 0, -1);
    // 128 -> 96: low qword (high degree) times K4, plus the high qword moved down.
    let k4 = _mm_set_epi64x(K4, 0);
    let x = _mm_xor_si128(_mm_clmulepi64_si128(x, k4, 0x10), _mm_srli_si128(x, 8));
    // 96 -> 64: low dword times K5, plus the rest moved down.
    let k5 = _mm_set_epi64x(0, K5);
    let x = _mm_xor_si128(
        _mm_clmulepi64_si128(_mm_and_si128(x, low32), k5, 0x00),
        _mm_srli_si128(x, 4),
    );
    // Barrett: q = floor(top 32 bits * MU / x^32); crc = low part of (x - q * P).
    let pmu = _mm_set_epi64x(MU, P);
    let q = _mm_clmulepi64_si128(_mm_and_si128(x, low32), pmu, 0x10);
    let qp = _mm_clmulepi64_si128(_mm_and_si128(q, low32), pmu, 0x00);
    _mm_extract_epi32(_mm_xor_si128(x, qp), 1) as u32
}

/// Folds the remaining 16-byte blocks into `x`, reduces, and runs the tail through tables.
#[target_feature(enable = "pclmulqdq,sse4.1")]
unsafe fn finish(mut x: __m128i, mut p: *const u8, end: *const u8) -> u32 {
    let k128 = pair(FOLD_128);
    while end.offset_from(p) >= 16 {
        x = fold(x, k128, load(p));
        p = p.add(16);
    }
    let tail = std::slice::from_raw_parts(p, end.offset_from(p) as usize);
    crate::crc32::software(reduce(x), tail)
}

/// Raw-register update with 128-bit lanes; `data.len()` must be at least 16.
#[target_feature(enable = "pclmulqdq,sse4.1")]
pub unsafe fn update(crc: u32, data: &[u8]) -> u32 {
    assert!(data.len() >= 16);
    let mut p = data.as_ptr();
    let end = p.add(data.len());
    let mut x = _mm_xor_si128(load(p), _mm_cvtsi32_si128(crc as i32));
    p = p.add(16);
    if end.offset_from(p) >= 48 {
        let k512 = pair(FOLD_512);
        let (mut a, mut b, mut c, mut d) = (x, load(p), load(p.add(16)), load(p.add(32)));
        p = p.add(48);
        while end.offset_from(p) >= 64 {
            a = fold(a, k512, load(p));
            b = fold(b, k512, load(p.add(16)));
            c = fold(c, k512, load(p.add(32)));
            d = fold(d, k512, load(p.add(48)));
            p = p.add(64);
        }
        let k128 = pair(FOLD_128);
        x = fold(fold(fold(a, k128, b), k128, c), k128, d);
    }
    finish(x, p, end)
}

#[inline]
#[target_feature(enable = "avx512f,vpclmulqdq")]
unsafe fn load512(p: *const u8) -> __m512i {
    _mm512_loadu_si512(p.cast())
}

/// `pair(c)` in all four 128-bit blocks of a zmm register.
#[inline]
#[target_feature(enable = "avx512f,vpclmulqdq")]
fn pair512(c: [i64; 2]) -> __m512i {
    let [q0, q1] = c; // multipliers for qword 0 and qword 1 of each block
    _mm512_set_epi64(q1, q0, q1, q0, q1, q0, q1, q0)
}

#[inline]
#[target_feature(enable = "avx512f,vpclmulqdq")]
fn fold512(x: __m512i, k: __m512i, next: __m512i) -> __m512i {
    let hi_degree = _mm512_clmulepi64_epi128(x, k, 0x00);
    let lo_degree = _mm512_clmulepi64_epi128(x, k, 0x11);
    _mm512_ternarylogic_epi64(hi_degree, lo_degree, next, 0x96) // a ^ b ^ c
}

/// Raw-register update with 512-bit lanes; `data.len()` must be at least 256.
#[target_feature(enable = "avx512f,vpclmulqdq,pclmulqdq,sse4.1")]
pub unsafe fn update_avx512(crc: u32, data: &[u8]) -> u32 {
    assert!(data.len() >= 256);
    let mut p = data.as_ptr();
    let end = p.add(data.len());
    let seed = _mm512_zextsi128_si512(_mm_cvtsi32_si128(crc as i32));
    let mut a = _mm512_xor_si512(load512(p), seed);
    let (mut b, mut c, mut d) = (load512(p.add(64)), load512(p.add(128)), load512(p.add(192)));
    p = p.add(256);
    let k2048 = pair512(FOLD_2048);
    while end.offset_from(p) >= 256 {
        a = fold512(a, k2048, load512(p));
        b = fold512(b, k2048, load512(p.add(64)));
        c = fold512(c, k2048, load512(p.add(128)));
        d = fold512(d, k2048, load512(p.add(192)));
        p = p.add(256);
    }
    let k512 = pair512(FOLD_512);
    let mut x = fold512(fold512(fold512(a, k512, b), k512, c), k512, d);
    while end.offset_from(p) >= 64 {
        x = fold512(x, k512, load512(p));
        p = p.add(64);
    }
    // Four consecutive 128-bit blocks -> one: move each to the position of the last.
    let y = _mm512_extracti32x4_epi32::<3>(x);
    let y = fold(_mm512_extracti32x4_epi32::<2>(x), pair(FOLD_128), y);
    let y = fold(_mm512_extracti32x4_epi32::<1>(x), pair(FOLD_256), y);
    let y = fold(_mm512_extracti32x4_epi32::<0>(x), pair(FOLD_384), y);
    finish(y, p, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_the_published_values() {
        // The values published for reflected CRC-32/IEEE (Intel's paper, Linux crc32-pclmul):
        // K1..K5 = 0x154442bd4, 0x1c6e41596, 0x1751997d0, 0x0ccaa009e, 0x163cd6124.
        assert_eq!(FOLD_512, [0x1_5444_2bd4, 0x1_c6e4_1596]);
        assert_eq!(FOLD_128, [0x1_7519_97d0, 0x0_ccaa_009e]);
        assert_eq!(K5, 0x1_63cd_6124);
        assert_eq!(P, 0x1_db71_0641);
        assert_eq!(MU, reflect33(x64_div_p(0x04C1_1DB7)));
    }

    /// floor(x^64 / P) for the normal-form polynomial P = x^32 + p (33-bit quotient).
    fn x64_div_p(p: u32) -> u64 {
        let full = (1u128 << 32) | p as u128;
        let mut rem: u128 = 1 << 64;
        let mut q = 0u64;
        for bit in (0..=32).rev() {
            if rem & (1u128 << (bit + 32)) != 0 {
                rem ^= full << bit;
                q |= 1 << bit;
            }
        }
        q
    }

    fn reflect33(v: u64) -> i64 {
        (v.reverse_bits() >> 31) as i64
    }
}
