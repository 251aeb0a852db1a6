//! Model inputs into CSR columns on the host: dense inputs as sparse
//! ones, bucketized and numeric columns, COO -> CSR rows.
use super::ids::check_boundaries;
use crate::{build, HostOp, Ignore};
use melior::{
    ir::{operation::{OperationBuilder, OperationRef}, Location, Operation, Type, Value, ValueLike},
    Context,
};
use recom_ir::{
    check::{self, attr, int_vector, tensor, Check},
    kit::{self, AttrError, Elem},
    op_view, AttrC, AttrSlot, IntBounds, OpDef, Slot,
};

/// The ops of this group, in declaration order.
pub const INPUT_OPS: &[OpDef] = &[SPARSE_FROM_DENSE, BUCKETIZED_SPARSE, FLOAT_ENTRIES, COO_ROWS, NUMERIC_INPUT, STRING_SPLIT, TF_OUTPUT];

/// `emb.sparse_from_dense`.
pub const SPARSE_FROM_DENSE: OpDef = OpDef {
    name: "emb.sparse_from_dense",
    doc: "A dense [B, N] input as a SparseTensor without its \"missing\" entries
(TensorFlow's to_sparse_input for dense categorical inputs): indices [M, 2]
of the entries != ignore_value in row-major order, their values, and
dense_shape [B, N]. Runs on the host (the runtime's host program).
  attrs: ignore_value : i64 (integer input) or string (!tf.string input),
         or unit: keep every entry (dense inputs of a cross, Keras lookups);
         optional column : i64 in [0, N): column `column` alone, as a
         [B, 1] input (indices [r, 0], dense_shape [B, 1]; a Keras lookup of
         several ids per row, flattened, is one lookup per column)
An i32 input may give i64 values (integer inputs are i64 at run time).",
    operands: &[Slot::tensor("dense")],
    results: &[Slot::tensor("indices"), Slot::tensor("values"), Slot::tensor("dense_shape")],
    attributes: &[AttrSlot::new("ignore_value", AttrC::Any)],
    verify: check_sparse_from_dense,
    int_range: None,
    host: Some(host_sparse_from_dense),
};

/// `emb.bucketized_sparse`.
pub const BUCKETIZED_SPARSE: OpDef = OpDef {
    name: "emb.bucketized_sparse",
    doc: "A dense [B, K] float or integer input of a bucketized column as a
SparseTensor with every entry (TensorFlow's bucketized_column): entry [r, j]
has the id bucket(x[r, j]) + j * (len(boundaries) + 1), bucket(v) = the
number of boundaries <= v (compared in f32; an integer input is cast to f32
first, round to nearest, as the numeric column does). Runs on the host.
  attrs: boundaries : array<f64>, strictly increasing",
    operands: &[Slot::tensor("dense")],
    results: &[Slot::tensor("indices"), Slot::tensor("values"), Slot::tensor("dense_shape")],
    attributes: &[AttrSlot::new("boundaries", AttrC::DenseArray)],
    verify: check_bucketized_sparse,
    int_range: Some(range_bucketized_sparse),
    host: Some(host_bucketized_sparse),
};

/// `emb.float_entries`.
pub const FLOAT_ENTRIES: OpDef = OpDef {
    name: "emb.float_entries",
    doc: "A dense [B, K] float or integer input of a bucketized column as a
SparseTensor with every entry, each shipped raw for the fused kernel to
bucketize (emb-fuse-columns with id-transforms=kernel puts it where an
emb.bucketized_sparse read by one lookup was): entry [r, j] is
j << 32 | the bits of x[r, j] as f32 (an integer input is cast to f32
first, round to nearest). Indices and dense_shape are bucketized_sparse's.
Runs on the host.",
    operands: &[Slot::tensor("dense")],
    results: &[Slot::tensor("indices"), Slot::tensor("entries"), Slot::tensor("dense_shape")],
    attributes: &[],
    verify: check_float_entries,
    int_range: None,
    host: Some(host_float_entries),
};

/// `emb.coo_rows`.
pub const COO_ROWS: OpDef = OpDef {
    name: "emb.coo_rows",
    doc: "CSR row offsets of a TensorFlow SparseTensor in COO form: indices
[N, 2] (row, position) in canonical row-major order and dense_shape [2].
Result: dense_shape[0] + 1 offsets, offsets[r] = entries in rows < r.
Without dense_shape (embedding_lookup_sparse without the safe wrapper)
the rows are 0 .. the largest row index, as TensorFlow's SparseSegment*
output. Runs on the host; the runtime rejects unsorted or out-of-shape
indices.",
    operands: &[Slot::tensor("indices"), Slot::tensor("dense_shape").optional()],
    results: &[Slot::tensor("row_offsets")],
    attributes: &[],
    verify: check_coo_rows,
    int_range: None,
    host: Some(host_coo_rows),
};

/// `emb.numeric_input`.
pub const NUMERIC_INPUT: OpDef = OpDef {
    name: "emb.numeric_input",
    doc: "Column j of a numeric [B, K] float (or integer, cast to f32 first) input
as a weighted CSR input of one id per row: ids all 0, row_offsets 0..B,
weights (x[:, j] - shift) * (1 / scale) computed in f32 (TensorFlow's
normalizer_fn of that form, whose division by a constant TensorFlow's graph
optimizer turns into a product with the reciprocal; Keras' Normalization with per-feature mean and
variance; none: x[:, j]). With a 1 x 1 table of 1.0, a sum lookup passes
the value through exactly (numeric_column in the fused kernel). Runs on the
host.
  attrs: column : i64 in [0, K); [shift : f64, scale : f64]",
    operands: &[Slot::tensor("dense")],
    results: &[Slot::tensor("ids"), Slot::tensor("row_offsets"), Slot::tensor("weights")],
    attributes: &[AttrSlot::new("column", AttrC::Integer)],
    verify: check_numeric_input,
    int_range: None,
    host: Some(host_numeric_input),
};

/// `emb.string_split`.
pub const STRING_SPLIT: OpDef = OpDef {
    name: "emb.string_split",
    doc: "A [B] string input split into a SparseTensor of tokens, TensorFlow's
StringSplitV2 (tf.strings.split, Python's str.split): with a separator,
consecutive separators delimit empty tokens and \"\" gives one \"\" token;
with sep = \"\", runs of ASCII whitespace separate and leading or trailing
whitespace gives no token. At most maxsplit splits per string (< 0: no
limit). Results: indices [N, 2] (row, token), the tokens, dense_shape
[B, most tokens in a row]. Runs on the host.
  attrs: sep : string; maxsplit : i64",
    operands: &[Slot::tensor("input")],
    results: &[Slot::tensor("indices"), Slot::tensor("values"), Slot::tensor("dense_shape")],
    attributes: &[AttrSlot::new("sep", AttrC::String), AttrSlot::new("maxsplit", AttrC::Integer)],
    verify: check_string_split,
    int_range: None,
    host: Some(host_string_split),
};

/// `emb.tf_output`.
pub const TF_OUTPUT: OpDef = OpDef {
    name: "emb.tf_output",
    doc: "Host fallback: the value of output `node` (\"name\" or \"name:k\") of the
model's TensorFlow graph, computed on the host from the model's inputs by
recom's TensorFlow evaluator, for a part of the graph recom does not raise
(the bundle keeps that part of the graph). Its uses are raised like any
value of its type (a [?, K] f32 value becomes K numeric columns).
  attrs: node : string; optional why : string (what the raising matchers
         refused and the tf ops left: diagnostics, `recom compile` shows it)",
    operands: &[],
    results: &[Slot::tensor("value")],
    attributes: &[AttrSlot::new("node", AttrC::String)],
    verify: check_tf_output,
    int_range: None,
    host: Some(host_tf_output),
};

fn check_tf_output(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = TfOutputOp::wrap(op).ok_or("was given to another op's verifier")?;
    let node = attr(view.node())?;
    if node.is_empty() || node.starts_with('^') {
        return Err(format!("attribute 'node' must name a graph output, got \"{node}\""));
    }
    recom_ir::check::result_tensor(op)?;
    Ok(())
}

fn host_tf_output(op: OperationRef) -> Result<HostOp, String> {
    let view = TfOutputOp::wrap(op).ok_or("was given to another op's hook")?;
    Ok(HostOp::TfGraph { outputs: vec![view.node().map_err(|e| e.to_string())?.into_owned()] })
}

/// `emb.tf_output`: graph output `node` computed on the host, of type `ty`.
pub fn tf_output<'c>(context: &'c Context, location: Location<'c>, node: &str, ty: Type<'c>) -> Operation<'c> {
    build(OperationBuilder::new(TfOutputOp::NAME, location).add_attributes(&[kit::named(context, "node", kit::string(context, node))]).add_results(&[ty]))
}

op_view!(
    /// `emb.tf_output`.
    TfOutputOp, "emb.tf_output"
);
impl<'c, 'a> TfOutputOp<'c, 'a> {
    pub fn node(&self) -> Result<std::borrow::Cow<'c, str>, AttrError> {
        kit::str_attr(&self.0, "node")
    }
    pub fn value(&self) -> Value<'c, 'a> {
        self.result()
    }
}

// ---- builders and views ----------------------------------------------------

/// `emb.sparse_from_dense`: (indices, values, dense_shape) of the entries of
/// a dense [B, N] input that are not `ignore`.
pub fn sparse_from_dense<'c>(
    context: &'c Context,
    location: Location<'c>,
    dense: Value<'c, '_>,
    ignore: &Ignore,
    results: [Type<'c>; 3],
) -> Operation<'c> {
    let ignore = match ignore {
        Ignore::I64(v) => kit::i64(context, *v),
        Ignore::Str(s) => kit::string(context, s),
        Ignore::KeepAll => melior::ir::Attribute::unit(context),
    };
    build(
        OperationBuilder::new(SparseFromDenseOp::NAME, location)
            .add_operands(&[dense])
            .add_attributes(&[kit::named(context, "ignore_value", ignore)])
            .add_results(&results),
    )
}

/// `emb.sparse_from_dense` of column `column` of a dense [B, N] input alone
/// (indices [r, 0], dense_shape [B, 1]).
pub fn sparse_column_from_dense<'c>(
    context: &'c Context,
    location: Location<'c>,
    dense: Value<'c, '_>,
    ignore: &Ignore,
    column: i64,
    results: [Type<'c>; 3],
) -> Operation<'c> {
    use melior::ir::operation::OperationMutLike;
    let mut op = sparse_from_dense(context, location, dense, ignore, results);
    op.set_attribute("column", kit::i64(context, column));
    op
}

/// `emb.bucketized_sparse`: every entry of a dense [B, K] float input as an
/// id, bucket(x[r, j]) + j * (len(boundaries) + 1).
pub fn bucketized_sparse<'c>(
    context: &'c Context,
    location: Location<'c>,
    dense: Value<'c, '_>,
    boundaries: &[f64],
    results: [Type<'c>; 3],
) -> Operation<'c> {
    build(
        OperationBuilder::new(BucketizedSparseOp::NAME, location)
            .add_operands(&[dense])
            .add_attributes(&[kit::named(context, "boundaries", kit::f64_array(context, boundaries))])
            .add_results(&results),
    )
}

/// `emb.float_entries`: every entry of a dense [B, K] numeric input as
/// `j << 32 | f32 bits`, for the kernel to bucketize.
pub fn float_entries<'c>(location: Location<'c>, dense: Value<'c, '_>, results: [Type<'c>; 3]) -> Operation<'c> {
    build(OperationBuilder::new(FloatEntriesOp::NAME, location).add_operands(&[dense]).add_results(&results))
}

/// `emb.coo_rows`: CSR row offsets of a COO sparse tensor (rows up to the
/// largest row index without `dense_shape`).
pub fn coo_rows<'c>(location: Location<'c>, indices: Value<'c, '_>, dense_shape: Option<Value<'c, '_>>, result: Type<'c>) -> Operation<'c> {
    let mut operands = vec![indices];
    operands.extend(dense_shape);
    build(OperationBuilder::new(CooRowsOp::NAME, location).add_operands(&operands).add_results(&[result]))
}

/// A numeric column's normalizer `(x - shift) / scale`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Normalizer {
    pub shift: f64,
    pub scale: f64,
}

/// `emb.numeric_input`: column `column` of a numeric [B, K] input as one
/// weighted id (0) per row.
pub fn numeric_input<'c>(
    context: &'c Context,
    location: Location<'c>,
    dense: Value<'c, '_>,
    column: i64,
    normalizer: Option<Normalizer>,
    results: [Type<'c>; 3],
) -> Operation<'c> {
    let mut attrs = vec![kit::named(context, "column", kit::i64(context, column))];
    if let Some(n) = normalizer {
        let f64t = Type::float64(context);
        attrs.push(kit::named(context, "shift", melior::ir::attribute::FloatAttribute::new(context, f64t, n.shift)));
        attrs.push(kit::named(context, "scale", melior::ir::attribute::FloatAttribute::new(context, f64t, n.scale)));
    }
    build(OperationBuilder::new(NumericInputOp::NAME, location).add_operands(&[dense]).add_attributes(&attrs).add_results(&results))
}

op_view!(
    /// `emb.sparse_from_dense`.
    SparseFromDenseOp, "emb.sparse_from_dense"
);
impl<'c, 'a> SparseFromDenseOp<'c, 'a> {
    pub fn dense(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn ignore_value(&self) -> Result<Ignore, AttrError> {
        let attr = melior::ir::operation::OperationLike::attribute(&self.0, "ignore_value").map_err(|_| AttrError::new("ignore_value", "is missing"))?;
        if let Some(s) = kit::string_value(attr) {
            return Ok(Ignore::Str(s.into_owned()));
        }
        if recom_ir::ext::is_unit(attr) {
            return Ok(Ignore::KeepAll);
        }
        melior::ir::attribute::IntegerAttribute::try_from(attr)
            .map(|i| Ignore::I64(i.value()))
            .map_err(|_| AttrError::new("ignore_value", "must be an integer or a string"))
    }
    /// The one column read, if the op reads one (`column`).
    pub fn column(&self) -> Result<Option<usize>, AttrError> {
        let Ok(attr) = melior::ir::operation::OperationLike::attribute(&self.0, "column") else { return Ok(None) };
        let j = melior::ir::attribute::IntegerAttribute::try_from(attr).map_err(|_| AttrError::new("column", "must be an integer"))?.value();
        usize::try_from(j).map(Some).map_err(|_| AttrError::new("column", format!("must be >= 0, got {j}")))
    }
}

op_view!(
    /// `emb.bucketized_sparse`.
    BucketizedSparseOp, "emb.bucketized_sparse"
);
impl<'c, 'a> BucketizedSparseOp<'c, 'a> {
    pub fn dense(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn boundaries(&self) -> Result<Vec<f64>, AttrError> {
        kit::f64_array_attr(&self.0, "boundaries")
    }
}

op_view!(
    /// `emb.float_entries`.
    FloatEntriesOp, "emb.float_entries"
);
impl<'c, 'a> FloatEntriesOp<'c, 'a> {
    pub fn dense(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
}

op_view!(
    /// `emb.coo_rows`.
    CooRowsOp, "emb.coo_rows"
);
impl<'c, 'a> CooRowsOp<'c, 'a> {
    pub fn indices(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    /// `None` for the non-safe form (rows up to the largest row index).
    pub fn dense_shape(&self) -> Option<Value<'c, 'a>> {
        (melior::ir::operation::OperationLike::operand_count(&self.0) > 1).then(|| self.operand(1))
    }
}

op_view!(
    /// `emb.numeric_input`.
    NumericInputOp, "emb.numeric_input"
);
impl<'c, 'a> NumericInputOp<'c, 'a> {
    pub fn dense(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn column(&self) -> Result<i64, AttrError> {
        kit::i64_attr(&self.0, "column")
    }
    pub fn normalizer(&self) -> Result<Option<Normalizer>, AttrError> {
        let float = |name: &str| -> Result<Option<f64>, AttrError> {
            match melior::ir::operation::OperationLike::attribute(&self.0, name) {
                Err(_) => Ok(None),
                Ok(a) => melior::ir::attribute::FloatAttribute::try_from(a)
                    .map(|f| Some(f.value()))
                    .map_err(|_| AttrError::new(name, "must be a float")),
            }
        };
        match (float("shift")?, float("scale")?) {
            (Some(shift), Some(scale)) => Ok(Some(Normalizer { shift, scale })),
            (None, None) => Ok(None),
            _ => Err(AttrError::new("shift", "and 'scale' go together")),
        }
    }
}

/// `emb.string_split`: each string of a [B] input split on `sep` (see
/// [`STRING_SPLIT`]).
pub fn string_split<'c>(
    context: &'c Context,
    location: Location<'c>,
    input: Value<'c, '_>,
    sep: &str,
    maxsplit: i64,
    results: [Type<'c>; 3],
) -> Operation<'c> {
    build(
        OperationBuilder::new(StringSplitOp::NAME, location)
            .add_operands(&[input])
            .add_attributes(&[
                kit::named(context, "sep", kit::string(context, sep)),
                kit::named(context, "maxsplit", kit::i64(context, maxsplit)),
            ])
            .add_results(&results),
    )
}

op_view!(
    /// `emb.string_split`.
    StringSplitOp, "emb.string_split"
);
impl<'c, 'a> StringSplitOp<'c, 'a> {
    pub fn input(&self) -> Value<'c, 'a> {
        self.operand(0)
    }
    pub fn sep(&self) -> Result<std::borrow::Cow<'c, str>, AttrError> {
        kit::str_attr(&self.0, "sep")
    }
    pub fn maxsplit(&self) -> Result<i64, AttrError> {
        kit::i64_attr(&self.0, "maxsplit")
    }
}

// ---- verification --------------------------------------------------------

fn check_sparse_from_dense(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = SparseFromDenseOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    let ignore = attr(view.ignore_value())?;
    let dense = tensor(view.dense(), "dense input")?;
    let fits = match ignore {
        Ignore::I64(_) => matches!(dense.elem, Elem::Int(32 | 64)),
        Ignore::Str(_) => dense.elem == Elem::Str,
        Ignore::KeepAll => matches!(dense.elem, Elem::Int(32 | 64) | Elem::Str),
    };
    if dense.rank() != 2 || !fits {
        return Err(format!(
            "dense input must be a rank-2 tensor of the ignore_value's kind (integers or !tf.string), got {}",
            view.dense().r#type()
        ));
    }
    let result = |i: usize| check::result(op, i);
    coo_indices(result(0)?)?;
    let values = tensor(result(1)?, "values")?;
    // Integer inputs may give i64 values (every integer input is i64 at run time).
    let widened = dense.elem == Elem::Int(32) && values.elem == Elem::Int(64);
    if values.rank() != 1 || (values.elem != dense.elem && !widened) {
        return Err(format!("values must be a rank-1 tensor of the input's element type, got {}", result(1)?.r#type()));
    }
    int_vector(result(2)?, "dense_shape", &[64])?;
    if let Some(j) = attr(view.column())? {
        if dense.shape[1].is_some_and(|n| j as i64 >= n) {
            return Err(format!("column {j} is not a column of the [B, {}] input", dense.shape[1].unwrap_or(0)));
        }
    }
    Ok(())
}

fn check_bucketized_sparse(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = BucketizedSparseOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    check_boundaries(&attr(view.boundaries())?)?;
    numeric_matrix(view.dense())?;
    let result = |i: usize| check::result(op, i);
    coo_indices(result(0)?)?;
    int_vector(result(1)?, "values", &[64])?;
    int_vector(result(2)?, "dense_shape", &[64])?;
    Ok(())
}

fn check_float_entries(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = FloatEntriesOp::wrap(op).ok_or("was given to another op's verifier")?;
    numeric_matrix(view.dense())?;
    let result = |i: usize| check::result(op, i);
    coo_indices(result(0)?)?;
    int_vector(result(1)?, "entries", &[64])?;
    int_vector(result(2)?, "dense_shape", &[64])?;
    Ok(())
}

/// A bucketized column's input: a rank-2 tensor of floats or integers.
fn numeric_matrix(dense: Value) -> Check {
    let info = tensor(dense, "dense input")?;
    if info.rank() != 2 || !(info.elem.is_float() || matches!(info.elem, Elem::Int(32 | 64))) {
        return Err(format!("dense input must be a rank-2 tensor of floats or integers, got {}", dense.r#type()));
    }
    Ok(())
}

fn check_numeric_input(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = NumericInputOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    let dense = tensor(view.dense(), "dense input")?;
    if dense.rank() != 2 || !matches!(dense.elem, Elem::F32 | Elem::Int(32 | 64)) {
        return Err(format!("dense input must be a [B, K] tensor of f32 or integers, got {}", view.dense().r#type()));
    }
    let column = attr(view.column())?;
    if column < 0 || dense.shape[1].is_some_and(|k| column >= k) {
        return Err(format!("column {column} is not a column of {}", view.dense().r#type()));
    }
    if let Some(n) = attr(view.normalizer())? {
        if n.scale == 0.0 || !n.scale.is_finite() || !n.shift.is_finite() {
            return Err(format!("normalizer (x - {}) / {} is not a finite affine map", n.shift, n.scale));
        }
    }
    let result = |i: usize| check::result(op, i);
    int_vector(result(0)?, "ids", &[64])?;
    int_vector(result(1)?, "row_offsets", &[64])?;
    let w = tensor(result(2)?, "weights")?;
    if w.rank() != 1 || w.elem != Elem::F32 {
        return Err(format!("weights must be a rank-1 tensor of f32, got {}", result(2)?.r#type()));
    }
    Ok(())
}

/// A COO `indices` tensor: [N, 2] of i64.
fn coo_indices(v: Value) -> Check {
    let indices = tensor(v, "indices")?;
    if indices.rank() != 2 || indices.elem != Elem::Int(64) || indices.shape[1].is_some_and(|d| d != 2) {
        return Err(format!("indices must be a [N, 2] tensor of i64, got {}", v.r#type()));
    }
    Ok(())
}

fn check_coo_rows(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = CooRowsOp::wrap(op).ok_or("was given to another op\'s verifier")?;
    coo_indices(view.indices())?;
    if let Some(dense_shape) = view.dense_shape() {
        let shape = int_vector(dense_shape, "dense_shape", &[64])?;
        if shape.shape[0].is_some_and(|d| d != 2) {
            return Err(format!("dense_shape must have 2 elements, got {}", dense_shape.r#type()));
        }
    }
    int_vector(check::result(op, 0)?, "result", &[64])?;
    Ok(())
}

fn check_string_split(op: OperationRef, _warnings: &mut Vec<String>) -> Check {
    let view = StringSplitOp::wrap(op).ok_or("was given to another op's verifier")?;
    attr(view.sep())?;
    attr(view.maxsplit())?;
    let input = tensor(view.input(), "input")?;
    if input.rank() != 1 || input.elem != Elem::Str {
        return Err(format!("input must be a rank-1 tensor of !tf.string, got {}", view.input().r#type()));
    }
    coo_indices(check::result(op, 0)?)?;
    let values = check::result(op, 1)?;
    let tokens = tensor(values, "values")?;
    if tokens.rank() != 1 || tokens.elem != Elem::Str {
        return Err(format!("values must be a rank-1 tensor of !tf.string, got {}", values.r#type()));
    }
    int_vector(check::result(op, 2)?, "dense_shape", &[64])?;
    Ok(())
}

// ---- value ranges ----------------------------------------------------------

/// The ids (result 1) are bucket + j * (len(boundaries) + 1) >= 0.
fn range_bucketized_sparse(op: OperationRef, result: usize) -> Option<IntBounds> {
    BucketizedSparseOp::wrap(op)?;
    (result == 1).then_some(IntBounds { min: Some(0), max: None })
}

// ---- host program ----------------------------------------------------------

fn host_sparse_from_dense(op: OperationRef) -> Result<HostOp, String> {
    let view = SparseFromDenseOp::wrap(op).ok_or("is not an emb.sparse_from_dense")?;
    Ok(HostOp::SparseFromDense { ignore: attr(view.ignore_value())?, column: attr(view.column())? })
}

fn host_bucketized_sparse(op: OperationRef) -> Result<HostOp, String> {
    let view = BucketizedSparseOp::wrap(op).ok_or("is not an emb.bucketized_sparse")?;
    Ok(HostOp::BucketizedSparse { boundaries: attr(view.boundaries())? })
}

fn host_float_entries(op: OperationRef) -> Result<HostOp, String> {
    FloatEntriesOp::wrap(op).ok_or("is not an emb.float_entries")?;
    Ok(HostOp::FloatEntries)
}

fn host_coo_rows(op: OperationRef) -> Result<HostOp, String> {
    CooRowsOp::wrap(op).ok_or("is not an emb.coo_rows")?;
    Ok(HostOp::CooRows)
}

fn host_numeric_input(op: OperationRef) -> Result<HostOp, String> {
    let view = NumericInputOp::wrap(op).ok_or("is not an emb.numeric_input")?;
    let column = attr(view.column())?;
    Ok(HostOp::NumericInput {
        column: usize::try_from(column).map_err(|_| format!("attribute 'column' must be >= 0, got {column}"))?,
        normalizer: attr(view.normalizer())?.map(|n| (n.shift as f32, n.scale as f32)),
    })
}

fn host_string_split(op: OperationRef) -> Result<HostOp, String> {
    let view = StringSplitOp::wrap(op).ok_or("is not an emb.string_split")?;
    Ok(HostOp::StringSplit { sep: attr(view.sep())?.into_owned(), maxsplit: attr(view.maxsplit())? })
}
