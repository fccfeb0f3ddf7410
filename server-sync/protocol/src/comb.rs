//! Multiplication of public scalars by fixed points, for the server's signature checks
//! ([`crate::keytable`]).
//!
//! A point's [`Comb`] holds its multiples [j·256ⁱ]P for j = 1…128 and i = 0…31. A scalar below
//! 2²⁵³ written in 32 signed digits of radix 256 (each in −128…127) picks one entry per row,
//! so [s]P costs at most 32 additions of an affine point and no doubling. curve25519-dalek's
//! table for the base point has radix 16: 64 additions, each after a constant-time scan of
//! eight entries, which a verification does not need (nothing in it is secret).
//!
//! It owns the curve's point formulas (twisted Edwards, a = −1, in extended coordinates: Hisil,
//! Wong, Carter and Dawson, 2008, the unified addition that curve25519-dalek also uses, complete
//! on this curve) and the tables: 512 KB each. Everything runs in variable time, on public
//! values only.

use crate::field::{Fe, Loose};

#[cfg(target_arch = "x86_64")]
mod lanes;

/// Entries per row: the multiples 1…128 of the row's power of 256.
const ROW: usize = 128;
/// Rows: the digits of a 256-bit scalar in radix 256.
pub(crate) const ROWS: usize = 32;

/// The curve's constant d = −121665/121666, and 2d.
#[derive(Clone, Copy)]
pub(crate) struct Curve {
    d: Fe,
    d2: Fe,
}

impl Curve {
    /// Computes the constants (one inversion; done once per table built).
    pub(crate) fn new() -> Curve {
        let d = Fe::from_u64(121_665).neg().mul(Fe::from_u64(121_666).invert());
        Curve { d, d2: d.add(d).carry() }
    }
}

/// A point in extended coordinates: x = X/Z, y = Y/Z, x·y = T/Z.
#[derive(Clone, Copy)]
pub(crate) struct Point {
    x: Fe,
    y: Fe,
    z: Fe,
    t: Fe,
}

/// An affine point as an addition takes it: y + x, y − x and 2d·x·y, each carried (tight
/// limbs, as [`lanes`] needs them). Aligned so that an entry is exactly two cache lines (120
/// bytes in 128).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Niels {
    y_plus_x: Loose,
    y_minus_x: Loose,
    xy2d: Loose,
}

impl Point {
    /// The neutral element (0, 1).
    pub(crate) const IDENTITY: Point = Point { x: Fe::ZERO, y: Fe::ONE, z: Fe::ONE, t: Fe::ZERO };

    /// The point of an encoding (y, with the parity of x in bit 255), if one is on the curve.
    /// A y of p or above is read modulo p, and x = 0 with bit 255 set reads as x = 0, as
    /// curve25519-dalek reads them.
    pub(crate) fn decompress(bytes: &[u8; 32], curve: &Curve) -> Option<Point> {
        let y = Fe::from_bytes(bytes);
        let yy = y.square();
        // −x² + y² = 1 + d·x²·y², so x² = (y² − 1) / (d·y² + 1).
        let u = yy.sub(Fe::ONE).carry();
        let v = yy.mul(curve.d).add(Fe::ONE).carry();
        let mut x = Fe::sqrt_ratio(u, v)?;
        if x.is_odd() != (bytes[31] >> 7 == 1) {
            x = x.neg();
        }
        Some(Point { x, y, z: Fe::ONE, t: x.mul(y) })
    }

    /// −P.
    pub(crate) fn neg(self) -> Point {
        Point { x: self.x.neg(), t: self.t.neg(), ..self }
    }

    /// The point of a completed one, whose x is X/Z and y is Y/T.
    fn from_completed(x: Loose, y: Loose, z: Loose, t: Loose) -> Point {
        Point { x: x.mul(t), y: y.mul(z), z: z.mul(t), t: x.mul(y) }
    }

    /// P + Q for any two points, P = Q included.
    fn add(self, other: Point, curve: &Curve) -> Point {
        let pp = self.y.add(self.x).mul(other.y.add(other.x));
        let mm = self.y.sub(self.x).mul(other.y.sub(other.x));
        let tt = self.t.mul(other.t).mul(curve.d2);
        let zz = self.z.mul(other.z);
        let zz2 = zz.add(zz).carry();
        Point::from_completed(pp.sub(mm), pp.add(mm), zz2.add(tt), zz2.sub(tt))
    }

    /// P + Q, or P − Q when `minus`, for an affine Q: seven multiplications.
    fn add_affine(self, q: &Niels, minus: bool) -> Point {
        // −Q swaps y + x with y − x and negates 2d·x·y.
        let (plus, less) = if minus { (q.y_minus_x, q.y_plus_x) } else { (q.y_plus_x, q.y_minus_x) };
        let pp = self.y.add(self.x).mul(plus);
        let mm = self.y.sub(self.x).mul(less);
        let tt = self.t.relax().mul(q.xy2d);
        let z2 = self.z.add(self.z).carry();
        let (z, t) = if minus { (z2.sub(tt), z2.add(tt)) } else { (z2.add(tt), z2.sub(tt)) };
        Point::from_completed(pp.sub(mm), pp.add(mm), z, t)
    }

    /// The Z coordinate, whose inverse [`Point::encode`] needs (inverted for many points at
    /// once by the caller).
    pub(crate) fn z(&self) -> Fe {
        self.z
    }

    /// The canonical encoding, given 1/Z.
    pub(crate) fn encode(&self, z_inverse: Fe) -> [u8; 32] {
        let x = self.x.mul(z_inverse);
        let mut out = self.y.mul(z_inverse).to_bytes();
        out[31] |= u8::from(x.is_odd()) << 7;
        out
    }
}

/// A scalar's digits in radix 256, each in −128…127, least significant first. The scalar must
/// be below 2²⁵⁵ − 2²⁴⁸ (every reduced scalar is below 2²⁵³), so that no carry is left over.
pub(crate) fn digits(scalar: &[u8; 32]) -> [i8; ROWS] {
    let mut out = [0i8; ROWS];
    let mut carry = 0i16;
    for (digit, byte) in out.iter_mut().zip(scalar) {
        let v = i16::from(*byte) + carry;
        carry = i16::from(v >= 128);
        *digit = (v - 256 * carry) as i8;
    }
    debug_assert_eq!(carry, 0, "scalar too large for 32 signed digits");
    out
}

/// A fixed point's multiples, for [`Comb::double_multiple`].
pub(crate) struct Comb {
    /// Row i, entry j: [(j + 1)·256ⁱ]P.
    rows: Vec<[Niels; ROW]>,
    curve: Curve,
}

impl Comb {
    /// The table of `p` (4,096 point additions and one inversion: about two milliseconds).
    pub(crate) fn new(p: Point, curve: &Curve) -> Comb {
        let mut points = Vec::with_capacity(ROWS * ROW);
        let mut power = p;
        for _ in 0..ROWS {
            let mut multiple = power;
            for j in 0..ROW {
                points.push(multiple);
                if j + 1 < ROW {
                    multiple = multiple.add(power, curve);
                }
            }
            // 256·Pᵢ = 2·(128·Pᵢ).
            power = multiple.add(multiple, curve);
        }
        let z: Vec<Fe> = points.iter().map(|p| p.z).collect();
        let affine: Vec<Niels> = points
            .iter()
            .zip(Fe::invert_all(&z))
            .map(|(p, z_inverse)| {
                let (x, y) = (p.x.mul(z_inverse), p.y.mul(z_inverse));
                Niels { y_plus_x: y.add(x).carry().relax(), y_minus_x: y.sub(x).carry().relax(), xy2d: x.mul(y).mul(curve.d2).relax() }
            })
            .collect();
        let rows = affine
            .chunks_exact(ROW)
            .map(|row| std::array::from_fn(|j| row[j]))
            .collect();
        Comb { rows, curve: *curve }
    }

    /// [s]P + [k]Q for this table's P and `other`'s Q: the two sums are kept apart until the
    /// end, so that the processor works on both at once.
    pub(crate) fn double_multiple<'a>(&'a self, s: &[i8; ROWS], other: &'a Comb, k: &[i8; ROWS]) -> Point {
        let entry = |comb: &'a Comb, i: usize, digit: i8| (digit != 0).then(|| (&comb.rows[i][usize::from(digit.unsigned_abs()) - 1], digit < 0));
        let s_entries: [Option<(&Niels, bool)>; ROWS] = std::array::from_fn(|i| entry(self, i, s[i]));
        let k_entries: [Option<(&Niels, bool)>; ROWS] = std::array::from_fn(|i| entry(other, i, k[i]));
        // A device's table is seldom in the cache (each upload is another device's), and each
        // addition would wait for its entry in turn: one read of each of an entry's two lines
        // first lets the processor fetch all 64 entries at once.
        let mut touched = 0u64;
        for (e, _) in s_entries.iter().chain(&k_entries).flatten() {
            touched ^= e.y_plus_x.first_limb() ^ e.xy2d.first_limb();
        }
        std::hint::black_box(touched);
        let (mut sp, mut kq) = (Point::IDENTITY, Point::IDENTITY);
        for (s_entry, k_entry) in s_entries.iter().zip(&k_entries) {
            if let Some((e, minus)) = s_entry {
                sp = sp.add_affine(e, *minus);
            }
            if let Some((e, minus)) = k_entry {
                kq = kq.add_affine(e, *minus);
            }
        }
        sp.add(kq, &self.curve)
    }
}

/// [s]P + [k]Q for many (P's table, s, Q's table, k) at once: eight sums at a time on a
/// processor with AVX-512 IFMA ([`lanes`]), one by one with [`Comb::double_multiple`]
/// otherwise. The points are the same; only their projective coordinates may differ.
pub(crate) fn double_multiples(items: &[(&Comb, [i8; ROWS], &Comb, [i8; ROWS])]) -> Vec<Point> {
    #[cfg(target_arch = "x86_64")]
    if lanes::available() {
        let chains: Vec<(&Comb, &[i8; ROWS])> = items.iter().flat_map(|(p, s, q, k)| [(*p, s), (*q, k)]).collect();
        let sums = lanes::sums(&chains);
        return sums.chunks_exact(2).zip(items).map(|(pair, (p, ..))| pair[0].add(pair[1], &p.curve)).collect();
    }
    items.iter().map(|(p, s, q, k)| p.double_multiple(s, q, k)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::{ED25519_BASEPOINT_COMPRESSED, ED25519_BASEPOINT_POINT, EIGHT_TORSION};
    use curve25519_dalek::scalar::Scalar;

    fn encoding(p: &Point) -> [u8; 32] {
        p.encode(p.z.invert())
    }

    #[test]
    fn digits_add_up_to_the_scalar() {
        let mut high = [0x80; 32];
        high[31] = 0x10;
        let table: [[u8; 32]; 4] = [[0; 32], [0x0f; 32], high, Scalar::from(u64::MAX).to_bytes()];
        for scalar in table {
            let d = digits(&scalar);
            assert!(d.iter().all(|&x| (-128..=127).contains(&x)));
            // Σ dᵢ·256ⁱ, as a 264-bit little-endian number with borrows.
            let mut sum = [0i32; 33];
            for (i, &x) in d.iter().enumerate() {
                sum[i] += i32::from(x);
            }
            for i in 0..32 {
                let carry = sum[i].div_euclid(256);
                sum[i] -= carry * 256;
                sum[i + 1] += carry;
            }
            let bytes: Vec<u8> = sum[..32].iter().map(|&b| b as u8).collect();
            assert_eq!(bytes, scalar, "{}", hex::encode(scalar));
            assert_eq!(sum[32], 0);
        }
    }

    #[test]
    fn decompression_agrees_with_dalek() {
        let curve = Curve::new();
        let base = Point::decompress(ED25519_BASEPOINT_COMPRESSED.as_bytes(), &curve).expect("on the curve");
        assert_eq!(encoding(&base), ED25519_BASEPOINT_COMPRESSED.to_bytes());
        for n in 1..200u64 {
            let p = ED25519_BASEPOINT_POINT * Scalar::from(n * n * 7919) + EIGHT_TORSION[(n % 8) as usize];
            let bytes = p.compress().to_bytes();
            let ours = Point::decompress(&bytes, &curve).expect("on the curve");
            assert_eq!(encoding(&ours), bytes, "n={n}");
        }
        // y = 2 is no point's: (4 − 1)/(4d + 1) is not a square.
        let mut two = [0u8; 32];
        two[0] = 2;
        assert_eq!(Point::decompress(&two, &curve).is_some(), curve25519_dalek::edwards::CompressedEdwardsY(two).decompress().is_some());
    }

    #[test]
    fn multiples_agree_with_dalek() {
        let curve = Curve::new();
        let p = ED25519_BASEPOINT_POINT * Scalar::from(1_234_567u64) + EIGHT_TORSION[3];
        let comb = Comb::new(Point::decompress(p.compress().as_bytes(), &curve).expect("on the curve"), &curve);
        let mut scalars = vec![Scalar::ZERO, Scalar::ONE, Scalar::from(128u64), Scalar::from(255u64), -Scalar::ONE];
        scalars.extend((1..40u64).map(|n| Scalar::from_bytes_mod_order_wide(&[n as u8; 64])));
        let base = Comb::new(Point::decompress(ED25519_BASEPOINT_COMPRESSED.as_bytes(), &curve).expect("on the curve"), &curve);
        let zero = digits(Scalar::ZERO.as_bytes());
        for (n, s) in scalars.iter().enumerate() {
            let ours = comb.double_multiple(&digits(s.as_bytes()), &base, &zero);
            assert_eq!(encoding(&ours), (p * s).compress().to_bytes(), "s={}", hex::encode(s.as_bytes()));
            let k = scalars[(n * 7 + 3) % scalars.len()];
            let both = comb.double_multiple(&digits(s.as_bytes()), &base, &digits(k.as_bytes()));
            assert_eq!(encoding(&both), (p * s + ED25519_BASEPOINT_POINT * k).compress().to_bytes(), "n={n}");
        }
        let once = comb.double_multiple(&digits(Scalar::ONE.as_bytes()), &base, &zero);
        assert_eq!(encoding(&once.add(once, &curve)), (p + p).compress().to_bytes(), "the unified addition doubles");
        assert_eq!(encoding(&Point::decompress(p.compress().as_bytes(), &curve).expect("on the curve").neg()), (-p).compress().to_bytes());
    }

    #[test]
    fn many_at_once_agree_with_one_by_one() {
        // Three tables, digits of every kind (all zero, the extremes −128 and 127, reduced
        // scalars), in groups of every size from 1 to 19 (whole and partial groups of eight).
        let curve = Curve::new();
        let combs: Vec<Comb> = [7u64, 1_000_003, 424_242]
            .iter()
            .map(|n| {
                let p = ED25519_BASEPOINT_POINT * Scalar::from(*n) + EIGHT_TORSION[(*n % 8) as usize];
                Comb::new(Point::decompress(p.compress().as_bytes(), &curve).expect("on the curve"), &curve)
            })
            .collect();
        let mut digit_sets: Vec<[i8; ROWS]> = vec![[0; ROWS], [-128; ROWS], [127; ROWS], std::array::from_fn(|i| if i % 2 == 0 { -128 } else { 127 })];
        digit_sets.extend((1..30u8).map(|n| digits(Scalar::from_bytes_mod_order_wide(&[n; 64]).as_bytes())));
        let mut case = 0usize;
        for size in 1..=19usize {
            let items: Vec<(&Comb, [i8; ROWS], &Comb, [i8; ROWS])> = (0..size)
                .map(|_| {
                    case += 1;
                    let (p, q) = (&combs[case % 3], &combs[(case + 1) % 3]);
                    (p, digit_sets[case % digit_sets.len()], q, digit_sets[(case * 7 + 3) % digit_sets.len()])
                })
                .collect();
            let together = double_multiples(&items);
            assert_eq!(together.len(), size);
            for (n, ((p, s, q, k), got)) in items.iter().zip(&together).enumerate() {
                assert_eq!(encoding(got), encoding(&p.double_multiple(s, q, k)), "group of {size}, item {n}");
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_eight_lanes_sum_as_the_scalar_code() {
        if !lanes::available() {
            // Nothing to install: the instructions are the processor's. `double_multiples`
            // then takes the one-by-one path, which every other test here checks.
            eprintln!("this processor has no AVX-512 IFMA: the lanes cannot run here");
            return;
        }
        let curve = Curve::new();
        let base = Comb::new(Point::decompress(ED25519_BASEPOINT_COMPRESSED.as_bytes(), &curve).expect("on the curve"), &curve);
        let zero = [0i8; ROWS];
        let scalars: Vec<Scalar> = (0..21u64).map(|n| Scalar::from_bytes_mod_order_wide(&[n as u8 ^ 0x5a; 64])).chain([Scalar::ZERO, Scalar::ONE, -Scalar::ONE]).collect();
        let all: Vec<[i8; ROWS]> = scalars.iter().map(|s| digits(s.as_bytes())).collect();
        let chains: Vec<(&Comb, &[i8; ROWS])> = all.iter().map(|d| (&base, d)).collect();
        let sums = lanes::sums(&chains);
        assert_eq!(sums.len(), scalars.len());
        for ((s, d), got) in scalars.iter().zip(&all).zip(&sums) {
            assert_eq!(encoding(got), encoding(&base.double_multiple(d, &base, &zero)), "s={}", hex::encode(s.as_bytes()));
            assert_eq!(encoding(got), (ED25519_BASEPOINT_POINT * s).compress().to_bytes(), "s={}", hex::encode(s.as_bytes()));
        }
    }
}
