//! Eight comb sums at once with AVX-512 IFMA (x86-64 processors since Intel's Ice Lake and
//! AMD's Zen 4), for [`super::double_multiples`].
//!
//! A signature check is two sums of 32 table entries each ([`super::Comb`]); every sum is the
//! same 32 additions on other numbers. Here lane *l* of every vector holds sum *l*'s numbers,
//! so one pass of [`Point::add_affine`]'s formula advances eight sums, and a field
//! multiplication is 25 pairs of 52-bit multiply-adds on all eight at once instead of 25
//! 64-bit products eight times over.
//!
//! Field elements keep fiat-crypto's radix, five limbs of 51 bits, so that what comes out is
//! one of its loose elements, carried once into a [`crate::field::Fe`]. The multiply-add reads
//! only the low 52 bits of each limb, so every number multiplied here must have limbs below
//! 2⁵²: every function states the bounds of what it takes and gives, and the tables' entries
//! are carried when built. A zero digit adds the
//! neutral element instead of skipping the row, so that all lanes do the same work; the
//! resulting coordinates differ from [`super::Comb::double_multiple`]'s by a factor, the point
//! does not. Variable time, public values only, as the rest of the module.

use super::{Comb, Niels, Point, ROWS};
use crate::field::Loose;
use std::arch::x86_64::{
    __m512i, __mmask8, _MM_HINT_T0, _mm_prefetch, _mm512_add_epi64, _mm512_and_si512, _mm512_i64gather_epi64,
    _mm512_loadu_si512, _mm512_madd52hi_epu64, _mm512_madd52lo_epu64, _mm512_mask_blend_epi64, _mm512_set1_epi64,
    _mm512_setzero_si512, _mm512_slli_epi64, _mm512_srli_epi64, _mm512_storeu_si512, _mm512_sub_epi64,
};

/// Eight numbers side by side.
type V = __m512i;

/// Eight field elements: limb *m* of each in lane *l* of vector *m*. Limbs below 2⁵² (what a
/// multiplication takes) unless a function says otherwise.
#[derive(Clone, Copy)]
struct F8([V; 5]);

/// Eight points in extended coordinates, each limb below 2⁵¹ + 2¹⁵.
#[derive(Clone, Copy)]
struct P8 {
    x: F8,
    y: F8,
    z: F8,
    t: F8,
}

/// How far ahead the entries are fetched into the cache, in rows.
const AHEAD: usize = 4;

/// The neutral element as an entry: y + x = 1, y − x = 1, 2d·x·y = 0.
static NEUTRAL: Niels = Niels { y_plus_x: Loose::ONE, y_minus_x: Loose::ONE, xy2d: Loose::ZERO };

/// Whether this processor has the instructions [`sums`] needs.
pub(super) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512ifma")
}

/// Σᵢ dᵢ·(256ⁱ·P) for each chain (P's table, its digits d), eight at a time.
///
/// # Panics
///
/// When [`available`] is false.
pub(super) fn sums(chains: &[(&Comb, &[i8; ROWS])]) -> Vec<Point> {
    assert!(available(), "lanes::sums needs AVX-512 IFMA; check lanes::available first");
    let mut out = Vec::with_capacity(chains.len().next_multiple_of(8));
    for group in chains.chunks(8) {
        // Where each lane's entry of each row is, as byte offsets from the neutral entry
        // (which a zero digit, and a lane with no chain, reads).
        let base = std::ptr::from_ref(&NEUTRAL).cast::<u8>();
        let mut offsets = [[0i64; 8]; ROWS];
        let mut minus = [0u8; ROWS];
        for (lane, (comb, digits)) in group.iter().enumerate() {
            for (row, &digit) in digits.iter().enumerate() {
                if digit != 0 {
                    let entry = &comb.rows[row][usize::from(digit.unsigned_abs()) - 1];
                    offsets[row][lane] = std::ptr::from_ref(entry).cast::<u8>() as i64 - base as i64;
                    minus[row] |= u8::from(digit < 0) << lane;
                }
            }
        }
        // SAFETY: `available` was checked above; every offset leads from `base` to a live
        // entry (a table row held by `chains`, or `NEUTRAL` itself).
        #[allow(unsafe_code)]
        let lanes = unsafe { eight_sums(base, &offsets, &minus) };
        out.extend(lanes.into_iter().take(group.len()));
    }
    out
}

/// The eight sums of the entries at `base + offsets[row][lane]`, negated where bit `lane` of
/// `minus[row]` is set.
///
/// # Safety
///
/// The processor has AVX-512F and IFMA, and every `base + offsets[row][lane]` is a [`Niels`].
#[allow(unsafe_code)]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn eight_sums(base: *const u8, offsets: &[[i64; 8]; ROWS], minus: &[u8; ROWS]) -> [Point; 8] {
    let prefetch = |row: usize| {
        for &o in &offsets[row] {
            // An entry of another allocation than `base`'s: only a hint to the cache, never read.
            let entry = base.wrapping_offset(o as isize);
            _mm_prefetch::<_MM_HINT_T0>(entry.cast());
            _mm_prefetch::<_MM_HINT_T0>(entry.wrapping_add(64).cast());
        }
    };
    for row in 0..AHEAD.min(ROWS) {
        prefetch(row);
    }
    let (zero, one) = (splat(0), F8([splat(1), splat(0), splat(0), splat(0), splat(0)]));
    let mut acc = P8 { x: F8([zero; 5]), y: one, z: one, t: F8([zero; 5]) };
    for row in 0..ROWS {
        if row + AHEAD < ROWS {
            prefetch(row + AHEAD);
        }
        // SAFETY: as above; the entry is three fields of five limbs, 8 bytes each.
        let vindex = unsafe { _mm512_loadu_si512(offsets[row].as_ptr().cast()) };
        let field = |f: usize| {
            F8(std::array::from_fn(|m| {
                // SAFETY: limb m of field f of an entry, read at its offset.
                unsafe { _mm512_i64gather_epi64::<1>(vindex, base.add(8 * (5 * f + m)).cast()) }
            }))
        };
        acc = add_affine(&acc, field(0), field(1), field(2), minus[row]);
    }
    let lanes = |f: &F8| -> [[u64; 5]; 8] {
        let mut limbs = [[0u64; 8]; 5];
        for (m, v) in f.0.iter().enumerate() {
            // SAFETY: eight u64 into eight u64.
            unsafe { _mm512_storeu_si512(limbs[m].as_mut_ptr().cast(), *v) };
        }
        std::array::from_fn(|l| std::array::from_fn(|m| limbs[m][l]))
    };
    let (x, y, z, t) = (lanes(&acc.x), lanes(&acc.y), lanes(&acc.z), lanes(&acc.t));
    // The limbs are below 2⁵¹ + 2¹⁵, well inside fiat-crypto's loose bounds (3·2⁵¹).
    let fe = |limbs: [u64; 5]| Loose::from_limbs(limbs).expect("lanes: a limb above the loose bound, against the bounds proved here").carry();
    std::array::from_fn(|l| Point { x: fe(x[l]), y: fe(y[l]), z: fe(z[l]), t: fe(t[l]) })
}

#[inline]
#[target_feature(enable = "avx512f")]
fn splat(n: u64) -> V {
    _mm512_set1_epi64(n as i64)
}

/// 19·x, for x below 2⁵⁷.
#[inline]
#[target_feature(enable = "avx512f")]
fn times19(x: V) -> V {
    _mm512_add_epi64(_mm512_add_epi64(_mm512_slli_epi64::<4>(x), _mm512_slli_epi64::<1>(x)), x)
}

/// Limbs below 2⁶¹ carried once, all at the same time: below 2⁵¹ + 19·2¹⁰ < 2⁵¹ + 2¹⁵
/// afterwards (the carry out of the top limb weighs 2²⁵⁵ ≡ 19).
#[inline]
#[target_feature(enable = "avx512f")]
fn carry(r: [V; 5]) -> F8 {
    let mask = splat((1 << 51) - 1);
    let c: [V; 5] = std::array::from_fn(|m| _mm512_srli_epi64::<51>(r[m]));
    let low: [V; 5] = std::array::from_fn(|m| _mm512_and_si512(r[m], mask));
    F8([
        _mm512_add_epi64(low[0], times19(c[4])),
        _mm512_add_epi64(low[1], c[0]),
        _mm512_add_epi64(low[2], c[1]),
        _mm512_add_epi64(low[3], c[2]),
        _mm512_add_epi64(low[4], c[3]),
    ])
}

/// a + b, carried; limbs below 2⁶⁰ each (2Z's may reach 2⁵³).
#[inline]
#[target_feature(enable = "avx512f")]
fn add(a: &F8, b: &F8) -> F8 {
    carry(std::array::from_fn(|m| _mm512_add_epi64(a.0[m], b.0[m])))
}

/// a + 2p − b, carried: a's limbs below 2⁵³, b's at most 2⁵² − 38 (2p's smallest limb).
#[inline]
#[target_feature(enable = "avx512f")]
fn sub(a: &F8, b: &F8) -> F8 {
    let two_p = |m: usize| splat(if m == 0 { (1 << 52) - 38 } else { (1 << 52) - 2 });
    carry(std::array::from_fn(|m| _mm512_sub_epi64(_mm512_add_epi64(a.0[m], two_p(m)), b.0[m])))
}

/// a·b, limbs below 2⁵² each; the product's limbs are below 2⁵¹ + 2¹⁴.
///
/// Limb i of a times limb j of b has weight 2⁵¹⁽ⁱ⁺ʲ⁾; its low 52 bits go to limb i + j and its
/// high 52 bits, weight 2⁵² = 2·2⁵¹, twice to limb i + j + 1. Each of the ten limbs then sums at
/// most five low and five doubled high parts: below 15·2⁵² < 2⁵⁶. Limbs 5…9 weigh 2²⁵⁵ ≡ 19
/// times limbs 0…4: below 20·15·2⁵² < 2⁶¹ after folding, which [`carry`] takes.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn mul(a: &F8, b: &F8) -> F8 {
    let zero = _mm512_setzero_si512();
    let (mut lo, mut hi) = ([zero; 9], [zero; 9]);
    for i in 0..5 {
        for j in 0..5 {
            lo[i + j] = _mm512_madd52lo_epu64(lo[i + j], a.0[i], b.0[j]);
            hi[i + j] = _mm512_madd52hi_epu64(hi[i + j], a.0[i], b.0[j]);
        }
    }
    // z[k] = lo[k] + 2·hi[k − 1].
    let z: [V; 10] = std::array::from_fn(|k| {
        let low = if k < 9 { lo[k] } else { zero };
        if k == 0 { low } else { _mm512_add_epi64(low, _mm512_slli_epi64::<1>(hi[k - 1])) }
    });
    carry(std::array::from_fn(|k| _mm512_add_epi64(z[k], times19(z[k + 5]))))
}

/// `p` plus each lane's entry (y + x, y − x, 2d·x·y), or minus it in the lanes set in `minus`:
/// [`Point::add_affine`] on eight points.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn add_affine(p: &P8, y_plus_x: F8, y_minus_x: F8, xy2d: F8, minus: __mmask8) -> P8 {
    let blend = |k: __mmask8, a: &F8, b: &F8| F8(std::array::from_fn(|m| _mm512_mask_blend_epi64(k, a.0[m], b.0[m])));
    // −Q swaps y + x with y − x and negates 2d·x·y (below: which of z ± tt goes where).
    let (plus, less) = (blend(minus, &y_plus_x, &y_minus_x), blend(minus, &y_minus_x, &y_plus_x));
    let pp = mul(&add(&p.y, &p.x), &plus);
    let mm = mul(&sub(&p.y, &p.x), &less);
    let tt = mul(&p.t, &xy2d);
    // 2Z, uncarried: limbs below 2⁵² + 2¹⁶, which `add` and `sub` take as their first operand.
    let z2 = F8(std::array::from_fn(|m| _mm512_add_epi64(p.z.0[m], p.z.0[m])));
    let (sum, difference) = (add(&z2, &tt), sub(&z2, &tt));
    let (z, t) = (blend(minus, &sum, &difference), blend(minus, &difference, &sum));
    let (x, y) = (sub(&pp, &mm), add(&pp, &mm));
    P8 { x: mul(&x, &t), y: mul(&y, &z), z: mul(&z, &t), t: mul(&x, &y) }
}
