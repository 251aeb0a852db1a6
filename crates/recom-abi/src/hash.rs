//! TensorFlow's string hashes, bit-exact: the host program, the reference
//! evaluator and the tests all hash through these.

/// FarmHash Fingerprint64 (TensorFlow's `Fingerprint64`).
pub fn fingerprint64(bytes: &[u8]) -> u64 {
    farmhash::fingerprint64(bytes)
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
