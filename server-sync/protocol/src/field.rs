//! Arithmetic modulo p = 2²⁵⁵ − 19, for the verifier's own tables of points ([`crate::comb`]).
//!
//! curve25519-dalek keeps its field private, so the server's fast verification does its point
//! arithmetic here, on fiat-crypto's machine-checked 64-bit routines: [`Fe`] is their tightly
//! bounded element (the output of every carrying operation), [`Loose`] a sum or difference
//! before it is carried, which is what a multiplication takes. The types keep the routines'
//! input bounds, so no sequence of calls here can overflow a limb.
//!
//! Everything here runs in variable time. It is for public values only (keys, signatures,
//! messages); it must never see a secret.

use fiat_crypto::curve25519_64 as fiat;

/// A field element with tight bounds.
#[derive(Clone, Copy)]
pub(crate) struct Fe(fiat::fiat_25519_tight_field_element);

/// A sum or difference of two [`Fe`], not yet carried.
#[derive(Clone, Copy)]
pub(crate) struct Loose(fiat::fiat_25519_loose_field_element);

/// p − 2, little-endian: a^(p−2) is a's inverse.
const P_MINUS_2: [u8; 32] = exponent(0xeb, 0x7f);
/// (p − 5) / 8 = 2²⁵² − 3: the power that square roots of u/v are made from.
const P_MINUS_5_OVER_8: [u8; 32] = exponent(0xfd, 0x0f);
/// (p − 1) / 4 = 2²⁵³ − 5: 2 to this power is a square root of −1.
const P_MINUS_1_OVER_4: [u8; 32] = exponent(0xfb, 0x1f);

/// An exponent of the form `low`, thirty 0xff bytes, `high` (little-endian).
const fn exponent(low: u8, high: u8) -> [u8; 32] {
    let mut e = [0xff; 32];
    e[0] = low;
    e[31] = high;
    e
}

impl Fe {
    pub(crate) const ZERO: Fe = Fe(fiat::fiat_25519_tight_field_element([0; 5]));
    pub(crate) const ONE: Fe = Fe(fiat::fiat_25519_tight_field_element([1, 0, 0, 0, 0]));

    /// A small integer.
    pub(crate) const fn from_u64(n: u64) -> Fe {
        // Below 2⁵¹ it is one tight limb; every caller passes a curve constant far below.
        Fe(fiat::fiat_25519_tight_field_element([n & ((1 << 51) - 1), 0, 0, 0, 0]))
    }

    /// The element of a 255-bit little-endian encoding (bit 255 is ignored); encodings of
    /// p … 2²⁵⁵ − 1 give their value mod p.
    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Fe {
        let mut b = *bytes;
        b[31] &= 0x7f;
        let mut out = fiat::fiat_25519_tight_field_element([0; 5]);
        fiat::fiat_25519_from_bytes(&mut out, &b);
        Fe(out)
    }

    /// The canonical encoding (the value below p), bit 255 clear.
    pub(crate) fn to_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        fiat::fiat_25519_to_bytes(&mut out, &self.0);
        out
    }

    /// Whether the canonical value is odd (the sign of an x coordinate in an encoding).
    pub(crate) fn is_odd(self) -> bool {
        self.to_bytes()[0] & 1 == 1
    }

    pub(crate) fn relax(self) -> Loose {
        let mut out = fiat::fiat_25519_loose_field_element([0; 5]);
        fiat::fiat_25519_relax(&mut out, &self.0);
        Loose(out)
    }

    pub(crate) fn add(self, other: Fe) -> Loose {
        let mut out = fiat::fiat_25519_loose_field_element([0; 5]);
        fiat::fiat_25519_add(&mut out, &self.0, &other.0);
        Loose(out)
    }

    pub(crate) fn sub(self, other: Fe) -> Loose {
        let mut out = fiat::fiat_25519_loose_field_element([0; 5]);
        fiat::fiat_25519_sub(&mut out, &self.0, &other.0);
        Loose(out)
    }

    pub(crate) fn neg(self) -> Fe {
        let mut out = fiat::fiat_25519_loose_field_element([0; 5]);
        fiat::fiat_25519_opp(&mut out, &self.0);
        Loose(out).carry()
    }

    pub(crate) fn mul(self, other: Fe) -> Fe {
        self.relax().mul(other.relax())
    }

    pub(crate) fn square(self) -> Fe {
        let mut out = fiat::fiat_25519_tight_field_element([0; 5]);
        fiat::fiat_25519_carry_square(&mut out, &self.relax().0);
        Fe(out)
    }

    /// self^e, e little-endian (square and multiply from the top bit).
    fn pow(self, e: &[u8; 32]) -> Fe {
        let mut acc = Fe::ONE;
        for byte in e.iter().rev() {
            for bit in (0..8).rev() {
                acc = acc.square();
                if byte >> bit & 1 == 1 {
                    acc = acc.mul(self);
                }
            }
        }
        acc
    }

    /// The inverse (zero for zero).
    pub(crate) fn invert(self) -> Fe {
        self.pow(&P_MINUS_2)
    }

    /// Whether both are the same element.
    pub(crate) fn equals(self, other: Fe) -> bool {
        self.to_bytes() == other.to_bytes()
    }

    /// A square root of −1.
    pub(crate) fn sqrt_minus_one() -> Fe {
        Fe::from_u64(2).pow(&P_MINUS_1_OVER_4)
    }

    /// A square root of u/v, if there is one (either of the two; the caller picks the sign).
    pub(crate) fn sqrt_ratio(u: Fe, v: Fe) -> Option<Fe> {
        // x = u·v³·(u·v⁷)^((p−5)/8) is a root of u/v or of −u/v; the second is fixed by √−1.
        let v3 = v.square().mul(v);
        let v7 = v3.square().mul(v);
        let x = u.mul(v3).mul(u.mul(v7).pow(&P_MINUS_5_OVER_8));
        let check = v.mul(x.square());
        if check.equals(u) {
            Some(x)
        } else if check.equals(u.neg()) {
            Some(x.mul(Fe::sqrt_minus_one()))
        } else {
            None
        }
    }

    /// The inverses of every element (none zero) for the price of one inversion and three
    /// multiplications each (Montgomery's trick).
    pub(crate) fn invert_all(elements: &[Fe]) -> Vec<Fe> {
        let mut prefix = Vec::with_capacity(elements.len());
        let mut acc = Fe::ONE;
        for e in elements {
            prefix.push(acc);
            acc = acc.mul(*e);
        }
        let mut inv = acc.invert();
        let mut out = vec![Fe::ZERO; elements.len()];
        for i in (0..elements.len()).rev() {
            out[i] = inv.mul(prefix[i]);
            inv = inv.mul(elements[i]);
        }
        out
    }
}

impl Loose {
    // These three serve only the vector lanes of `comb`, which exist on x86-64 only.
    #[cfg(target_arch = "x86_64")]
    pub(crate) const ZERO: Loose = Loose(fiat::fiat_25519_loose_field_element([0; 5]));
    #[cfg(target_arch = "x86_64")]
    pub(crate) const ONE: Loose = Loose(fiat::fiat_25519_loose_field_element([1, 0, 0, 0, 0]));

    /// The element of five limbs in fiat-crypto's radix (2⁵¹), if each is within its loose
    /// bound (what [`Loose::carry`] and [`Loose::mul`] are proved for).
    #[cfg(target_arch = "x86_64")]
    pub(crate) fn from_limbs(limbs: [u64; 5]) -> Option<Loose> {
        const BOUND: u64 = 0x18_0000_0000_0000;
        limbs.iter().all(|&l| l <= BOUND).then_some(Loose(fiat::fiat_25519_loose_field_element(limbs)))
    }

    /// The lowest limb, read only to bring the element into the cache early.
    pub(crate) fn first_limb(&self) -> u64 {
        self.0.0[0]
    }

    pub(crate) fn carry(self) -> Fe {
        let mut out = fiat::fiat_25519_tight_field_element([0; 5]);
        fiat::fiat_25519_carry(&mut out, &self.0);
        Fe(out)
    }

    pub(crate) fn mul(self, other: Loose) -> Fe {
        let mut out = fiat::fiat_25519_tight_field_element([0; 5]);
        fiat::fiat_25519_carry_mul(&mut out, &self.0, &other.0);
        Fe(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// p − 1 = −1, little-endian.
    fn minus_one_bytes() -> [u8; 32] {
        exponent(0xec, 0x7f)
    }

    fn fe(n: u64) -> Fe {
        Fe::from_u64(n)
    }

    #[test]
    fn encodings_are_canonical() {
        // p itself and p + 1 read as 0 and 1; p − 1 stays as it is.
        let p = exponent(0xed, 0x7f);
        let mut p_plus_1 = p;
        p_plus_1[0] = 0xee;
        let table: [([u8; 32], [u8; 32]); 3] = [
            (p, [0; 32]),
            (p_plus_1, fe(1).to_bytes()),
            (minus_one_bytes(), minus_one_bytes()),
        ];
        for (input, expected) in table {
            assert_eq!(Fe::from_bytes(&input).to_bytes(), expected, "{}", hex::encode(input));
        }
        let mut high_bit = fe(5).to_bytes();
        high_bit[31] |= 0x80;
        assert!(Fe::from_bytes(&high_bit).equals(fe(5)), "bit 255 is not part of the value");
    }

    #[test]
    fn arithmetic_on_small_numbers() {
        let minus_one = Fe::from_bytes(&minus_one_bytes());
        let table: [(&str, Fe, Fe); 7] = [
            ("3 + 4", fe(3).add(fe(4)).carry(), fe(7)),
            ("3 − 4", fe(3).sub(fe(4)).carry(), minus_one),
            ("−1", fe(1).neg(), minus_one),
            ("6 · 7", fe(6).mul(fe(7)), fe(42)),
            ("(−1)²", minus_one.square(), fe(1)),
            ("2²⁵⁵ = 19", fe(2).pow(&{ let mut e = [0u8; 32]; e[0] = 255; e }), fe(19)),
            ("7 · 7⁻¹", fe(7).mul(fe(7).invert()), fe(1)),
        ];
        for (what, got, expected) in table {
            assert!(got.equals(expected), "{what}");
        }
    }

    #[test]
    fn square_roots() {
        let i = Fe::sqrt_minus_one();
        assert!(i.square().equals(fe(1).neg()), "√−1 squared is −1");
        // 2 is not a square mod p (p ≡ 5 mod 8), so neither is 2 times a square.
        for (n, square) in [(4u64, true), (9, true), (1 << 40, true), (2, false), (8, false), (18, false)] {
            match Fe::sqrt_ratio(fe(n), fe(1)) {
                Some(x) => assert!(square && x.square().equals(fe(n)), "√{n}"),
                None => assert!(!square, "{n} has a root"),
            }
        }
        let x = Fe::sqrt_ratio(fe(9), fe(4)).expect("9/4 is a square");
        assert!(x.square().mul(fe(4)).equals(fe(9)));
    }

    #[test]
    fn many_inverses_at_once() {
        let elements: Vec<Fe> = (1..40u64).map(|n| fe(n * n + 17).mul(fe(0x7_ffff_ffff_ffff))).collect();
        let inverses = Fe::invert_all(&elements);
        for (e, inv) in elements.iter().zip(&inverses) {
            assert!(e.mul(*inv).equals(fe(1)));
        }
        assert!(Fe::invert_all(&[]).is_empty());
    }
}
