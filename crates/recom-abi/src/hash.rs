//! TensorFlow's string hashes, bit-exact: the host program, the reference
//! evaluator and the tests all hash through these.

const K0: u64 = 0xc3a5c85c97cb3127;
const K1: u64 = 0xb492b66fbe98f273;
const K2: u64 = 0x9ae16a3b2f90404f;

fn fetch64(s: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"))
}

fn fetch32(s: &[u8], at: usize) -> u64 {
    u32::from_le_bytes(s[at..at + 4].try_into().expect("4 bytes")).into()
}

fn shift_mix(v: u64) -> u64 {
    v ^ (v >> 47)
}

fn hash_len16(u: u64, v: u64, mul: u64) -> u64 {
    let a = shift_mix((u ^ v).wrapping_mul(mul));
    shift_mix((v ^ a).wrapping_mul(mul)).wrapping_mul(mul)
}

/// FarmHash's `WeakHashLen32WithSeeds` of `s[at..at + 32]`.
fn weak32(s: &[u8], at: usize, a: u64, b: u64) -> (u64, u64) {
    let (w, x, y, z) = (fetch64(s, at), fetch64(s, at + 8), fetch64(s, at + 16), fetch64(s, at + 24));
    let a = a.wrapping_add(w);
    let b = b.wrapping_add(a).wrapping_add(z).rotate_right(21);
    let c = a;
    let a = a.wrapping_add(x).wrapping_add(y);
    let b = b.wrapping_add(a.rotate_right(44));
    (a.wrapping_add(z), b.wrapping_add(c))
}

/// FarmHash Fingerprint64 (TensorFlow's `Fingerprint64`, farmhashna's
/// `Hash64`), bit-exact with TensorFlow.
///
/// Written out rather than taken from the `farmhash` crate: that crate runs
/// the 64-byte loop once too often when the length is a multiple of 64 (128,
/// 192, ... bytes: other fingerprints than TensorFlow's, found against
/// `tests/data/tf_fingerprint64.txt`). The fused kernel's in-register hash
/// (`passes/src/emb/fused_kernel/hash.rs`) is tested against this one.
pub fn fingerprint64(s: &[u8]) -> u64 {
    let len = s.len();
    let n = len as u64;
    if len <= 16 {
        if len >= 8 {
            let mul = K2.wrapping_add(n * 2);
            let a = fetch64(s, 0).wrapping_add(K2);
            let b = fetch64(s, len - 8);
            let c = b.rotate_right(37).wrapping_mul(mul).wrapping_add(a);
            let d = a.rotate_right(25).wrapping_add(b).wrapping_mul(mul);
            return hash_len16(c, d, mul);
        }
        if len >= 4 {
            let mul = K2.wrapping_add(n * 2);
            return hash_len16(n.wrapping_add(fetch32(s, 0) << 3), fetch32(s, len - 4), mul);
        }
        if len > 0 {
            let y = u64::from(s[0]) + (u64::from(s[len >> 1]) << 8);
            let z = n + (u64::from(s[len - 1]) << 2);
            return shift_mix(y.wrapping_mul(K2) ^ z.wrapping_mul(K0)).wrapping_mul(K2);
        }
        return K2;
    }
    if len <= 32 {
        let mul = K2.wrapping_add(n * 2);
        let a = fetch64(s, 0).wrapping_mul(K1);
        let b = fetch64(s, 8);
        let c = fetch64(s, len - 8).wrapping_mul(mul);
        let d = fetch64(s, len - 16).wrapping_mul(K2);
        return hash_len16(
            a.wrapping_add(b).rotate_right(43).wrapping_add(c.rotate_right(30)).wrapping_add(d),
            a.wrapping_add(b.wrapping_add(K2).rotate_right(18)).wrapping_add(c),
            mul,
        );
    }
    if len <= 64 {
        let mul = K2.wrapping_add(n * 2);
        let a = fetch64(s, 0).wrapping_mul(K2);
        let b = fetch64(s, 8);
        let c = fetch64(s, len - 8).wrapping_mul(mul);
        let d = fetch64(s, len - 16).wrapping_mul(K2);
        let y = a.wrapping_add(b).rotate_right(43).wrapping_add(c.rotate_right(30)).wrapping_add(d);
        let z = hash_len16(y, a.wrapping_add(b.wrapping_add(K2).rotate_right(18)).wrapping_add(c), mul);
        let e = fetch64(s, 16).wrapping_mul(mul);
        let f = fetch64(s, 24);
        let g = y.wrapping_add(fetch64(s, len - 32)).wrapping_mul(mul);
        let h = z.wrapping_add(fetch64(s, len - 24)).wrapping_mul(mul);
        return hash_len16(
            e.wrapping_add(f).rotate_right(43).wrapping_add(g.rotate_right(30)).wrapping_add(h),
            e.wrapping_add(f.wrapping_add(a).rotate_right(18)).wrapping_add(g),
            mul,
        );
    }
    // Over 64 bytes: (len - 1) / 64 blocks of 64, then the last 64 bytes.
    const SEED: u64 = 81;
    let mut x = SEED;
    let mut y = SEED.wrapping_mul(K1).wrapping_add(113);
    let mut z = shift_mix(y.wrapping_mul(K2).wrapping_add(113)).wrapping_mul(K2);
    let (mut v, mut w) = ((0u64, 0u64), (0u64, 0u64));
    x = x.wrapping_mul(K2).wrapping_add(fetch64(s, 0));
    for at in (0..(len - 1) / 64).map(|k| 64 * k) {
        x = x.wrapping_add(y).wrapping_add(v.0).wrapping_add(fetch64(s, at + 8)).rotate_right(37).wrapping_mul(K1);
        y = y.wrapping_add(v.1).wrapping_add(fetch64(s, at + 48)).rotate_right(42).wrapping_mul(K1);
        x ^= w.1;
        y = y.wrapping_add(v.0).wrapping_add(fetch64(s, at + 40));
        z = z.wrapping_add(w.0).rotate_right(33).wrapping_mul(K1);
        v = weak32(s, at, v.1.wrapping_mul(K1), x.wrapping_add(w.0));
        w = weak32(s, at + 32, z.wrapping_add(w.1), y.wrapping_add(fetch64(s, at + 16)));
        std::mem::swap(&mut z, &mut x);
    }
    let mul = K1.wrapping_add((z & 0xff) << 1);
    let at = len - 64;
    w.0 = w.0.wrapping_add((n - 1) & 63);
    v.0 = v.0.wrapping_add(w.0);
    w.0 = w.0.wrapping_add(v.0);
    x = x.wrapping_add(y).wrapping_add(v.0).wrapping_add(fetch64(s, at + 8)).rotate_right(37).wrapping_mul(mul);
    y = y.wrapping_add(v.1).wrapping_add(fetch64(s, at + 48)).rotate_right(42).wrapping_mul(mul);
    x ^= w.1.wrapping_mul(9);
    y = y.wrapping_add(v.0.wrapping_mul(9)).wrapping_add(fetch64(s, at + 40));
    z = z.wrapping_add(w.0).rotate_right(33).wrapping_mul(mul);
    v = weak32(s, at, v.1.wrapping_mul(mul), x.wrapping_add(w.0));
    w = weak32(s, at + 32, z.wrapping_add(w.1), y.wrapping_add(fetch64(s, at + 16)));
    std::mem::swap(&mut z, &mut x);
    hash_len16(
        hash_len16(v.0, w.0, mul).wrapping_add(shift_mix(y).wrapping_mul(K0)).wrapping_add(z),
        hash_len16(v.1, w.1, mul).wrapping_add(x),
        mul,
    )
}

/// `StringToHashBucketFast`: Fingerprint64 of the bytes modulo `num_buckets`
/// (> 0).
pub fn string_to_hash_bucket(bytes: &[u8], num_buckets: u64) -> i64 {
    (fingerprint64(bytes) % num_buckets) as i64
}

/// `AsString` + `StringToHashBucketFast` of an integer id (its decimal form).
pub fn int_to_hash_bucket(id: i64, num_buckets: u64) -> i64 {
    string_to_hash_bucket(id.to_string().as_bytes(), num_buckets)
}

/// `FingerprintCat64`: combines two 64-bit fingerprints (hashed crosses).
pub fn fingerprint_cat64(fp1: u64, fp2: u64) -> u64 {
    const MUL: u64 = 0xc6a4a7935bd1e995;
    let shift_mix = |v: u64| v ^ (v >> 47);
    let mut result = fp1 ^ MUL;
    result ^= shift_mix(fp2.wrapping_mul(MUL)).wrapping_mul(MUL);
    result = result.wrapping_mul(MUL);
    result = shift_mix(result).wrapping_mul(MUL);
    shift_mix(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint64_known_values() {
        // FarmHash's Fingerprint64 of the empty string is its constant k2;
        // TensorFlow's tests are checked against the corpus in recom-tf.
        assert_eq!(fingerprint64(b""), 0x9ae16a3b2f90404f);
        assert_eq!(string_to_hash_bucket(b"", 1000), (0x9ae16a3b2f90404f_u64 % 1000) as i64);
    }

    /// Every length 0..200 (each length class, both sides of each boundary)
    /// and long strings, against fingerprints TensorFlow computed.
    #[test]
    fn fingerprint64_equals_tensorflows() {
        let recorded = include_str!("../tests/data/tf_fingerprint64.txt");
        let mut checked = 0;
        for line in recorded.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            let (n, want) = line.split_once(' ').expect("n fingerprint");
            let n: usize = n.parse().unwrap();
            let s: Vec<u8> = (0..n).map(|i| ((7 * i + n) % 251) as u8).collect();
            assert_eq!(fingerprint64(&s), want.parse::<u64>().unwrap(), "length {n}");
            checked += 1;
        }
        assert_eq!(checked, 208);
    }

    #[test]
    fn int_ids_hash_their_decimal_form() {
        assert_eq!(int_to_hash_bucket(-42, 1000), string_to_hash_bucket(b"-42", 1000));
        assert_eq!(int_to_hash_bucket(i64::MIN, 97), string_to_hash_bucket(b"-9223372036854775808", 97));
    }

    #[test]
    fn fingerprint_cat64_mixes_both_inputs_in_order() {
        assert_ne!(fingerprint_cat64(1, 2), fingerprint_cat64(2, 1));
        assert_ne!(fingerprint_cat64(1, 2), fingerprint_cat64(1, 3));
    }
}
