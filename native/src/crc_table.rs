//! Portable CRC-32 machinery shared by crc32.rs (IEEE) and crc32c.rs (Castagnoli):
//! slicing-by-8 tables built at compile time, the table-driven update, GF(2) polynomial
//! arithmetic modulo P (reflected bit order) and "shift by N zero bytes" tables.
//!
//! All functions work on the raw CRC register (no pre/post inversion); callers apply the
//! usual `!crc` on entry and exit.

/// Reflected polynomials.
pub const POLY_IEEE: u32 = 0xEDB8_8320;
pub const POLY_CASTAGNOLI: u32 = 0x82F6_3B78;

pub type Slice8 = [[u32; 256]; 8];
/// Multiplication by a fixed x^k mod P, one table per register byte.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub type ShiftTable = [[u32; 256]; 4];

/// Byte-at-a-time table (index 0) plus the 7 tables slicing-by-8 needs.
pub const fn slice8_tables(poly: u32) -> Slice8 {
    let mut t = [[0u32; 256]; 8];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ poly } else { c >> 1 };
            k += 1;
        }
        t[0][n] = c;
        n += 1;
    }
    let mut s = 1;
    while s < 8 {
        let mut n = 0;
        while n < 256 {
            let prev = t[s - 1][n];
            t[s][n] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            n += 1;
        }
        s += 1;
    }
    t
}

/// Table-driven update of the raw register, 8 bytes per step.
pub fn update(t: &Slice8, mut crc: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) ^ crc as u64;
        crc = t[7][(v & 0xff) as usize]
            ^ t[6][((v >> 8) & 0xff) as usize]
            ^ t[5][((v >> 16) & 0xff) as usize]
            ^ t[4][((v >> 24) & 0xff) as usize]
            ^ t[3][((v >> 32) & 0xff) as usize]
            ^ t[2][((v >> 40) & 0xff) as usize]
            ^ t[1][((v >> 48) & 0xff) as usize]
            ^ t[0][(v >> 56) as usize];
    }
    update_bytes(&t[0], crc, chunks.remainder())
}

/// Byte-at-a-time update of the raw register.
pub fn update_bytes(t0: &[u32; 256], mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc = (crc >> 8) ^ t0[((crc ^ b as u32) & 0xff) as usize];
    }
    crc
}

/// a(x) * b(x) mod P in reflected order (bit 31 is x^0).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub const fn mul_mod(a: u32, mut b: u32, poly: u32) -> u32 {
    let mut product = 0u32;
    let mut bit = 31;
    loop {
        if a & (1 << bit) != 0 {
            product ^= b;
        }
        if bit == 0 {
            return product;
        }
        bit -= 1;
        b = if b & 1 != 0 { (b >> 1) ^ poly } else { b >> 1 };
    }
}

/// x^n mod P in reflected order, by square-and-multiply.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub const fn x_pow_mod(mut n: u64, poly: u32) -> u32 {
    let mut result = 1u32 << 31; // x^0
    let mut square = 1u32 << 30; // x^1
    while n != 0 {
        if n & 1 != 0 {
            result = mul_mod(result, square, poly);
        }
        square = mul_mod(square, square, poly);
        n >>= 1;
    }
    result
}

/// Table that multiplies a register by x^(8*nbytes) mod P, i.e. appends `nbytes` zeros.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub const fn shift_table(poly: u32, nbytes: u64) -> ShiftTable {
    let op = x_pow_mod(8 * nbytes, poly);
    let mut t = [[0u32; 256]; 4];
    let mut k = 0;
    while k < 4 {
        let mut v = 0;
        while v < 256 {
            t[k][v] = mul_mod(op, (v as u32) << (8 * k), poly);
            v += 1;
        }
        k += 1;
    }
    t
}

/// crc * x^(8*nbytes) mod P using a `shift_table(poly, nbytes)`.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
#[inline]
pub fn shift(t: &ShiftTable, crc: u32) -> u32 {
    t[0][(crc & 0xff) as usize]
        ^ t[1][((crc >> 8) & 0xff) as usize]
        ^ t[2][((crc >> 16) & 0xff) as usize]
        ^ t[3][(crc >> 24) as usize]
}

/// Pseudo-random test input (xorshift), shared by the CRC unit tests.
#[cfg(test)]
pub fn test_sample(len: usize, seed: u32) -> Vec<u8> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s as u8
        })
        .collect()
}

/// Bit-at-a-time reference (tests only).
#[cfg(test)]
pub fn bitwise(poly: u32, mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ poly
            } else {
                crc >> 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    static T: Slice8 = slice8_tables(POLY_IEEE);

    #[test]
    fn shift_appends_zero_bytes() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let t = shift_table(POLY_IEEE, 37);
        let a = update(&T, 0x1234_5678, &data);
        let zeros = [0u8; 37];
        assert_eq!(shift(&t, a), update(&T, a, &zeros));
    }

    #[test]
    fn slice8_matches_bitwise() {
        let data: Vec<u8> = (0..777u32).map(|i| (i * 31 + 11) as u8).collect();
        for len in [0, 1, 7, 8, 9, 63, 64, 777] {
            assert_eq!(
                update(&T, !0, &data[..len]),
                bitwise(POLY_IEEE, !0, &data[..len])
            );
        }
    }
}
