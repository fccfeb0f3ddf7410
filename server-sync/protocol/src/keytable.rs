//! Device keys prepared for many verifications: the server verifies tens of thousands of
//! signatures by the same few dozen keys, so it keeps, per key, a table of the key's
//! multiples ([`crate::comb`]) as it keeps one for Ed25519's base point. A signature then costs
//! at most 64 additions of table entries and no doubling, and [`verify_many`] shares the one
//! inversion that every check ends with among all the signatures of an upload: a quarter of
//! the time of ed25519-dalek's `verify_strict`, and a tenth where the processor has AVX-512
//! IFMA, which makes eight of those sums at once ([`crate::comb::double_multiples`]).
//!
//! [`PreparedKey::verify`] and [`verify_many`] accept exactly what [`PublicKey::verify`]
//! (`verify_strict`) accepts — the same checks on the same bytes, in the same order; only the
//! arithmetic that recomputes `R` differs, and the tests compare the two on valid, altered and
//! crafted signatures. Building a table costs about as much as two hundred verifications, so
//! [`KeyTables`] keeps them; it must not grow without bound (a stranger can enrol keys).

use crate::comb::{Comb, Curve, Point, ROWS, digits, double_multiples};
use crate::field::Fe;
use crate::keys::{PublicKey, Signature, VerifyError};
use curve25519_dalek::constants::{ED25519_BASEPOINT_COMPRESSED, EIGHT_TORSION};
use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest as _, Sha512};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A public key with the table of its negated multiples.
pub struct PreparedKey {
    key: [u8; 32],
    check: Check,
}

/// How a prepared key checks signatures.
enum Check {
    /// With the table of −A.
    Table(Comb),
    /// With ed25519-dalek: the key decoded to another point here than there. It never has
    /// (the tests decode hundreds of points both ways); if it did, a device's records would
    /// still be checked, only slower.
    Strict(PublicKey),
    /// A key off the curve or of small order verifies nothing strictly.
    Nothing,
}

/// The base point's table, built on first use.
fn base() -> &'static Comb {
    static BASE: OnceLock<Comb> = OnceLock::new();
    BASE.get_or_init(|| {
        let curve = Curve::new();
        let b = Point::decompress(ED25519_BASEPOINT_COMPRESSED.as_bytes(), &curve);
        // The base point's encoding is a constant on the curve; the tests decode it.
        Comb::new(b.unwrap_or(Point::IDENTITY), &curve)
    })
}

/// The encodings of the eight points of small order, which a strict check refuses as `R`.
fn small_order() -> &'static [[u8; 32]; 8] {
    static SMALL: OnceLock<[[u8; 32]; 8]> = OnceLock::new();
    SMALL.get_or_init(|| EIGHT_TORSION.map(|p| p.compress().to_bytes()))
}

impl PreparedKey {
    /// Builds the table (about two milliseconds).
    pub fn new(key: &PublicKey) -> PreparedKey {
        let bytes = key.to_bytes();
        // A key that does not decompress, or of small order, verifies nothing strictly;
        // `PublicKey` refuses both when read, this keeps the rule where one is made otherwise.
        let Some(a) = CompressedEdwardsY(bytes).decompress().filter(|a| !a.is_small_order()) else {
            return PreparedKey { key: bytes, check: Check::Nothing };
        };
        let curve = Curve::new();
        let check = match Point::decompress(&bytes, &curve) {
            Some(ours) if ours.encode(ours.z().invert()) == a.compress().to_bytes() => {
                Check::Table(Comb::new(ours.neg(), &curve))
            }
            _ => Check::Strict(*key),
        };
        PreparedKey { key: bytes, check }
    }

    /// The key this was prepared from.
    pub fn key(&self) -> [u8; 32] {
        self.key
    }

    /// Verifies `signature` over `message` strictly, as [`PublicKey::verify`] does.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), VerifyError> {
        verify_many(&[(self, message, signature)]).pop().unwrap_or(Err(VerifyError))
    }

    /// The digits of the signature's `s` and of `k` = H(R ‖ A ‖ M), and the `R` that
    /// [s]B − [k]A must equal; `Err` when the answer is known without it.
    fn equation(&self, message: &[u8], signature: &Signature) -> Result<([i8; ROWS], [i8; ROWS], [u8; 32]), VerifyError> {
        let sig = signature.to_bytes();
        let mut r_bytes = [0u8; 32];
        r_bytes.copy_from_slice(&sig[..32]);
        let mut s_bytes = [0u8; 32];
        s_bytes.copy_from_slice(&sig[32..]);
        // `s` below the group's order (no malleable second form).
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)).ok_or(VerifyError)?;
        let mut h = Sha512::new();
        h.update(r_bytes);
        h.update(self.key);
        h.update(message);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        Ok((digits(s.as_bytes()), digits(k.as_bytes()), r_bytes))
    }
}

/// Verifies each signature strictly, as [`PreparedKey::verify`] does one, with one inversion
/// for all of them.
pub fn verify_many(items: &[(&PreparedKey, &[u8], &Signature)]) -> Vec<Result<(), VerifyError>> {
    let mut answers = vec![Err(VerifyError); items.len()];
    let mut pending: Vec<(usize, [u8; 32])> = Vec::with_capacity(items.len());
    let mut sums: Vec<(&Comb, [i8; ROWS], &Comb, [i8; ROWS])> = Vec::with_capacity(items.len());
    for (i, (key, message, signature)) in items.iter().enumerate() {
        match &key.check {
            Check::Table(comb) => match key.equation(message, signature) {
                Ok((s, k, r)) => {
                    pending.push((i, r));
                    sums.push((base(), s, comb, k));
                }
                Err(e) => answers[i] = Err(e),
            },
            Check::Strict(public) => answers[i] = public.verify(message, signature),
            Check::Nothing => {}
        }
    }
    let expected = double_multiples(&sums);
    let z: Vec<Fe> = expected.iter().map(Point::z).collect();
    for (((i, r), expected), z_inverse) in pending.iter().zip(&expected).zip(Fe::invert_all(&z)) {
        // R must be [s]B − [k]A, compared as encodings: a non-canonical R, or one off the curve,
        // never equals the recomputed (canonical) one, so R need not be decompressed first;
        // once equal, R *is* the recomputed point, whose small order `verify_strict` refuses.
        if expected.encode(z_inverse) == *r && !small_order().contains(r) {
            answers[*i] = Ok(());
        }
    }
    answers
}

impl std::fmt::Debug for PreparedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PreparedKey({})", hex::encode(self.key))
    }
}

/// Prepared keys by key, at most `capacity` of them (512 KB each); when full it starts again,
/// which costs only time.
#[derive(Debug)]
pub struct KeyTables {
    capacity: usize,
    tables: Mutex<HashMap<[u8; 32], Arc<PreparedKey>>>,
}

impl Default for KeyTables {
    /// Room for 256 keys (128 MB at most): a large department's devices several times over.
    fn default() -> Self {
        KeyTables::new(256)
    }
}

impl KeyTables {
    /// An empty cache for at most `capacity` keys.
    pub fn new(capacity: usize) -> KeyTables {
        KeyTables { capacity: capacity.max(1), tables: Mutex::new(HashMap::new()) }
    }

    /// The prepared form of `key`, built on first use.
    pub fn get(&self, key: &PublicKey) -> Arc<PreparedKey> {
        let bytes = key.to_bytes();
        // A poisoned lock only means another thread panicked while inserting; the map is intact.
        if let Some(p) = self.tables.lock().unwrap_or_else(|e| e.into_inner()).get(&bytes) {
            return p.clone();
        }
        // Built outside the lock: two threads may both build one, and one of them is kept.
        let prepared = Arc::new(PreparedKey::new(key));
        let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        if tables.len() >= self.capacity {
            tables.clear();
        }
        tables.entry(bytes).or_insert(prepared).clone()
    }

    /// How many keys are prepared.
    pub fn len(&self) -> usize {
        self.tables.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DeviceKey;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use curve25519_dalek::edwards::EdwardsPoint;

    fn both(key: &PublicKey, message: &[u8], sig: &Signature) -> (bool, bool) {
        (key.verify(message, sig).is_ok(), PreparedKey::new(key).verify(message, sig).is_ok())
    }

    #[test]
    fn agrees_with_strict_verification() {
        let device = DeviceKey::from_seed(&[7; 32]);
        let key = device.public();
        let prepared = PreparedKey::new(&key);
        let other = DeviceKey::from_seed(&[8; 32]);
        // ℓ, the group's order, little-endian: adding it to `s` gives the malleable form.
        let ell: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let add_ell = |sig: &Signature| {
            let mut b = sig.to_bytes();
            let mut carry = 0u16;
            for i in 0..32 {
                let v = u16::from(b[32 + i]) + u16::from(ell[i]) + carry;
                b[32 + i] = v as u8;
                carry = v >> 8;
            }
            Signature(b)
        };
        let mut cases = 0;
        for n in 0..64u32 {
            let message = format!("record {n} of the device").into_bytes();
            let good = device.sign(&message);
            let mut flipped = good.to_bytes();
            flipped[(n as usize * 7) % 64] ^= 1 << (n % 8);
            let mut torsioned = good.to_bytes();
            // R plus a point of small order: the same signature as a cofactored check sees it.
            let r = CompressedEdwardsY(good.to_bytes()[..32].try_into().unwrap()).decompress().unwrap();
            torsioned[..32].copy_from_slice((r + EIGHT_TORSION[(n % 7 + 1) as usize]).compress().as_bytes());
            let mut small_r = good.to_bytes();
            small_r[..32].copy_from_slice(EIGHT_TORSION[(n % 8) as usize].compress().as_bytes());
            let table: [(&str, &[u8], Signature, bool); 6] = [
                ("valid", &message, good, true),
                ("another message", b"another", good, false),
                ("a bit flipped", &message, Signature(flipped), false),
                ("s + l (malleable)", &message, add_ell(&good), false),
                ("R with torsion", &message, Signature(torsioned), false),
                ("R of small order", &message, Signature(small_r), false),
            ];
            for (what, m, sig, expected) in table {
                assert_eq!(key.verify(m, &sig).is_ok(), expected, "strict, {what}, n={n}");
                assert_eq!(prepared.verify(m, &sig).is_ok(), expected, "prepared, {what}, n={n}");
                cases += 1;
            }
            assert_eq!(both(&other.public(), &message, &good), (false, false), "another key, n={n}");
        }
        assert_eq!(cases, 64 * 6);
    }

    #[test]
    fn many_at_once_answer_as_each_alone() {
        // Twelve keys, their signatures interleaved in one call, a third of them altered (a
        // byte of R, of s, or of the message); plus a key checked the slow way and one that
        // verifies nothing. Every answer must be verify_strict's.
        let devices: Vec<DeviceKey> = (0..12u8).map(|i| DeviceKey::from_seed(&[i + 40; 32])).collect();
        let mut prepared: Vec<PreparedKey> = devices.iter().map(|d| PreparedKey::new(&d.public())).collect();
        assert!(prepared.iter().all(|p| matches!(p.check, Check::Table(_))), "every key decodes here as in dalek");
        prepared[10].check = Check::Strict(devices[10].public());
        prepared[8].check = Check::Nothing;
        let mut cases: Vec<(usize, Vec<u8>, Signature)> = Vec::new();
        for n in 0..240usize {
            let d = n % devices.len();
            let noise: [u8; 64] = Sha512::digest(n.to_le_bytes()).into();
            let mut message = format!("record {n}").into_bytes();
            let mut sig = devices[d].sign(&message).to_bytes();
            match n % 6 {
                1 => sig[usize::from(noise[0]) % 32] ^= noise[1] | 1,
                3 => sig[32 + usize::from(noise[0]) % 32] ^= noise[1] | 1,
                5 => {
                    let at = usize::from(noise[0]) % message.len();
                    message[at] ^= noise[1] | 1;
                }
                _ => {}
            }
            cases.push((d, message, Signature(sig)));
        }
        let items: Vec<_> = cases.iter().map(|(d, m, sig)| (&prepared[*d], m.as_slice(), sig)).collect();
        let answers = verify_many(&items);
        for (n, ((d, m, sig), got)) in cases.iter().zip(&answers).enumerate() {
            let strict = devices[*d].public().verify(m, sig);
            let expected = if *d == 8 { Err(VerifyError) } else { strict };
            assert_eq!(*got, expected, "case {n}, key {d}");
        }
        let valid = answers.iter().filter(|a| a.is_ok()).count();
        assert_eq!(valid, 240 / 2 - 240 / 12, "the unaltered half, less the key that verifies nothing");
        assert!(verify_many(&[]).is_empty());
    }

    #[test]
    fn a_non_canonical_r_is_refused_by_both() {
        // y = p + 1, a non-canonical encoding of the identity (y = 1): both refuse it.
        let device = DeviceKey::from_seed(&[9; 32]);
        let message = b"m";
        let mut sig = device.sign(message).to_bytes();
        let mut non_canonical = [0xffu8; 32];
        non_canonical[0] = 0xee;
        non_canonical[31] = 0x7f;
        sig[..32].copy_from_slice(&non_canonical);
        assert_eq!(both(&device.public(), message, &Signature(sig)), (false, false));
    }

    #[test]
    fn the_keys_holder_cannot_pass_a_small_order_r() {
        // With the secret scalar a, the holder can choose R = identity and s = k·a, so that
        // [s]B − [k]A is exactly R: the equation holds, and only the small-order rule refuses it.
        let seed = [11u8; 32];
        let device = DeviceKey::from_seed(&seed);
        let key = device.public();
        let expanded: [u8; 64] = Sha512::digest(seed).into();
        let mut a_bytes = [0u8; 32];
        a_bytes.copy_from_slice(&expanded[..32]);
        let a = Scalar::from_bytes_mod_order(curve25519_dalek::scalar::clamp_integer(a_bytes));
        let r = EdwardsPoint::default().compress().to_bytes();
        let message = b"a record the holder wants to be disputed";
        let mut h = Sha512::new();
        h.update(r);
        h.update(key.to_bytes());
        h.update(message);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&r);
        sig[32..].copy_from_slice((k * a).as_bytes());
        let expected = EdwardsPoint::mul_base(&(k * a)) - EdwardsPoint::mul_base(&a) * k;
        assert_eq!(expected.compress().to_bytes(), r, "the crafted signature satisfies the equation");
        assert_eq!(both(&key, message, &Signature(sig)), (false, false));
    }

    #[test]
    fn a_small_order_key_verifies_nothing() {
        let weak = EdwardsPoint::default().compress().to_bytes(); // the identity
        assert!(PublicKey::from_bytes(&weak).is_err(), "PublicKey refuses it when read");
        let prepared = PreparedKey { key: weak, check: Check::Nothing };
        assert!(prepared.verify(b"m", &Signature([0; 64])).is_err());
    }

    #[test]
    fn the_cache_is_bounded_and_shared() {
        let tables = KeyTables::new(2);
        let keys: Vec<PublicKey> = (0..3u8).map(|i| DeviceKey::from_seed(&[i; 32]).public()).collect();
        let a = tables.get(&keys[0]);
        assert!(Arc::ptr_eq(&a, &tables.get(&keys[0])), "the same key gives the same table");
        tables.get(&keys[1]);
        assert_eq!(tables.len(), 2);
        tables.get(&keys[2]);
        assert_eq!(tables.len(), 1, "full: started again");
        assert_eq!(tables.get(&keys[2]).key(), keys[2].to_bytes());
    }
}
