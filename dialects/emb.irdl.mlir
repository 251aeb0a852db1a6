// The `emb` dialect, version 0: embedding columns of recommendation models.
//
// IRDL checks structure (operand/result/attribute kinds, enumerated string
// attributes). Everything IRDL cannot express -- element types, ranks, value
// ranges, consistency between operands -- is checked by the verifier hooks
// that `recom-verify` runs. IRDL ops print in generic form only.
//
// Sparse inputs use the CSR ("row offsets") form: a column over a batch of B
// rows is `ids : tensor<?xi64>` plus `row_offsets : tensor<?xi64>` of length
// B + 1, where row r owns ids[row_offsets[r] .. row_offsets[r+1]].
//
// Generated from the op declarations in crates/recom-emb/src/ops/ (do not edit).
irdl.dialect @emb {
  // A table of embeddings, `tensor<ROWS x DIM x T>` with T in {f32, f16, bf16}.
  // Its contents are bound at run time by name (from the model's weights
  // store), never printed in the IR. Names "recom.identity.<N>" are
  // synthetic N x N identity tables the runtime makes itself (indicator
  // columns count ids through them; numeric columns use recom.identity.1).
  //   attrs: name : string (unique in the module)
  irdl.operation @table {
    %out_table = irdl.base "!builtin.tensor"
    %attr_name = irdl.base "#builtin.string"
    irdl.attributes { "name" = %attr_name }
    irdl.results(table: %out_table)
  }

  // The packed tables buffer: every distinct table of `tables`, row-major,
  // one after another, in the listed order, each row padded with zeros to a
  // multiple of 4 elements (16 bytes). Bound by name at run time.
  //   attrs: tables : array of {name : string, rows : i64, dim : i64}
  //   result: tensor<N x T>, N = Σ rows·pitch, pitch = dim rounded up to 4
  irdl.operation @packed_tables {
    %out_tables = irdl.base "!builtin.tensor"
    %attr_tables = irdl.base "#builtin.array"
    irdl.attributes { "tables" = %attr_tables }
    irdl.results(tables: %out_tables)
  }

  // ids -> FarmHash Fingerprint64(bytes) mod num_buckets, TensorFlow's
  // StringToHashBucketFast: string ids (`!tf.string`) are hashed as they are,
  // integer ids as their decimal string (AsString + StringToHashBucketFast).
  // On i64 ids that feed a lookup, emb-fuse-columns absorbs it into the fused
  // column (`transform = "int_hash_bucket"`: the kernel hashes the raw ids);
  // otherwise it runs in the runtime's host program.
  //   attrs: num_buckets : i64 > 0
  irdl.operation @hash_bucket {
    %in_ids = irdl.base "!builtin.tensor"
    %out_result = irdl.base "!builtin.tensor"
    %attr_num_buckets = irdl.base "#builtin.integer"
    irdl.attributes { "num_buckets" = %attr_num_buckets }
    irdl.operands(ids: %in_ids)
    irdl.results(result: %out_result)
  }

  // values -> index of the bucket, TensorFlow's Bucketize: the number of
  // boundaries <= value. Result ids lie in [0, len(boundaries)].
  //   attrs: boundaries : array<f64>, strictly increasing
  irdl.operation @bucketize {
    %in_values = irdl.base "!builtin.tensor"
    %out_result = irdl.base "!builtin.tensor"
    %attr_boundaries = irdl.base "#builtin.dense_array"
    irdl.attributes { "boundaries" = %attr_boundaries }
    irdl.operands(values: %in_values)
    irdl.results(result: %out_result)
  }

  // ids outside [lo, hi) become -1 (dropped by every lookup) or default_id.
  // A lookup applies it in the fused kernel; the host program runs it where a
  // host op reads its result (a crossed column's input).
  //   attrs: lo < hi : i64, on_out_of_range : "drop" | "default",
  //          default_id : i64 in [lo, hi) (only with "default")
  irdl.operation @range_filter {
    %in_ids = irdl.base "!builtin.tensor"
    %out_result = irdl.base "!builtin.tensor"
    %attr_lo = irdl.base "#builtin.integer"
    %attr_hi = irdl.base "#builtin.integer"
    %attr_on_out_of_range_drop = irdl.is "drop"
    %attr_on_out_of_range_default = irdl.is "default"
    %attr_on_out_of_range = irdl.any_of(%attr_on_out_of_range_drop, %attr_on_out_of_range_default)
    irdl.attributes { "lo" = %attr_lo, "hi" = %attr_hi, "on_out_of_range" = %attr_on_out_of_range }
    irdl.operands(ids: %in_ids)
    irdl.results(result: %out_result)
  }

  // Keys -> first_id + their position in `keys` (TensorFlow's HashTableV2
  // filled with keys[i] -> first_id + i and read by LookupTableFindV2; Keras'
  // StringLookup numbers keys after its OOV indices). An absent key gives
  // default_id, or, with num_oov_buckets = k > 0, oov_base +
  // Fingerprint64(key as a string) mod k (TensorFlow's OOV buckets: oov_base =
  // first_id + len(keys), after the keys; Keras' lookups with k OOV indices:
  // oov_base = 0, before keys numbered from first_id = k).
  // Keys are strings (`!tf.string` input) or i64.
  // Runs on the host (the runtime's host program).
  //   attrs: keys : array of strings or of i64, distinct; default_id : i64;
  //          [num_oov_buckets : i64 >= 0, absent = 0];
  //          [first_id : i64 >= 0, absent = 0];
  //          [oov_base : i64 >= 0, absent = first_id + len(keys); only with OOV buckets]
  irdl.operation @vocabulary {
    %in_keys = irdl.base "!builtin.tensor"
    %out_result = irdl.base "!builtin.tensor"
    %attr_keys = irdl.base "#builtin.array"
    %attr_default_id = irdl.base "#builtin.integer"
    irdl.attributes { "keys" = %attr_keys, "default_id" = %attr_default_id }
    irdl.operands(keys: %in_keys)
    irdl.results(result: %out_result)
  }

  // FarmHash Fingerprint64 of each string, as i64 bits (the feature hash
  // TensorFlow's hashed SparseCross uses for strings). Runs on the host.
  irdl.operation @fingerprint {
    %in_values = irdl.base "!builtin.tensor"
    %out_result = irdl.base "!builtin.tensor"
    irdl.operands(values: %in_values)
    irdl.results(result: %out_result)
  }

  // Hashed feature cross of C SparseTensors [B, *] whose values are feature
  // hashes (i64; strings through emb.fingerprint), TensorFlow's SparseCross
  // with hashed_output: per row, every combination of one entry of each input
  // (the last input varies fastest), h = hash_key, then for each input
  // h = FingerprintCat64(h, feature); id = h mod num_buckets (unsigned).
  // Result: the crossed SparseTensor (indices [N, 2], ids [N], dense_shape
  // [B, max combinations]). Runs on the host.
  //   operands: C indices, C values, C dense shapes
  //   attrs: num_buckets : i64 > 0, hash_key : i64 (a u64's bits)
  irdl.operation @cross_hashed {
    %in_indices = irdl.base "!builtin.tensor"
    %in_values = irdl.base "!builtin.tensor"
    %in_dense_shapes = irdl.base "!builtin.tensor"
    %out_out_indices = irdl.base "!builtin.tensor"
    %out_out_values = irdl.base "!builtin.tensor"
    %out_out_dense_shape = irdl.base "!builtin.tensor"
    %attr_num_buckets = irdl.base "#builtin.integer"
    %attr_hash_key = irdl.base "#builtin.integer"
    irdl.attributes { "num_buckets" = %attr_num_buckets, "hash_key" = %attr_hash_key }
    irdl.operands(indices: variadic %in_indices, values: variadic %in_values, dense_shapes: variadic %in_dense_shapes)
    irdl.results(out_indices: %out_out_indices, out_values: %out_out_values, out_dense_shape: %out_out_dense_shape)
  }

  // A dense [B, N] input as a SparseTensor without its "missing" entries
  // (TensorFlow's to_sparse_input for dense categorical inputs): indices [M, 2]
  // of the entries != ignore_value in row-major order, their values, and
  // dense_shape [B, N]. Runs on the host (the runtime's host program).
  //   attrs: ignore_value : i64 (integer input) or string (!tf.string input),
  //          or unit: keep every entry (dense inputs of a cross, Keras lookups);
  //          optional column : i64 in [0, N): column `column` alone, as a
  //          [B, 1] input (indices [r, 0], dense_shape [B, 1]; a Keras lookup of
  //          several ids per row, flattened, is one lookup per column)
  // An i32 input may give i64 values (integer inputs are i64 at run time).
  irdl.operation @sparse_from_dense {
    %in_dense = irdl.base "!builtin.tensor"
    %out_indices = irdl.base "!builtin.tensor"
    %out_values = irdl.base "!builtin.tensor"
    %out_dense_shape = irdl.base "!builtin.tensor"
    %attr_ignore_value = irdl.any
    irdl.attributes { "ignore_value" = %attr_ignore_value }
    irdl.operands(dense: %in_dense)
    irdl.results(indices: %out_indices, values: %out_values, dense_shape: %out_dense_shape)
  }

  // A dense [B, K] float or integer input of a bucketized column as a
  // SparseTensor with every entry (TensorFlow's bucketized_column): entry [r, j]
  // has the id bucket(x[r, j]) + j * (len(boundaries) + 1), bucket(v) = the
  // number of boundaries <= v (compared in f32; an integer input is cast to f32
  // first, round to nearest, as the numeric column does). Runs on the host.
  //   attrs: boundaries : array<f64>, strictly increasing
  irdl.operation @bucketized_sparse {
    %in_dense = irdl.base "!builtin.tensor"
    %out_indices = irdl.base "!builtin.tensor"
    %out_values = irdl.base "!builtin.tensor"
    %out_dense_shape = irdl.base "!builtin.tensor"
    %attr_boundaries = irdl.base "#builtin.dense_array"
    irdl.attributes { "boundaries" = %attr_boundaries }
    irdl.operands(dense: %in_dense)
    irdl.results(indices: %out_indices, values: %out_values, dense_shape: %out_dense_shape)
  }

  // A dense [B, K] float or integer input of a bucketized column as a
  // SparseTensor with every entry, each shipped raw for the fused kernel to
  // bucketize (emb-fuse-columns with id-transforms=kernel puts it where an
  // emb.bucketized_sparse read by one lookup was): entry [r, j] is
  // j << 32 | the bits of x[r, j] as f32 (an integer input is cast to f32
  // first, round to nearest). Indices and dense_shape are bucketized_sparse's.
  // Runs on the host.
  irdl.operation @float_entries {
    %in_dense = irdl.base "!builtin.tensor"
    %out_indices = irdl.base "!builtin.tensor"
    %out_entries = irdl.base "!builtin.tensor"
    %out_dense_shape = irdl.base "!builtin.tensor"
    irdl.operands(dense: %in_dense)
    irdl.results(indices: %out_indices, entries: %out_entries, dense_shape: %out_dense_shape)
  }

  // CSR row offsets of a TensorFlow SparseTensor in COO form: indices
  // [N, 2] (row, position) in canonical row-major order and dense_shape [2].
  // Result: dense_shape[0] + 1 offsets, offsets[r] = entries in rows < r.
  // Without dense_shape (embedding_lookup_sparse without the safe wrapper)
  // the rows are 0 .. the largest row index, as TensorFlow's SparseSegment*
  // output. Runs on the host; the runtime rejects unsorted or out-of-shape
  // indices.
  irdl.operation @coo_rows {
    %in_indices = irdl.base "!builtin.tensor"
    %in_dense_shape = irdl.base "!builtin.tensor"
    %out_row_offsets = irdl.base "!builtin.tensor"
    irdl.operands(indices: %in_indices, dense_shape: optional %in_dense_shape)
    irdl.results(row_offsets: %out_row_offsets)
  }

  // Column j of a numeric [B, K] float (or integer, cast to f32 first) input
  // as a weighted CSR input of one id per row: ids all 0, row_offsets 0..B,
  // weights (x[:, j] - shift) * (1 / scale) computed in f32 (TensorFlow's
  // normalizer_fn of that form, whose division by a constant TensorFlow's graph
  // optimizer turns into a product with the reciprocal; Keras' Normalization with per-feature mean and
  // variance; none: x[:, j]). With a 1 x 1 table of 1.0, a sum lookup passes
  // the value through exactly (numeric_column in the fused kernel). Runs on the
  // host.
  //   attrs: column : i64 in [0, K); [shift : f64, scale : f64]
  irdl.operation @numeric_input {
    %in_dense = irdl.base "!builtin.tensor"
    %out_ids = irdl.base "!builtin.tensor"
    %out_row_offsets = irdl.base "!builtin.tensor"
    %out_weights = irdl.base "!builtin.tensor"
    %attr_column = irdl.base "#builtin.integer"
    irdl.attributes { "column" = %attr_column }
    irdl.operands(dense: %in_dense)
    irdl.results(ids: %out_ids, row_offsets: %out_row_offsets, weights: %out_weights)
  }

  // A [B] string input split into a SparseTensor of tokens, TensorFlow's
  // StringSplitV2 (tf.strings.split, Python's str.split): with a separator,
  // consecutive separators delimit empty tokens and "" gives one "" token;
  // with sep = "", runs of ASCII whitespace separate and leading or trailing
  // whitespace gives no token. At most maxsplit splits per string (< 0: no
  // limit). Results: indices [N, 2] (row, token), the tokens, dense_shape
  // [B, most tokens in a row]. Runs on the host.
  //   attrs: sep : string; maxsplit : i64
  irdl.operation @string_split {
    %in_input = irdl.base "!builtin.tensor"
    %out_indices = irdl.base "!builtin.tensor"
    %out_values = irdl.base "!builtin.tensor"
    %out_dense_shape = irdl.base "!builtin.tensor"
    %attr_sep = irdl.base "#builtin.string"
    %attr_maxsplit = irdl.base "#builtin.integer"
    irdl.attributes { "sep" = %attr_sep, "maxsplit" = %attr_maxsplit }
    irdl.operands(input: %in_input)
    irdl.results(indices: %out_indices, values: %out_values, dense_shape: %out_dense_shape)
  }

  // Host fallback: the value of output `node` ("name" or "name:k") of the
  // model's TensorFlow graph, computed on the host from the model's inputs by
  // recom's TensorFlow evaluator, for a part of the graph recom does not raise
  // (the bundle keeps that part of the graph). Its uses are raised like any
  // value of its type (a [?, K] f32 value becomes K numeric columns).
  //   attrs: node : string; optional why : string (what the raising matchers
  //          refused and the tf ops left: diagnostics, `recom compile` shows it)
  irdl.operation @tf_output {
    %out_value = irdl.base "!builtin.tensor"
    %attr_node = irdl.base "#builtin.string"
    irdl.attributes { "node" = %attr_node }
    irdl.results(value: %out_value)
  }

  // Pooled lookup of one column: [B, DIM] from table, ids, row_offsets and
  // optional per-id weights (w = 1 without them). Ids < 0 are dropped; for
  // mean and sqrtn, ids whose weight is <= 0 are dropped too. Empty rows give
  // zeros. sum = Σ w·e, mean = Σ w·e / Σ w, sqrtn = Σ w·e / sqrt(Σ w²).
  // An id >= the table's row count is never read: on_out_of_range says what
  // happens ("error": the request fails, "drop": ignored, "default": replaced
  // by the attribute default_id).
  irdl.operation @lookup {
    %in_table = irdl.base "!builtin.tensor"
    %in_ids = irdl.base "!builtin.tensor"
    %in_row_offsets = irdl.base "!builtin.tensor"
    %in_weights = irdl.base "!builtin.tensor"
    %out_result = irdl.base "!builtin.tensor"
    %attr_combiner_sum = irdl.is "sum"
    %attr_combiner_mean = irdl.is "mean"
    %attr_combiner_sqrtn = irdl.is "sqrtn"
    %attr_combiner = irdl.any_of(%attr_combiner_sum, %attr_combiner_mean, %attr_combiner_sqrtn)
    %attr_on_out_of_range_error = irdl.is "error"
    %attr_on_out_of_range_drop = irdl.is "drop"
    %attr_on_out_of_range_default = irdl.is "default"
    %attr_on_out_of_range = irdl.any_of(%attr_on_out_of_range_error, %attr_on_out_of_range_drop, %attr_on_out_of_range_default)
    irdl.attributes { "combiner" = %attr_combiner, "on_out_of_range" = %attr_on_out_of_range }
    irdl.operands(table: %in_table, ids: %in_ids, row_offsets: %in_row_offsets, weights: optional %in_weights)
    irdl.results(result: %out_result)
  }

  // Concatenation of column outputs along dim 1, in operand order:
  // [B, D0] ... [B, Dn] -> [B, ΣD]. IRDL variadics must share one type, so
  // column outputs entering a concat are typed tensor<?x?xT>.
  irdl.operation @concat {
    %in_columns = irdl.base "!builtin.tensor"
    %out_result = irdl.base "!builtin.tensor"
    irdl.operands(columns: variadic %in_columns)
    irdl.results(result: %out_result)
  }

  // A string column's raw ids as the fused kernel reads them: one i64
  // reference per string, start << 24 | length, into the request's bytes (the
  // runtime packs the strings' bytes once and writes the references; the
  // kernel hashes or looks them up, `transform = "str_hash_bucket"` or a
  // string-keyed `"vocabulary"`). Only an operand of
  // emb.pack_inputs for such a column; the plan reads the strings through it.
  irdl.operation @string_refs {
    %in_strings = irdl.base "!builtin.tensor"
    %out_refs = irdl.base "!builtin.tensor"
    irdl.operands(strings: %in_strings)
    irdl.results(refs: %out_refs)
  }

  // Packs C columns' CSR inputs into the fused layout (done on the host):
  //   ids     = the columns' ids, column after column;
  //   offsets = per column B + 1 offsets, rebased to absolute positions in ids;
  //   weights = one weight per id (1.0 for unweighted columns), empty when no
  //             column is weighted.
  // Operands: C ids, C row_offsets, then one weights tensor per weighted
  // column (in column order). attrs: weighted : array<i1>, one per column.
  irdl.operation @pack_inputs {
    %in_ids = irdl.base "!builtin.tensor"
    %in_row_offsets = irdl.base "!builtin.tensor"
    %in_weights = irdl.base "!builtin.tensor"
    %out_packed_ids = irdl.base "!builtin.tensor"
    %out_packed_offsets = irdl.base "!builtin.tensor"
    %out_packed_weights = irdl.base "!builtin.tensor"
    %attr_weighted = irdl.base "#builtin.dense_array"
    irdl.attributes { "weighted" = %attr_weighted }
    irdl.operands(ids: variadic %in_ids, row_offsets: variadic %in_row_offsets, weights: variadic %in_weights)
    irdl.results(packed_ids: %out_packed_ids, packed_offsets: %out_packed_offsets, packed_weights: %out_packed_weights)
  }

  // Every column of a function in one op (the unit that becomes ONE kernel).
  // Operands are packed buffers, so heterogeneous tables need no
  // heterogeneous variadics:
  //   tables      : tensor<?xT>   all tables, row-major, one after another,
  //                               rows padded to a multiple of 4 elements
  //   ids         : tensor<?xi64> all columns' ids
  //   row_offsets : tensor<?xi64> per column B + 1 offsets into `ids`
  //                               (absolute positions), columns one after another
  //   weights     : tensor<?xf32> per-id weights parallel to `ids`, or empty
  // Result: [B, ΣDIM]. attrs:
  //   columns : array of dictionaries, one per column:
  //     {table_offset : i64 (elements), rows : i64, dim : i64,
  //      combiner : "sum"|"mean"|"sqrtn", weighted : bool,
  //      on_out_of_range : "error"|"drop"|"default", [default_id : i64],
  //      [filter_lo : i64, filter_hi : i64, [filter_default : i64]],
  //      [transform : "int_hash_bucket"|"str_hash_bucket", transform_buckets : i64 > 0],
  //      [transform : "vocabulary", transform_keys : array of strings or i64,
  //       transform_default : i64, [transform_oov_buckets : i64 > 0],
  //       [transform_first : i64], [transform_oov_base : i64]],
  //      [transform : "bucketize", transform_boundaries : array<f64>]}
  //     (the optional filter is an absorbed emb.range_filter; the optional
  //     transform an absorbed emb.hash_bucket or emb.vocabulary of integer or
  //     string ids, or an absorbed emb.bucketized_sparse: the column's `ids` are
  //     then the raw values (a bucketized column's emb.float_entries), turned
  //     into ids in the kernel before the filter; a string column's packed ids
  //     are references into the request's bytes);
  //   schedule : "element" -- one work item per output element (row, k),
  //     k over ΣDIM, so columns of any dim and bag length share one flat,
  //     balanced iteration space.
  //   [kernel : symbol of the loop function the op was lowered to, with
  //    kernel_elements_per_item, kernel_rows_per_item and kernel_index_bits
  //    (32: the kernel reads ids and offsets packed as i32, each id clamped
  //    into i32 by the host; 64: as given)]
  irdl.operation @fused_columns {
    %in_tables = irdl.base "!builtin.tensor"
    %in_ids = irdl.base "!builtin.tensor"
    %in_row_offsets = irdl.base "!builtin.tensor"
    %in_weights = irdl.base "!builtin.tensor"
    %out_result = irdl.base "!builtin.tensor"
    %attr_columns = irdl.base "#builtin.array"
    %attr_schedule_element = irdl.is "element"
    %attr_schedule = irdl.any_of(%attr_schedule_element)
    irdl.attributes { "columns" = %attr_columns, "schedule" = %attr_schedule }
    irdl.operands(tables: %in_tables, ids: %in_ids, row_offsets: %in_row_offsets, weights: %in_weights)
    irdl.results(result: %out_result)
  }
}
