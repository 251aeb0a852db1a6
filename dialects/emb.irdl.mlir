// The `emb` dialect, version 0: embedding columns of recommendation models.
//
// IRDL checks structure (operand/result/attribute kinds, enumerated string
// attributes). Everything IRDL cannot express -- element types, ranks, value
// ranges, consistency between operands -- is checked by the `recom-verify`
// pass (passes/src/recom_verify.rs). IRDL ops print in generic form only.
//
// Sparse inputs use the CSR ("row offsets") form: a column over a batch of B
// rows is `ids : tensor<?xi64>` plus `row_offsets : tensor<?xi64>` of length
// B + 1, where row r owns ids[row_offsets[r] .. row_offsets[r+1]].
irdl.dialect @emb {
  // A table of embeddings, `tensor<ROWS x DIM x T>` with T in {f32, f16, bf16}.
  // Its contents are bound at run time by name (from the model's weights
  // store), never printed in the IR. Names "recom.identity.<N>" are
  // synthetic N x N identity tables the runtime makes itself (indicator
  // columns count ids through them; numeric columns use recom.identity.1).
  //   attrs: name : string (unique in the module)
  irdl.operation @table {
    %name = irdl.base "#builtin.string"
    %t = irdl.base "!builtin.tensor"
    irdl.attributes { "name" = %name }
    irdl.results(table: %t)
  }

  // ids -> FarmHash Fingerprint64(bytes) mod num_buckets, TensorFlow's
  // StringToHashBucketFast: string ids (`!tf.string`) are hashed as they are,
  // integer ids as their decimal string (AsString + StringToHashBucketFast).
  // Runs on the host for now (the runtime's host program), not in the kernel.
  //   attrs: num_buckets : i64 > 0
  irdl.operation @hash_bucket {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %n = irdl.base "#builtin.integer"
    irdl.attributes { "num_buckets" = %n }
    irdl.operands(ids: %in)
    irdl.results(result: %out)
  }

  // values -> index of the bucket, TensorFlow's Bucketize: the number of
  // boundaries <= value. Result ids lie in [0, len(boundaries)].
  //   attrs: boundaries : array<f64>, strictly increasing
  irdl.operation @bucketize {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %b = irdl.base "#builtin.dense_array"
    irdl.attributes { "boundaries" = %b }
    irdl.operands(values: %in)
    irdl.results(result: %out)
  }

  // ids outside [lo, hi) become -1 (dropped by every lookup) or default_id.
  //   attrs: lo < hi : i64, on_out_of_range : "drop" | "default",
  //          default_id : i64 in [lo, hi) (only with "default")
  irdl.operation @range_filter {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %lo = irdl.base "#builtin.integer"
    %hi = irdl.base "#builtin.integer"
    %drop = irdl.is "drop"
    %default = irdl.is "default"
    %mode = irdl.any_of(%drop, %default)
    irdl.attributes { "lo" = %lo, "hi" = %hi, "on_out_of_range" = %mode }
    irdl.operands(ids: %in)
    irdl.results(result: %out)
  }

  // Keys -> their position in `keys` (TensorFlow's HashTableV2 filled with
  // keys[i] -> i and read by LookupTableFindV2). An absent key gives
  // default_id, or, with num_oov_buckets = k > 0, len(keys) +
  // Fingerprint64(key as a string) mod k (TensorFlow's OOV buckets).
  // Keys are strings (`!tf.string` input) or i64.
  // Runs on the host (the runtime's host program).
  //   attrs: keys : array of strings or of i64, distinct; default_id : i64;
  //          [num_oov_buckets : i64 >= 0, absent = 0]
  irdl.operation @vocabulary {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %keys = irdl.base "#builtin.array"
    %default = irdl.base "#builtin.integer"
    irdl.attributes { "keys" = %keys, "default_id" = %default }
    irdl.operands(keys: %in)
    irdl.results(result: %out)
  }
  // A dense [B, N] input as a SparseTensor without its "missing" entries
  // (TensorFlow's to_sparse_input for dense categorical inputs): indices [M, 2]
  // of the entries != ignore_value in row-major order, their values, and
  // dense_shape [B, N]. Runs on the host (the runtime's host program).
  //   attrs: ignore_value : i64 (integer input) or string (!tf.string input),
  //          or unit: keep every entry (dense inputs of a cross)
  irdl.operation @sparse_from_dense {
    %in = irdl.base "!builtin.tensor"
    %indices = irdl.base "!builtin.tensor"
    %values = irdl.base "!builtin.tensor"
    %shape = irdl.base "!builtin.tensor"
    %ignore = irdl.any
    irdl.attributes { "ignore_value" = %ignore }
    irdl.operands(dense: %in)
    irdl.results(indices: %indices, values: %values, dense_shape: %shape)
  }
  // A dense [B, K] float input of a bucketized column as a SparseTensor with
  // every entry (TensorFlow's bucketized_column): entry [r, j] has the id
  // bucket(x[r, j]) + j * (len(boundaries) + 1), bucket(v) = the number of
  // boundaries <= v (compared in f32). Runs on the host.
  //   attrs: boundaries : array<f64>, strictly increasing
  irdl.operation @bucketized_sparse {
    %in = irdl.base "!builtin.tensor"
    %indices = irdl.base "!builtin.tensor"
    %values = irdl.base "!builtin.tensor"
    %shape = irdl.base "!builtin.tensor"
    %b = irdl.base "#builtin.dense_array"
    irdl.attributes { "boundaries" = %b }
    irdl.operands(dense: %in)
    irdl.results(indices: %indices, values: %values, dense_shape: %shape)
  }
  // FarmHash Fingerprint64 of each string, as i64 bits (the feature hash
  // TensorFlow's hashed SparseCross uses for strings). Runs on the host.
  irdl.operation @fingerprint {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(values: %in)
    irdl.results(result: %out)
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
    %indices = irdl.base "!builtin.tensor"
    %values = irdl.base "!builtin.tensor"
    %shapes = irdl.base "!builtin.tensor"
    %oi = irdl.base "!builtin.tensor"
    %ov = irdl.base "!builtin.tensor"
    %os = irdl.base "!builtin.tensor"
    %n = irdl.base "#builtin.integer"
    %k = irdl.base "#builtin.integer"
    irdl.attributes { "num_buckets" = %n, "hash_key" = %k }
    irdl.operands(indices: variadic %indices, values: variadic %values, dense_shapes: variadic %shapes)
    irdl.results(out_indices: %oi, out_values: %ov, out_dense_shape: %os)
  }
  // CSR row offsets of a TensorFlow SparseTensor in COO form: indices
  // [N, 2] (row, position) in canonical row-major order and dense_shape [2].
  // Result: dense_shape[0] + 1 offsets, offsets[r] = entries in rows < r.
  // Without dense_shape (embedding_lookup_sparse without the safe wrapper)
  // the rows are 0 .. the largest row index, as TensorFlow's SparseSegment*
  // output. Runs on the host; the runtime rejects unsorted or out-of-shape
  // indices.
  irdl.operation @coo_rows {
    %indices = irdl.base "!builtin.tensor"
    %shape = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(indices: %indices, dense_shape: optional %shape)
    irdl.results(row_offsets: %out)
  }
  // Column j of a numeric [B, K] float input as a weighted CSR input of one
  // id per row: ids all 0, row_offsets 0..B, weights (x[:, j] - shift) /
  // scale computed in f32 (TensorFlow's normalizer_fn of that form; none:
  // x[:, j]). With a 1 x 1 table of 1.0, a sum lookup passes the value
  // through exactly (numeric_column in the fused kernel). Runs on the host.
  //   attrs: column : i64 in [0, K); [shift : f64, scale : f64]
  irdl.operation @numeric_input {
    %in = irdl.base "!builtin.tensor"
    %ids = irdl.base "!builtin.tensor"
    %offsets = irdl.base "!builtin.tensor"
    %weights = irdl.base "!builtin.tensor"
    %column = irdl.base "#builtin.integer"
    irdl.attributes { "column" = %column }
    irdl.operands(dense: %in)
    irdl.results(ids: %ids, row_offsets: %offsets, weights: %weights)
  }
  // Pooled lookup of one column: [B, DIM] from table, ids, row_offsets and
  // optional per-id weights (w = 1 without them). Ids < 0 are dropped; for
  // mean and sqrtn, ids whose weight is <= 0 are dropped too. Empty rows give
  // zeros. sum = Σ w·e, mean = Σ w·e / Σ w, sqrtn = Σ w·e / sqrt(Σ w²).
  // An id >= the table's row count is never read: on_out_of_range says what
  // happens ("error": the request fails, "drop": ignored, "default": replaced
  // by the attribute default_id).
  irdl.operation @lookup {
    %table = irdl.base "!builtin.tensor"
    %ids = irdl.base "!builtin.tensor"
    %offsets = irdl.base "!builtin.tensor"
    %weights = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %sum = irdl.is "sum"
    %mean = irdl.is "mean"
    %sqrtn = irdl.is "sqrtn"
    %combiner = irdl.any_of(%sum, %mean, %sqrtn)
    %error = irdl.is "error"
    %drop = irdl.is "drop"
    %default = irdl.is "default"
    %oor = irdl.any_of(%error, %drop, %default)
    irdl.attributes { "combiner" = %combiner, "on_out_of_range" = %oor }
    irdl.operands(table: %table, ids: %ids, row_offsets: %offsets, weights: optional %weights)
    irdl.results(result: %out)
  }

  // Concatenation of column outputs along dim 1, in operand order:
  // [B, D0] ... [B, Dn] -> [B, ΣD]. IRDL variadics must share one type, so
  // column outputs entering a concat are typed tensor<?x?xT>.
  irdl.operation @concat {
    %col = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(columns: variadic %col)
    irdl.results(result: %out)
  }

  // The packed tables buffer: every distinct table of `tables`, row-major,
  // one after another, in the listed order, each row padded with zeros to a
  // multiple of 4 elements (16 bytes). Bound by name at run time.
  //   attrs: tables : array of {name : string, rows : i64, dim : i64}
  //   result: tensor<N x T>, N = Σ rows·pitch, pitch = dim rounded up to 4
  irdl.operation @packed_tables {
    %out = irdl.base "!builtin.tensor"
    %tables = irdl.base "#builtin.array"
    irdl.attributes { "tables" = %tables }
    irdl.results(tables: %out)
  }

  // Packs C columns' CSR inputs into the fused layout (done on the host):
  //   ids     = the columns' ids, column after column;
  //   offsets = per column B + 1 offsets, rebased to absolute positions in ids;
  //   weights = one weight per id (1.0 for unweighted columns), empty when no
  //             column is weighted.
  // Operands: C ids, C row_offsets, then one weights tensor per weighted
  // column (in column order). attrs: weighted : array<i1>, one per column.
  irdl.operation @pack_inputs {
    %ids = irdl.base "!builtin.tensor"
    %offsets = irdl.base "!builtin.tensor"
    %weights = irdl.base "!builtin.tensor"
    %ids_out = irdl.base "!builtin.tensor"
    %offsets_out = irdl.base "!builtin.tensor"
    %weights_out = irdl.base "!builtin.tensor"
    %weighted = irdl.base "#builtin.dense_array"
    irdl.attributes { "weighted" = %weighted }
    irdl.operands(ids: variadic %ids, row_offsets: variadic %offsets, weights: variadic %weights)
    irdl.results(packed_ids: %ids_out, packed_offsets: %offsets_out, packed_weights: %weights_out)
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
  //      [filter_lo : i64, filter_hi : i64, [filter_default : i64]]}
  //     (the optional filter is an absorbed emb.range_filter);
  //   schedule : "element" -- one work item per output element (row, k),
  //     k over ΣDIM, so columns of any dim and bag length share one flat,
  //     balanced iteration space.
  //   [kernel : symbol of the loop function the op was lowered to, with
  //    kernel_elements_per_item, kernel_rows_per_item and kernel_index_bits
  //    (32: the kernel reads ids and offsets packed as i32, each id clamped
  //    into i32 by the host; 64: as given)]
  irdl.operation @fused_columns {
    %tables = irdl.base "!builtin.tensor"
    %ids = irdl.base "!builtin.tensor"
    %offsets = irdl.base "!builtin.tensor"
    %weights = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %cols = irdl.base "#builtin.array"
    %element = irdl.is "element"
    %schedule = irdl.any_of(%element)
    irdl.attributes { "columns" = %cols, "schedule" = %schedule }
    irdl.operands(tables: %tables, ids: %ids, row_offsets: %offsets, weights: %weights)
    irdl.results(result: %out)
  }
}
