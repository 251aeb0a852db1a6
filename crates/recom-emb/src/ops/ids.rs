//! Id transforms: hashing, bucketizing, range filters, vocabularies,
//! fingerprints and hashed crosses.
use crate::{build, out_of_range_attrs, read_out_of_range, Filter, HostOp, Keys, OutOfRange};
use melior::{
    ir::{operation::{OperationBuilder, OperationLike, OperationRef}, Location, Operation, Type, Value, ValueLike},
    Context,
};
use recom_ir::{
    check::{attr, ids_result, int_vector, tensor, Check},
    kit::{self, AttrError, Elem},
    op_view, AttrC, AttrSlot, IntBounds, OpDef, Slot,
};

/// The ops of this group, in declaration order.
pub const ID_TRANSFORM_OPS: &[OpDef] = &[HASH_BUCKET, BUCKETIZE, RANGE_FILTER, VOCABULARY, FINGERPRINT, CROSS_HASHED];

/// `emb.hash_bucket`.
pub const HASH_BUCKET: OpDef = OpDef {
    name: "emb.hash_bucket",
    doc: "ids -> FarmHash Fingerprint64(bytes) mod num_buckets, TensorFlow's
StringToHashBucketFast: string ids (`!tf.string`) are hashed as they are,
integer ids as their decimal string (AsString + StringToHashBucketFast).
On i64 ids that feed a lookup, emb-fuse-columns absorbs it into the fused
column (`transform = \"int_hash_bucket\"`: the kernel hashes the raw ids);
otherwise it runs in the runtime's host program.
  attrs: num_buckets : i64 > 0",
    operands: &[Slot::tensor("ids")],
    results: &[Slot::tensor("result")],
    attributes: &[AttrSlot::new("num_buckets", AttrC::Integer)],
    verify: check_hash_bucket,
    int_range: Some(range_hash_bucket),
    host: Some(host_hash_bucket),
};

/// `emb.bucketize`.
pub const BUCKETIZE: OpDef = OpDef {
    name: "emb.bucketize",
    doc: "values -> index of the bucket, TensorFlow's Bucketize: the number of
boundaries <= value. Result ids lie in [0, len(boundaries)].
  attrs: boundaries : array<f64>, strictly increasing",
    operands: &[Slot::tensor("values")],
    results: &[Slot::tensor("result")],
    attributes: &[AttrSlot::new("boundaries", AttrC::DenseArray)],
    verify: check_bucketize,
    int_range: Some(range_bucketize),
    host: None,
};

/// `emb.range_filter`.
pub const RANGE_FILTER: OpDef = OpDef {
    name: "emb.range_filter",
    doc: "ids outside [lo, hi) become -1 (dropped by every lookup) or default_id.
A lookup applies it in the fused kernel; the host program runs it where a
host op reads its result (a crossed column's input).
  attrs: lo < hi : i64, on_out_of_range : \"drop\" | \"default\",
         default_id : i64 in [lo, hi) (only with \"default\")",
    operands: &[Slot::tensor("ids")],
    results: &[Slot::tensor("result")],
    attributes: &[AttrSlot::new("lo", AttrC::Integer), AttrSlot::new("hi", AttrC::Integer), AttrSlot::new("on_out_of_range", AttrC::OneOf(&["drop", "default"]))],
    verify: check_range_filter,
    int_range: Some(range_range_filter),
    host: Some(host_range_filter),
};

/// `emb.vocabulary`.
pub const VOCABULARY: OpDef = OpDef {
    name: "emb.vocabulary",
    doc: "Keys -> first_id + their position in `keys` (TensorFlow's HashTableV2
filled with keys[i] -> first_id + i and read by LookupTableFindV2; Keras'
StringLookup numbers keys after its OOV indices). An absent key gives
default_id, or, with num_oov_buckets = k > 0, oov_base +
Fingerprint64(key as a string) mod k (TensorFlow's OOV buckets: oov_base =
first_id + len(keys), after the keys; Keras' lookups with k OOV indices:
oov_base = 0, before keys numbered from first_id = k).
Keys are strings (`!tf.string` input) or i64.
Runs on the host (the runtime's host program).
  attrs: keys : array of strings or of i64, distinct; default_id : i64;
         [num_oov_buckets : i64 >= 0, absent = 0];
         [first_id : i64 >= 0, absent = 0];
         [oov_base : i64 >= 0, absent = first_id + len(keys); only with OOV buckets]",
    operands: &[Slot::tensor("keys")],
    results: &[Slot::tensor("result")],
    attributes: &[AttrSlot::new("keys", AttrC::Array), AttrSlot::new("default_id", AttrC::Integer)],
    verify: check_vocabulary,
    int_range: Some(range_vocabulary),
    host: Some(host_vocabulary),
};

/// `emb.fingerprint`.
pub const FINGERPRINT: OpDef = OpDef {
    name: "emb.fingerprint",
    doc: "FarmHash Fingerprint64 of each string, as i64 bits (the feature hash
TensorFlow's hashed SparseCross uses for strings). Runs on the host.",
    operands: &[Slot::tensor("values")],
    results: &[Slot::tensor("result")],
    attributes: &[],
    verify: check_fingerprint,
    int_range: None,
    host: Some(host_fingerprint),
};

/// `emb.cross_hashed`.
pub const CROSS_HASHED: OpDef = OpDef {
    name: "emb.cross_hashed",
    doc: "Hashed feature cross of C SparseTensors [B, *] whose values are feature
hashes (i64; strings through emb.fingerprint), TensorFlow's SparseCross
with hashed_output: per row, every combination of one entry of each input
(the last input varies fastest), h = hash_key, then for each input
h = FingerprintCat64(h, feature); id = h mod num_buckets (unsigned).
Result: the crossed SparseTensor (indices [N, 2], ids [N], dense_shape
[B, max combinations]). Runs on the host.
  operands: C indices, C values, C dense shapes
  attrs: num_buckets : i64 > 0, hash_key : i64 (a u64's bits)",
    operands: &[Slot::tensor("indices").variadic(), Slot::tensor("values").variadic(), Slot::tensor("dense_shapes").variadic()],
    results: &[Slot::tensor("out_indices"), Slot::tensor("out_values"), Slot::tensor("out_dense_shape")],
    attributes: &[AttrSlot::new("num_buckets", AttrC::Integer), AttrSlot::new("hash_key", AttrC::Integer)],
    verify: check_cross_hashed,
    int_range: Some(range_cross_hashed),
    host: Some(host_cross_hashed),
};

// ---- builders and views ----------------------------------------------------

/// `emb.hash_bucket`: ids -> Fingerprint64(decimal string) mod `num_buckets`.
pub fn hash_bucket<'c>(
    context: &'c Context,
    location: Location<'c>,
    ids: Value<'c, '_>,
    num_buckets: i64,
    result: Type<'c>,
) -> Operation<'c> {
    build(
        OperationBuilder::new(HashBucketOp::NAME, location)
            .add_operands(&[ids])
            .add_attributes(&[kit::named(context, "num_buckets", kit::i64(context, num_buckets))])
            .add_results(&[result]),
    )
}

/// `emb.bucketize`: values -> number of `boundaries` <= value.
pub fn bucketize<'c>(
    context: &'c Context,
    location: Location<'c>,
    values: Value<'c, '_>,
    boundaries: &[f64],
    result: Type<'c>,
) -> Operation<'c> {
    build(
        OperationBuilder::new(BucketizeOp::NAME, location)
            .add_operands(&[values])
            .add_attributes(&[kit::named(context, "boundaries", kit::f64_array(context, boundaries))])
            .add_results(&[result]),
    )
}

/// `emb.range_filter`: ids outside `[lo, hi)` are dropped or defaulted.
pub fn range_filter<'c>(context: &'c Context, location: Location<'c>, ids: Value<'c, '_>, filter: Filter, result: Type<'c>) -> Operation<'c> {
    let mut attrs = vec![kit::named(context, "lo", kit::i64(context, filter.lo)), kit::named(context, "hi", kit::i64(context, filter.hi))];
    let policy = filter.default.map_or(OutOfRange::Drop, OutOfRange::Default);
    attrs.extend(out_of_range_attrs(context, policy));
    build(OperationBuilder::new(RangeFilterOp::NAME, location).add_operands(&[ids]).add_attributes(&attrs).add_results(&[result]))
}

/// `emb.vocabulary`: keys -> position in `keys`, `default_id` when absent.
pub fn vocabulary<'c>(
    context: &'c Context,
    location: Location<'c>,
    input: Value<'c, '_>,
    keys: &Keys,
    default_id: i64,
    num_oov_buckets: i64,
    result: Type<'c>,
) -> Operation<'c> {
    build(
        OperationBuilder::new(VocabularyOp::NAME, location)
            .add_operands(&[input])
            .add_attributes(&[
                kit::named(context, "keys", keys_attr(context, keys)),
                kit::named(context, "default_id", kit::i64(context, default_id)),
            ])
            .add_attributes(&if num_oov_buckets > 0 {
                vec![kit::named(context, "num_oov_buckets", kit::i64(context, num_oov_buckets))]
            } else {
                vec![]
            })
            .add_results(&[result]),
    )
}

/// `emb.fingerprint`: Fingerprint64 of each string as i64 bits.
pub fn fingerprint<'c>(location: Location<'c>, values: Value<'c, '_>, result: Type<'c>) -> Operation<'c> {
    build(OperationBuilder::new(FingerprintOp::NAME, location).add_operands(&[values]).add_results(&[result]))
}

/// `emb.cross_hashed`: the hashed cross of `inputs` (indices, values,
/// dense_shape each).
pub fn cross_hashed<'c>(
    context: &'c Context,
    location: Location<'c>,
    inputs: &[[Value<'c, '_>; 3]],
    num_buckets: i64,
    hash_key: u64,
    results: [Type<'c>; 3],
) -> Operation<'c> {
    let mut operands: Vec<Value> = inputs.iter().map(|i| i[0]).collect();
    operands.extend(inputs.iter().map(|i| i[1]));
    operands.extend(inputs.iter().map(|i| i[2]));
    let n = inputs.len() as i32;
    build(
        OperationBuilder::new(CrossHashedOp::NAME, location)
            .add_operands(&operands)
            .add_attributes(&[
                kit::named(context, "num_buckets", kit::i64(context, num_buckets)),
                kit::named(context, "hash_key", kit::i64(context, hash_key as i64)),
                kit::named(context, "operandSegmentSizes", kit::i32_array(context, &[n, n, n])),
            ])
            .add_results(&results),
    )
}

op_view!(
    /// `emb.hash_bucket`.
    HashBucketOp, "emb.hash_bucket"
);
impl<'c, 'a> HashBucketOp<'c, 'a> {
    pub fn ids(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn num_buckets(&self) -> Result<i64, AttrError> {
        kit::i64_attr(&self.0, "num_buckets")
    }
}

op_view!(
    /// `emb.bucketize`.
    BucketizeOp, "emb.bucketize"
);
impl<'c, 'a> BucketizeOp<'c, 'a> {
    pub fn values(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn boundaries(&self) -> Result<Vec<f64>, AttrError> {
        kit::f64_array_attr(&self.0, "boundaries")
    }
}

op_view!(
    /// `emb.range_filter`.
    RangeFilterOp, "emb.range_filter"
);
impl<'c, 'a> RangeFilterOp<'c, 'a> {
    pub fn ids(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn lo(&self) -> Result<i64, AttrError> {
        kit::i64_attr(&self.0, "lo")
    }
    pub fn hi(&self) -> Result<i64, AttrError> {
        kit::i64_attr(&self.0, "hi")
    }
    /// The filter: `[lo, hi)` and what becomes of the ids outside it.
    pub fn filter(&self) -> Result<Filter, AttrError> {
        let policy = read_out_of_range(&self.0)?;
        let default = match policy {
            OutOfRange::Drop => None,
            OutOfRange::Default(id) => Some(id),
            OutOfRange::Error => return Err(AttrError::new("on_out_of_range", "'error' is not one of drop, default")),
        };
        Ok(Filter { lo: self.lo()?, hi: self.hi()?, default })
    }
}

op_view!(
    /// `emb.vocabulary`.
    VocabularyOp, "emb.vocabulary"
);
impl<'c, 'a> VocabularyOp<'c, 'a> {
    pub fn input(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn default_id(&self) -> Result<i64, AttrError> {
        kit::i64_attr(&self.0, "default_id")
    }
    /// Hash buckets for absent keys (0: absent keys give `default_id`).
    pub fn first_id(&self) -> Result<i64, AttrError> {
        Ok(kit::opt_i64_attr(&self.0, "first_id")?.unwrap_or(0))
    }
    pub fn num_oov_buckets(&self) -> Result<i64, AttrError> {
        Ok(kit::opt_i64_attr(&self.0, "num_oov_buckets")?.unwrap_or(0))
    }
    /// The first OOV bucket's id, when set (else first_id + len(keys)).
    pub fn oov_base(&self) -> Result<Option<i64>, AttrError> {
        kit::opt_i64_attr(&self.0, "oov_base")
    }
    /// The keys; all strings or all integers.
    pub fn keys(&self) -> Result<Keys, AttrError> {
        keys_of(&self.0, "keys")
    }
}

/// Vocabulary keys as an array attribute of strings or integers.
pub(crate) fn keys_attr<'c>(context: &'c Context, keys: &Keys) -> melior::ir::Attribute<'c> {
    let items: Vec<melior::ir::Attribute> = match keys {
        Keys::Str(k) => k.iter().map(|k| kit::string(context, k)).collect(),
        Keys::I64(k) => k.iter().map(|&k| kit::i64(context, k)).collect(),
    };
    melior::ir::attribute::ArrayAttribute::new(context, &items).into()
}

/// The keys of array attribute `name`: all strings or all integers.
pub(crate) fn keys_of<'c>(src: &impl kit::AttrSource<'c>, name: &str) -> Result<Keys, AttrError> {
    let array = kit::array_attr(src, name)?;
    let mut strings = Vec::new();
    let mut ints = Vec::new();
    for i in 0..array.len() {
        let item = array.element(i).map_err(|e| AttrError::new(name, e.to_string()))?;
        if let Some(s) = kit::string_value(item) {
            strings.push(s.into_owned());
        } else if let Ok(v) = melior::ir::attribute::IntegerAttribute::try_from(item) {
            ints.push(v.value());
        } else {
            return Err(AttrError::new(name, format!("element {i} is neither a string nor an integer")));
        }
    }
    match (strings.is_empty(), ints.is_empty()) {
        (_, true) => Ok(Keys::Str(strings)),
        (true, false) => Ok(Keys::I64(ints)),
        (false, false) => Err(AttrError::new(name, "mixes strings and integers")),
    }
}

op_view!(
    /// `emb.fingerprint`.
    FingerprintOp, "emb.fingerprint"
);
impl<'c, 'a> FingerprintOp<'c, 'a> {
    pub fn values(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
}

op_view!(
    /// `emb.cross_hashed`.
    CrossHashedOp, "emb.cross_hashed"
);
impl<'c, 'a> CrossHashedOp<'c, 'a> {
    pub fn num_buckets(&self) -> Result<i64, AttrError> {
        kit::i64_attr(&self.0, "num_buckets")
    }
    pub fn hash_key(&self) -> Result<u64, AttrError> {
        kit::i64_attr(&self.0, "hash_key").map(|k| k as u64)
    }
    /// The crossed inputs, (indices, values, dense_shape) each.
    pub fn inputs(&self) -> Vec<[Value<'c, 'a>; 3]> {
        let n = melior::ir::operation::OperationLike::operand_count(&self.0) / 3;
        (0..n).map(|i| [self.operand(i), self.operand(n + i), self.operand(2 * n + i)]).collect()
    }
}

// ---- verification --------------------------------------------------------

fn check_hash_bucket(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = HashBucketOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    let n = attr(view.num_buckets())?;
    if n <= 0 {
        return Err(format!("attribute 'num_buckets' must be positive, got {n}"));
    }
    let input = match tensor(view.ids(), "ids")? {
        t if t.rank() == 1 && t.elem == Elem::Str => t,
        _ => int_vector(view.ids(), "ids", &[32, 64]).map_err(|e| format!("{e} (or of !tf.string)"))?,
    };
    ids_result(op, &input)
}

fn check_vocabulary(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = VocabularyOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    let keys = attr(view.keys())?;
    attr(view.default_id())?;
    let oov = attr(view.num_oov_buckets())?;
    if oov < 0 {
        return Err(format!("attribute 'num_oov_buckets' must be >= 0, got {oov}"));
    }
    let first = attr(view.first_id())?;
    if first < 0 || first.checked_add(keys.len() as i64).is_none() {
        return Err(format!("attribute 'first_id' must be >= 0, got {first}"));
    }
    if let Some(base) = attr(view.oov_base())? {
        if base < 0 || oov == 0 || base.checked_add(oov).is_none() {
            return Err(format!("attribute 'oov_base' must be >= 0 and come with OOV buckets, got {base} with {oov} buckets"));
        }
    }
    let input = tensor(view.input(), "keys operand")?;
    let fits = match &keys {
        Keys::Str(_) => input.elem == Elem::Str,
        Keys::I64(_) => input.elem == Elem::Int(64),
    };
    if input.rank() != 1 || !fits {
        let want = if matches!(keys, Keys::Str(_)) { "!tf.string" } else { "i64" };
        return Err(format!("keys operand must be a rank-1 tensor of {want} like the vocabulary, got {}", view.input().r#type()));
    }
    let duplicate = match &keys {
        Keys::Str(k) => (1..k.len()).find(|&i| k[..i].contains(&k[i])).map(|i| format!("\"{}\"", k[i])),
        Keys::I64(k) => (1..k.len()).find(|&i| k[..i].contains(&k[i])).map(|i| k[i].to_string()),
    };
    if let Some(key) = duplicate {
        return Err(format!("vocabulary key {key} appears twice"));
    }
    ids_result(op, &input)
}

fn check_fingerprint(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = FingerprintOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    let input = tensor(view.values(), "values")?;
    if input.rank() != 1 || input.elem != Elem::Str {
        return Err(format!("values must be a rank-1 tensor of !tf.string, got {}", view.values().r#type()));
    }
    ids_result(op, &input)
}

fn check_cross_hashed(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = CrossHashedOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    let buckets = attr(view.num_buckets())?;
    if buckets <= 0 {
        return Err(format!("attribute 'num_buckets' must be positive, got {buckets}"));
    }
    attr(view.hash_key())?;
    if op.operand_count() % 3 != 0 || op.operand_count() < 6 {
        return Err(format!("needs at least 2 inputs of (indices, values, dense_shape), got {} operands", op.operand_count()));
    }
    for (k, [indices, values, shape]) in view.inputs().into_iter().enumerate() {
        let i = tensor(indices, "indices")?;
        if i.rank() != 2 || i.elem != Elem::Int(64) {
            return Err(format!("input {k}: indices must be a [N, 2] tensor of i64, got {}", indices.r#type()));
        }
        int_vector(values, &format!("input {k}: values (feature hashes)"), &[64])?;
        int_vector(shape, &format!("input {k}: dense_shape"), &[64])?;
    }
    Ok(())
}

/// Bucket boundaries: no NaN, strictly increasing.
pub(crate) fn check_boundaries(boundaries: &[f64]) -> Check {
    if let Some(i) = boundaries.iter().position(|b| b.is_nan()) {
        return Err(format!("boundary {i} is NaN"));
    }
    if let Some(i) = boundaries.windows(2).position(|w| w[0] >= w[1]) {
        return Err(format!(
            "boundaries must be strictly increasing, but boundary {} ({}) >= boundary {} ({})",
            i,
            boundaries[i],
            i + 1,
            boundaries[i + 1]
        ));
    }
    Ok(())
}

fn check_bucketize(op: OperationRef, warnings: &mut Vec<String>) -> Check {
    let view = BucketizeOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    let boundaries = attr(view.boundaries())?;
    check_boundaries(&boundaries)?;
    let input = tensor(view.values(), "values")?;
    if input.rank() != 1 || !(input.elem.is_float() || matches!(input.elem, Elem::Int(32 | 64))) {
        return Err(format!("values must be a rank-1 tensor of floats or i32/i64, got {}", view.values().r#type()));
    }
    if boundaries.is_empty() {
        warnings.push("has no boundaries: every value maps to bucket 0".into());
    }
    ids_result(op, &input)
}

fn check_range_filter(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = RangeFilterOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    let (lo, hi) = (attr(view.lo())?, attr(view.hi())?);
    if lo >= hi {
        return Err(format!("range [lo, hi) = [{lo}, {hi}) is empty"));
    }
    if let Some(id) = attr(view.filter())?.default {
        if id < lo || id >= hi {
            return Err(format!("default_id {id} lies outside [{lo}, {hi})"));
        }
    }
    let input = int_vector(view.ids(), "ids", &[64])?;
    ids_result(op, &input)
}

// ---- value ranges ----------------------------------------------------------

/// [0, num_buckets): a hash modulo the bucket count.
fn range_hash_bucket(op: OperationRef, _: usize) -> Option<IntBounds> {
    let n = HashBucketOp::wrap(op)?.num_buckets().ok()?;
    Some(IntBounds { min: Some(0), max: n.checked_sub(1) })
}

/// [0, len(boundaries)]: the number of boundaries <= the value.
fn range_bucketize(op: OperationRef, _: usize) -> Option<IntBounds> {
    let n = BucketizeOp::wrap(op)?.boundaries().ok()?.len();
    Some(IntBounds { min: Some(0), max: i64::try_from(n).ok() })
}

/// With a default, every id ends in [lo, hi) or is the default; without
/// one, filtered-out ids become -1.
fn range_range_filter(op: OperationRef, _: usize) -> Option<IntBounds> {
    let filter = RangeFilterOp::wrap(op)?.filter().ok()?;
    let default = filter.default.unwrap_or(-1);
    Some(IntBounds { min: Some(filter.lo.min(default)), max: Some((filter.hi - 1).max(default)) })
}

/// Positions of keys, OOV buckets after them; absent keys without OOV
/// buckets give the default.
fn range_vocabulary(op: OperationRef, _: usize) -> Option<IntBounds> {
    let vocabulary = VocabularyOp::wrap(op)?;
    let keys = i64::try_from(vocabulary.keys().ok()?.len()).ok()?;
    match vocabulary.num_oov_buckets().ok()? {
        0 => {
            let default = vocabulary.default_id().ok()?;
            let first = vocabulary.first_id().ok()?;
            Some(IntBounds { min: Some(default.min(first)), max: Some(default.max(first.checked_add(keys - 1)?)) })
        }
        oov => {
            let first = vocabulary.first_id().ok()?;
            let base = match vocabulary.oov_base().ok()? {
                Some(b) => b,
                None => first.checked_add(keys)?,
            };
            Some(IntBounds { min: Some(first.min(base)), max: Some(first.checked_add(keys - 1)?.max(base.checked_add(oov - 1)?)) })
        }
    }
}

/// The crossed ids (result 1) are a hash modulo the bucket count.
fn range_cross_hashed(op: OperationRef, result: usize) -> Option<IntBounds> {
    let n = CrossHashedOp::wrap(op)?.num_buckets().ok()?;
    (result == 1).then_some(IntBounds { min: Some(0), max: n.checked_sub(1) })
}

// ---- host program ----------------------------------------------------------

/// A count attribute that must be > 0 (hash buckets).
fn positive(value: Result<i64, AttrError>, name: &str) -> Result<u64, String> {
    let value = attr(value)?;
    u64::try_from(value).ok().filter(|&v| v > 0).ok_or_else(|| format!("attribute '{name}' must be positive, got {value}"))
}

fn host_hash_bucket(op: OperationRef) -> Result<HostOp, String> {
    let view = HashBucketOp::wrap(op).ok_or("is not an emb.hash_bucket")?;
    Ok(HostOp::HashBucket { buckets: positive(view.num_buckets(), "num_buckets")? })
}

fn host_range_filter(op: OperationRef) -> Result<HostOp, String> {
    let view = RangeFilterOp::wrap(op).ok_or("is not an emb.range_filter")?;
    Ok(HostOp::RangeFilter { filter: attr(view.filter())? })
}

fn host_vocabulary(op: OperationRef) -> Result<HostOp, String> {
    let view = VocabularyOp::wrap(op).ok_or("is not an emb.vocabulary")?;
    let oov = attr(view.num_oov_buckets())?;
    Ok(HostOp::Vocabulary {
        keys: attr(view.keys())?,
        default: attr(view.default_id())?,
        oov_buckets: u64::try_from(oov).map_err(|_| format!("attribute 'num_oov_buckets' must be >= 0, got {oov}"))?,
        first: attr(view.first_id())?,
        oov_base: attr(view.oov_base())?,
        index: Default::default(),
    })
}

fn host_fingerprint(op: OperationRef) -> Result<HostOp, String> {
    FingerprintOp::wrap(op).ok_or("is not an emb.fingerprint")?;
    Ok(HostOp::Fingerprint)
}

fn host_cross_hashed(op: OperationRef) -> Result<HostOp, String> {
    let view = CrossHashedOp::wrap(op).ok_or("is not an emb.cross_hashed")?;
    Ok(HostOp::CrossHashed { num_buckets: positive(view.num_buckets(), "num_buckets")?, hash_key: attr(view.hash_key())? })
}
