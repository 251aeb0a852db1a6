// Verifier errors of the host-side emb ops.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(recom-verify)'

func.func @vocab_kind_mismatch(%s: tensor<?x!tf.string>) {
  // expected-error@+1 {{'emb.vocabulary' op keys operand must be a rank-1 tensor of i64 like the vocabulary, got tensor<?x!tf.string>}}
  %v = "emb.vocabulary"(%s) {keys = [1, 2], default_id = -1 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
  return
}

// -----

func.func @vocab_duplicate(%s: tensor<?x!tf.string>) {
  // expected-error@+1 {{'emb.vocabulary' op vocabulary key "b" appears twice}}
  %v = "emb.vocabulary"(%s) {keys = ["a", "b", "b"], default_id = -1 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
  return
}

// -----

func.func @vocab_mixed(%s: tensor<?x!tf.string>) {
  // expected-error@+1 {{'emb.vocabulary' op attribute 'keys' mixes strings and integers}}
  %v = "emb.vocabulary"(%s) {keys = ["a", 2], default_id = -1 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
  return
}

// -----

func.func @coo_rank(%ind: tensor<?xi64>, %shape: tensor<2xi64>) {
  // expected-error@+1 {{'emb.coo_rows' op indices must be a [N, 2] tensor of i64, got tensor<?xi64>}}
  %r = "emb.coo_rows"(%ind, %shape) : (tensor<?xi64>, tensor<2xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @coo_shape(%ind: tensor<?x2xi64>, %shape: tensor<3xi64>) {
  // expected-error@+1 {{'emb.coo_rows' op dense_shape must have 2 elements, got tensor<3xi64>}}
  %r = "emb.coo_rows"(%ind, %shape) : (tensor<?x2xi64>, tensor<3xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @hash_string_result(%s: tensor<?x!tf.string>) {
  // expected-error@+1 {{'emb.hash_bucket' op result must be a rank-1 tensor of i64, got tensor<?x!tf.string>}}
  %h = "emb.hash_bucket"(%s) {num_buckets = 4 : i64} : (tensor<?x!tf.string>) -> tensor<?x!tf.string>
  return
}

// -----

func.func @dense_column_past_the_input(%x: tensor<?x2xi64>) {
  // expected-error@+1 {{'emb.sparse_from_dense' op column 2 is not a column of the [B, 2] input}}
  %s:3 = "emb.sparse_from_dense"(%x) {column = 2 : i64, ignore_value} : (tensor<?x2xi64>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  return
}

// -----

func.func @dense_column_negative(%x: tensor<?x2xi64>) {
  // expected-error@+1 {{'emb.sparse_from_dense' op attribute 'column' must be >= 0, got -1}}
  %s:3 = "emb.sparse_from_dense"(%x) {column = -1 : i64, ignore_value} : (tensor<?x2xi64>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  return
}

// -----

func.func @dense_kind_mismatch(%x: tensor<?x2xi64>) {
  // expected-error@+1 {{'emb.sparse_from_dense' op dense input must be a rank-2 tensor of the ignore_value's kind (integers or !tf.string), got tensor<?x2xi64>}}
  %s:3 = "emb.sparse_from_dense"(%x) {ignore_value = ""} : (tensor<?x2xi64>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  return
}

// -----

func.func @bucketized_unsorted(%x: tensor<?x2xf32>) {
  // expected-error@+1 {{'emb.bucketized_sparse' op boundaries must be strictly increasing, but boundary 0 (2) >= boundary 1 (1)}}
  %s:3 = "emb.bucketized_sparse"(%x) {boundaries = array<f64: 2.0, 1.0>} : (tensor<?x2xf32>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  return
}

// -----

func.func @cross_one_input(%i: tensor<?x2xi64>, %v: tensor<?xi64>, %shape: tensor<2xi64>) {
  // expected-error@+1 {{'emb.cross_hashed' op needs at least 2 inputs of (indices, values, dense_shape), got 3 operands}}
  %x:3 = "emb.cross_hashed"(%i, %v, %shape) {num_buckets = 10 : i64, hash_key = 7 : i64, operandSegmentSizes = array<i32: 1, 1, 1>} : (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  return
}

// -----

func.func @fingerprint_ints(%v: tensor<?xi64>) {
  // expected-error@+1 {{'emb.fingerprint' op values must be a rank-1 tensor of !tf.string, got tensor<?xi64>}}
  %f = "emb.fingerprint"(%v) : (tensor<?xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @numeric_column_out_of_range(%x: tensor<?x2xf32>) {
  // expected-error@+1 {{'emb.numeric_input' op column 2 is not a column of tensor<?x2xf32>}}
  %n:3 = "emb.numeric_input"(%x) {column = 2 : i64} : (tensor<?x2xf32>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>)
  return
}

// -----

func.func @numeric_zero_scale(%x: tensor<?x2xf32>) {
  // expected-error@+1 {{'emb.numeric_input' op normalizer (x - 1) / 0 is not a finite affine map}}
  %n:3 = "emb.numeric_input"(%x) {column = 0 : i64, shift = 1.0 : f64, scale = 0.0 : f64} : (tensor<?x2xf32>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>)
  return
}

// -----

func.func @split_needs_strings(%x: tensor<?xi64>) {
  // expected-error@+1 {{'emb.string_split' op input must be a rank-1 tensor of !tf.string, got tensor<?xi64>}}
  %t:3 = "emb.string_split"(%x) {sep = ";", maxsplit = -1 : i64} : (tensor<?xi64>) -> (tensor<?x2xi64>, tensor<?x!tf.string>, tensor<2xi64>)
  return
}

// -----

func.func @split_without_sep(%s: tensor<?x!tf.string>) {
  // expected-error@+1 {{attribute "sep" is expected but not provided}}
  %t:3 = "emb.string_split"(%s) {maxsplit = -1 : i64} : (tensor<?x!tf.string>) -> (tensor<?x2xi64>, tensor<?x!tf.string>, tensor<2xi64>)
  return
}

// -----

func.func @split_tokens_are_strings(%s: tensor<?x!tf.string>) {
  // expected-error@+1 {{'emb.string_split' op values must be a rank-1 tensor of !tf.string, got tensor<?xi64>}}
  %t:3 = "emb.string_split"(%s) {sep = ";", maxsplit = -1 : i64} : (tensor<?x!tf.string>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  return
}

// -----

func.func @vocab_oov_base_without_oov(%s: tensor<?x!tf.string>) {
  // expected-error@+1 {{'emb.vocabulary' op attribute 'oov_base' must be >= 0 and come with OOV buckets, got 0 with 0 buckets}}
  %v = "emb.vocabulary"(%s) {keys = ["a"], default_id = -1 : i64, first_id = 1 : i64, oov_base = 0 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
  return
}

// -----

func.func @vocab_negative_first_id(%s: tensor<?x!tf.string>) {
  // expected-error@+1 {{'emb.vocabulary' op attribute 'first_id' must be >= 0, got -1}}
  %v = "emb.vocabulary"(%s) {keys = ["a"], default_id = -1 : i64, first_id = -1 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
  return
}

// -----

func.func @string_refs_of_ints(%s: tensor<?xi64>) {
  // expected-error@+1 {{'emb.string_refs' op strings must be a rank-1 tensor of !tf.string, got tensor<?xi64>}}
  %r = "emb.string_refs"(%s) : (tensor<?xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @string_refs_to_i32(%s: tensor<?x!tf.string>) {
  // expected-error@+1 {{'emb.string_refs' op refs must be}}
  %r = "emb.string_refs"(%s) : (tensor<?x!tf.string>) -> tensor<?xi32>
  return
}

// -----

func.func @float_entries_of_strings(%x: tensor<?x2x!tf.string>) {
  // expected-error@+1 {{'emb.float_entries' op dense input must be a rank-2 tensor of floats or integers, got tensor<?x2x!tf.string>}}
  %s:3 = "emb.float_entries"(%x) : (tensor<?x2x!tf.string>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  return
}
