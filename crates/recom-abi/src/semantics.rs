//! The semantics vocabulary of an embedding column.
//!
//! A column maps a batch of B rows, each a bag of `i64` ids (and optionally
//! one `f32` weight per id), to a `[B, D]` block of its table:
//! an optional [`Filter`] first maps ids outside `[lo, hi)` to -1 (dropped)
//! or to a default id; ids < 0 are dropped; an id >= the table's row count is
//! never read ([`OutOfRange`] says what happens instead); the remaining rows
//! are pooled by the [`Combiner`].
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// Implements `as_str`, `ALL`, `Display` and `FromStr` (error: a message
/// listing the accepted spellings) for a field-less enum.
macro_rules! spelled {
    ($name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every spelling, in declaration order.
            pub const SPELLINGS: &'static [&'static str] = &[$($text),+];
            /// The spelling used in IR attributes, flags and artifacts.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "'{other}' is not one of {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

/// How a bag's embeddings are pooled: `sum` = Σ w·e, `mean` = Σ w·e / Σ w,
/// `sqrtn` = Σ w·e / sqrt(Σ w²) (w = 1 for unweighted columns; for `mean`
/// and `sqrtn` ids whose weight is <= 0 are dropped, as TensorFlow's
/// `safe_embedding_lookup_sparse` does), accumulated in f32 in id order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Combiner {
    Sum,
    Mean,
    Sqrtn,
}
spelled!(Combiner { Sum = "sum", Mean = "mean", Sqrtn = "sqrtn" });

/// What a lookup does with an id >= its table's row count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OutOfRange {
    /// The request fails with an error naming the column, row and id.
    Error,
    /// The id is ignored, like a negative id.
    Drop,
    /// The id is replaced by this row.
    Default(i64),
}

/// [`OutOfRange`] without its default id: the `on_out_of_range` spelling,
/// and what the kernel's code (not its data) depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutOfRangeKind {
    Error,
    Drop,
    Default,
}
spelled!(OutOfRangeKind { Error = "error", Drop = "drop", Default = "default" });

impl OutOfRange {
    pub fn kind(self) -> OutOfRangeKind {
        match self {
            OutOfRange::Error => OutOfRangeKind::Error,
            OutOfRange::Drop => OutOfRangeKind::Drop,
            OutOfRange::Default(_) => OutOfRangeKind::Default,
        }
    }

    /// The policy of `kind`; `default_id` is required for `default` and
    /// ignored otherwise.
    pub fn from_kind(kind: OutOfRangeKind, default_id: Option<i64>) -> Result<Self, String> {
        Ok(match kind {
            OutOfRangeKind::Error => OutOfRange::Error,
            OutOfRangeKind::Drop => OutOfRange::Drop,
            OutOfRangeKind::Default => OutOfRange::Default(
                default_id.ok_or_else(|| "is required when on_out_of_range = \"default\"".to_string())?,
            ),
        })
    }

    /// The replacement row under `default`.
    pub fn default_id(self) -> Option<i64> {
        match self {
            OutOfRange::Default(id) => Some(id),
            OutOfRange::Error | OutOfRange::Drop => None,
        }
    }
}

/// A range filter on ids (`emb.range_filter`, or one absorbed into a fused
/// column): an id outside `[lo, hi)` becomes -1 (dropped, `default` `None`)
/// or `default`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Filter {
    pub lo: i64,
    pub hi: i64,
    pub default: Option<i64>,
}

impl Filter {
    /// The id after the filter (-1: dropped).
    pub fn apply(&self, id: i64) -> i64 {
        if id < self.lo || id >= self.hi {
            self.default.unwrap_or(-1)
        } else {
            id
        }
    }
}

/// Vocabulary keys: all strings or all integers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Keys {
    Str(Vec<String>),
    I64(Vec<i64>),
}

impl Keys {
    pub fn len(&self) -> usize {
        match self {
            Keys::Str(k) => k.len(),
            Keys::I64(k) => k.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A vocabulary's id for a key at `position` among `len` keys (`None`:
/// absent): `first` + the position; an absent key gets `oov_base` (default
/// `first + len`, after the keys) + `hash(oov_buckets)` (its hash bucket)
/// with OOV buckets, else `default`. Ids wrap as the kernel's i64
/// arithmetic does (a plan's numbering is untrusted; a wrapped id is out of
/// range). The rule the host op, the kernel's record and the oracle share.
pub fn vocabulary_id(position: Option<usize>, len: usize, first: i64, default: i64, oov_buckets: u64, oov_base: Option<i64>, hash: impl FnOnce(u64) -> i64) -> i64 {
    match (position, oov_buckets) {
        (Some(p), _) => first.wrapping_add(p as i64),
        (None, 0) => default,
        (None, oov) => first_oov_id(first, len, oov_base).wrapping_add(hash(oov)),
    }
}

/// A vocabulary's first OOV bucket id: `oov_base`, or after the `len` keys.
pub fn first_oov_id(first: i64, len: usize, oov_base: Option<i64>) -> i64 {
    oov_base.unwrap_or(first.wrapping_add(len as i64))
}

/// TensorFlow's `Bucketize` of one value: how many of the strictly
/// increasing `boundaries` are <= `v` (`std::upper_bound`: NaN is below no
/// boundary, so it lands past them all). The oracle of the host's fast
/// path and of the kernel's search.
#[allow(clippy::neg_cmp_op_on_partial_ord)] // `!(v < b)` is true for NaN, as TensorFlow's is
pub fn bucket(boundaries: &[f64], v: f64) -> usize {
    boundaries.partition_point(|&b| !(v < b))
}

/// A bucketized column's raw entry as the host ships it for the kernel to
/// bucketize ([`IdTransform::Bucketize`], `emb.float_entries`): the entry's
/// position `j` in its row in the high 32 bits, the f32's bits in the low.
pub fn float_entry(j: usize, x: f32) -> i64 {
    ((j as i64) << 32) | x.to_bits() as i64
}

/// How a fused column turns the raw value the host sends into the id it
/// looks up, inside the kernel (before its filter and out-of-range policy):
/// the host then ships each feature value once, untransformed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IdTransform {
    /// An absorbed `emb.hash_bucket` of an integer input: TensorFlow's
    /// `AsString` + `StringToHashBucketFast`, i.e. FarmHash Fingerprint64 of
    /// the value's decimal form, modulo `buckets` (> 0).
    IntHashBucket { buckets: u64 },
    /// An absorbed `emb.hash_bucket` of string ids: TensorFlow's
    /// `StringToHashBucketFast`, Fingerprint64 of the bytes modulo `buckets`.
    /// The raw values are string references ([`crate::request::string_ref`])
    /// into the request's bytes.
    StrHashBucket { buckets: u64 },
    /// An absorbed `emb.vocabulary`: a key's id is `first` + its position
    /// in `keys`; an absent key gets `oov_base` (default `first` + the key
    /// count) + its hash bucket among `oov_buckets` (Fingerprint64 of the
    /// string, or of an integer's decimal form) when there are OOV
    /// buckets, else `default`. String keys take string references.
    Vocabulary {
        keys: Keys,
        default: i64,
        oov_buckets: u64,
        #[serde(default, skip_serializing_if = "is_zero")]
        first: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        oov_base: Option<i64>,
    },
    /// An absorbed `emb.bucketized_sparse`: the raw value is a
    /// [`float_entry`] (position j, f32 x) and its id is
    /// `bucket(boundaries, x) + j * (len(boundaries) + 1)`.
    Bucketize { boundaries: Vec<f64> },
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

// Boundaries are checked strictly increasing ([`IdTransform::check`]), so
// never NaN: equality is reflexive.
impl Eq for IdTransform {}

impl IdTransform {
    /// The id for raw value `raw` of a column whose strings are `bytes`
    /// (the oracle the kernel's code is tested against). A string reference
    /// outside `bytes` (which validation refuses first) reads the empty string.
    pub fn apply(&self, raw: i64, bytes: &[u8]) -> i64 {
        let text = || crate::request::string_of(raw, bytes).unwrap_or_default();
        match self {
            IdTransform::IntHashBucket { buckets } => crate::hash::int_to_hash_bucket(raw, *buckets),
            IdTransform::StrHashBucket { buckets } => crate::hash::string_to_hash_bucket(text(), *buckets),
            IdTransform::Vocabulary { keys, default, oov_buckets, first, oov_base } => {
                let position = match keys {
                    Keys::I64(k) => k.iter().position(|&k| k == raw),
                    Keys::Str(k) => k.iter().position(|k| k.as_bytes() == text()),
                };
                vocabulary_id(position, keys.len(), *first, *default, *oov_buckets, *oov_base, |oov| match keys {
                    Keys::I64(_) => crate::hash::int_to_hash_bucket(raw, oov),
                    Keys::Str(_) => crate::hash::string_to_hash_bucket(text(), oov),
                })
            }
            IdTransform::Bucketize { boundaries } => {
                let x = f32::from_bits(raw as u32);
                let j = (raw as u64 >> 32) as i64;
                (bucket(boundaries, x as f64) as i64).wrapping_add(j.wrapping_mul(boundaries.len() as i64 + 1))
            }
        }
    }

    /// Whether the raw values are string references (the column's input
    /// carries bytes).
    pub fn takes_strings(&self) -> bool {
        matches!(self, IdTransform::StrHashBucket { .. } | IdTransform::Vocabulary { keys: Keys::Str(_), .. })
    }

    /// Whether the kernel needs the raw values at full 64-bit width (an i32
    /// clamp would change the id).
    pub fn needs_64_bit_values(&self) -> bool {
        true
    }

    /// The transform's parameters make sense (a plan is untrusted input): a
    /// positive bucket count that fits an i64, OOV bucket counts that fit
    /// one, distinct keys (string keys with distinct fingerprints, which
    /// the kernel searches), strictly increasing boundaries.
    #[allow(clippy::neg_cmp_op_on_partial_ord)] // a NaN boundary is refused too
    pub fn check(&self) -> Result<(), String> {
        match self {
            IdTransform::IntHashBucket { buckets } | IdTransform::StrHashBucket { buckets } => {
                if *buckets == 0 || *buckets > i64::MAX as u64 {
                    return Err(format!("{buckets} buckets"));
                }
            }
            IdTransform::Vocabulary { keys, oov_buckets, .. } => {
                if *oov_buckets > i64::MAX as u64 {
                    return Err(format!("{oov_buckets} OOV buckets"));
                }
                let mut sorted: Vec<u64> = match keys {
                    Keys::I64(k) => k.iter().map(|&k| k as u64).collect(),
                    Keys::Str(k) => k.iter().map(|k| crate::hash::fingerprint64(k.as_bytes())).collect(),
                };
                sorted.sort_unstable();
                if sorted.windows(2).any(|w| w[0] == w[1]) {
                    return Err(if matches!(keys, Keys::Str(_)) { "two keys have the same fingerprint".into() } else { "a key appears twice".into() });
                }
            }
            IdTransform::Bucketize { boundaries } => {
                if boundaries.windows(2).any(|w| !(w[0] < w[1])) || boundaries.iter().any(|b| b.is_nan()) {
                    return Err("bucket boundaries are not strictly increasing".into());
                }
                if boundaries.len() >= (1 << 31) {
                    return Err(format!("{} bucket boundaries", boundaries.len()));
                }
            }
        }
        Ok(())
    }

    /// The hash's bucket count (for the hash transforms).
    pub fn buckets(&self) -> Option<u64> {
        match *self {
            IdTransform::IntHashBucket { buckets } | IdTransform::StrHashBucket { buckets } => Some(buckets),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_hash_bucket_transform_is_tensorflows_hash_of_the_decimal_form() {
        let t = IdTransform::IntHashBucket { buckets: 1000 };
        for raw in [0, -1, 7, i64::MIN, i64::MAX, 1 << 40] {
            assert_eq!(t.apply(raw, &[]), crate::hash::int_to_hash_bucket(raw, 1000));
        }
        assert!(t.needs_64_bit_values());
        assert_eq!(t.buckets(), Some(1000));
        let s = IdTransform::StrHashBucket { buckets: 77 };
        let bytes = b"xxhello";
        assert_eq!(s.apply(crate::request::string_ref(2, 5), bytes), crate::hash::string_to_hash_bucket(b"hello", 77));
        assert_eq!(s.apply(crate::request::string_ref(6, 5), bytes), crate::hash::string_to_hash_bucket(b"", 77));
        assert!(s.takes_strings() && !t.takes_strings());
    }

    #[test]
    fn spellings_round_trip_and_name_the_choices() {
        for &c in Combiner::ALL {
            assert_eq!(c.as_str().parse::<Combiner>(), Ok(c));
        }
        for &k in OutOfRangeKind::ALL {
            assert_eq!(k.to_string().parse::<OutOfRangeKind>(), Ok(k));
        }
        assert_eq!("max".parse::<Combiner>(), Err("'max' is not one of sum, mean, sqrtn".to_string()));
    }

    #[test]
    fn policies_and_filters() {
        assert_eq!(OutOfRange::from_kind(OutOfRangeKind::Default, Some(3)), Ok(OutOfRange::Default(3)));
        assert!(OutOfRange::from_kind(OutOfRangeKind::Default, None).is_err());
        assert_eq!(OutOfRange::from_kind(OutOfRangeKind::Drop, Some(3)), Ok(OutOfRange::Drop));
        assert_eq!(OutOfRange::Default(7).kind(), OutOfRangeKind::Default);
        let drop = Filter { lo: 0, hi: 10, default: None };
        assert_eq!((drop.apply(-1), drop.apply(0), drop.apply(9), drop.apply(10)), (-1, 0, 9, -1));
        let default = Filter { default: Some(4), ..drop };
        assert_eq!((default.apply(i64::MIN), default.apply(5), default.apply(i64::MAX)), (4, 5, 4));
    }
}
