// Every verifier error of the emb dialect: structural ones come from IRDL
// while parsing, semantic ones from recom-verify.
// RUN: %recom_opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(recom-verify)'

//===----------------------------------------------------------------------===//
// IRDL (structure)
//===----------------------------------------------------------------------===//

func.func @table_without_name() {
  // expected-error@+1 {{attribute "name" is expected but not provided}}
  %t = "emb.table"() : () -> tensor<4x4xf32>
  return
}

// -----

func.func @lookup_bad_combiner(%t: tensor<4x4xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>) {
  // expected-error@+1 {{'"median"' does not satisfy the constraint}}
  %l = "emb.lookup"(%t, %ids, %o) {combiner = "median", on_out_of_range = "error"} : (tensor<4x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x4xf32>
  return
}

// -----

func.func @lookup_too_few_operands(%t: tensor<4x4xf32>, %ids: tensor<?xi64>) {
  // expected-error@+1 {{expects at least 3 operands, but got 2}}
  %l = "emb.lookup"(%t, %ids) {combiner = "sum", on_out_of_range = "error"} : (tensor<4x4xf32>, tensor<?xi64>) -> tensor<?x4xf32>
  return
}

// -----

func.func @hash_bucket_on_memref(%ids: memref<?xi64>) {
  // expected-error@+1 {{expected base type 'builtin.tensor' but got 'builtin.memref'}}
  %h = "emb.hash_bucket"(%ids) {num_buckets = 4 : i64} : (memref<?xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @filter_bad_mode(%ids: tensor<?xi64>) {
  // expected-error@+1 {{'"clamp"' does not satisfy the constraint}}
  %f = "emb.range_filter"(%ids) {lo = 0 : i64, hi = 4 : i64, on_out_of_range = "clamp"} : (tensor<?xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @concat_mixed_types(%a: tensor<?x4xf32>, %b: tensor<?x8xf32>) {
  // Operands of one variadic group share one type (IRDL); column outputs are tensor<?x?xT>.
  // expected-error@+1 {{expected 'tensor<?x4xf32>' but got 'tensor<?x8xf32>'}}
  %c = "emb.concat"(%a, %b) : (tensor<?x4xf32>, tensor<?x8xf32>) -> tensor<?x12xf32>
  return
}

//===----------------------------------------------------------------------===//
// emb.table
//===----------------------------------------------------------------------===//

// -----

func.func @table_empty_name() {
  // expected-error@+1 {{'emb.table' op attribute 'name' must not be empty}}
  %t = "emb.table"() {name = ""} : () -> tensor<4x4xf32>
  return
}

// -----

func.func @table_name_not_string() {
  // expected-error@+1 {{expected base attribute 'builtin.string' but got 'builtin.integer'}}
  %t = "emb.table"() {name = 3 : i64} : () -> tensor<4x4xf32>
  return
}

// -----

func.func @table_dynamic() {
  // expected-error@+1 {{'emb.table' op result must be a static rank-2 tensor <rows x dim x T>, got tensor<?x4xf32>}}
  %t = "emb.table"() {name = "t"} : () -> tensor<?x4xf32>
  return
}

// -----

func.func @table_int() {
  // expected-error@+1 {{'emb.table' op table element type must be f32, f16 or bf16, got tensor<4x4xi32>}}
  %t = "emb.table"() {name = "t"} : () -> tensor<4x4xi32>
  return
}

// -----

func.func @table_no_rows() {
  // expected-error@+1 {{'emb.table' op table must have at least one row and one column}}
  %t = "emb.table"() {name = "t"} : () -> tensor<0x4xf32>
  return
}

// -----

func.func @table_redeclared() {
  %a = "emb.table"() {name = "t"} : () -> tensor<4x4xf32>
  // expected-error@+1 {{'emb.table' op table 't' is declared again with type tensor<4x8xf32>; an earlier declaration has type tensor<4x4xf32>}}
  %b = "emb.table"() {name = "t"} : () -> tensor<4x8xf32>
  return
}

//===----------------------------------------------------------------------===//
// emb.hash_bucket
//===----------------------------------------------------------------------===//

// -----

func.func @hash_zero_buckets(%ids: tensor<?xi64>) {
  // expected-error@+1 {{'emb.hash_bucket' op attribute 'num_buckets' must be positive, got 0}}
  %h = "emb.hash_bucket"(%ids) {num_buckets = 0 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @hash_float_ids(%ids: tensor<?xf32>) {
  // expected-error@+1 {{'emb.hash_bucket' op ids must be a rank-1 tensor of i32 or i64, got tensor<?xf32> (or of !tf.string)}}
  %h = "emb.hash_bucket"(%ids) {num_buckets = 4 : i64} : (tensor<?xf32>) -> tensor<?xi64>
  return
}

// -----

func.func @hash_i32_result(%ids: tensor<?xi64>) {
  // expected-error@+1 {{'emb.hash_bucket' op result must be a rank-1 tensor of i64, got tensor<?xi32>}}
  %h = "emb.hash_bucket"(%ids) {num_buckets = 4 : i64} : (tensor<?xi64>) -> tensor<?xi32>
  return
}

// -----

func.func @hash_count_mismatch(%ids: tensor<5xi64>) {
  // expected-error@+1 {{'emb.hash_bucket' op result has 4 ids but the input has 5}}
  %h = "emb.hash_bucket"(%ids) {num_buckets = 4 : i64} : (tensor<5xi64>) -> tensor<4xi64>
  return
}

//===----------------------------------------------------------------------===//
// emb.bucketize
//===----------------------------------------------------------------------===//

// -----

func.func @bucketize_unsorted(%x: tensor<?xf32>) {
  // expected-error@+1 {{'emb.bucketize' op boundaries must be strictly increasing, but boundary 1 (2) >= boundary 2 (2)}}
  %b = "emb.bucketize"(%x) {boundaries = array<f64: 1.0, 2.0, 2.0>} : (tensor<?xf32>) -> tensor<?xi64>
  return
}

// -----

func.func @bucketize_nan(%x: tensor<?xf32>) {
  // expected-error@+1 {{'emb.bucketize' op boundary 1 is NaN}}
  %b = "emb.bucketize"(%x) {boundaries = array<f64: 1.0, 0x7FF8000000000000>} : (tensor<?xf32>) -> tensor<?xi64>
  return
}

// -----

func.func @bucketize_i64_boundaries(%x: tensor<?xf32>) {
  // expected-error@+1 {{'emb.bucketize' op attribute 'boundaries' must be array<f64: ...>, got array<i64: 1, 2>}}
  %b = "emb.bucketize"(%x) {boundaries = array<i64: 1, 2>} : (tensor<?xf32>) -> tensor<?xi64>
  return
}

// -----

func.func @bucketize_2d(%x: tensor<?x2xf32>) {
  // expected-error@+1 {{'emb.bucketize' op values must be a rank-1 tensor of floats or i32/i64, got tensor<?x2xf32>}}
  %b = "emb.bucketize"(%x) {boundaries = array<f64: 1.0>} : (tensor<?x2xf32>) -> tensor<?xi64>
  return
}

// -----

func.func @bucketize_no_boundaries(%x: tensor<?xf32>) {
  // expected-warning@+1 {{'emb.bucketize' op has no boundaries: every value maps to bucket 0}}
  %b = "emb.bucketize"(%x) {boundaries = array<f64>} : (tensor<?xf32>) -> tensor<?xi64>
  return
}

//===----------------------------------------------------------------------===//
// emb.range_filter
//===----------------------------------------------------------------------===//

// -----

func.func @filter_empty_range(%ids: tensor<?xi64>) {
  // expected-error@+1 {{'emb.range_filter' op range [lo, hi) = [4, 4) is empty}}
  %f = "emb.range_filter"(%ids) {lo = 4 : i64, hi = 4 : i64, on_out_of_range = "drop"} : (tensor<?xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @filter_default_outside(%ids: tensor<?xi64>) {
  // expected-error@+1 {{'emb.range_filter' op default_id 9 lies outside [0, 4)}}
  %f = "emb.range_filter"(%ids) {lo = 0 : i64, hi = 4 : i64, on_out_of_range = "default", default_id = 9 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @filter_default_missing(%ids: tensor<?xi64>) {
  // expected-error@+1 {{'emb.range_filter' op attribute 'default_id' is required when on_out_of_range = "default"}}
  %f = "emb.range_filter"(%ids) {lo = 0 : i64, hi = 4 : i64, on_out_of_range = "default"} : (tensor<?xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @filter_i32(%ids: tensor<?xi32>) {
  // expected-error@+1 {{'emb.range_filter' op ids must be a rank-1 tensor of i64, got tensor<?xi32>}}
  %f = "emb.range_filter"(%ids) {lo = 0 : i64, hi = 4 : i64, on_out_of_range = "drop"} : (tensor<?xi32>) -> tensor<?xi64>
  return
}

//===----------------------------------------------------------------------===//
// emb.lookup
//===----------------------------------------------------------------------===//

// -----

func.func @lookup_table_rank(%t: tensor<4xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>) {
  // expected-error@+1 {{'emb.lookup' op table must be rank 2, got tensor<4xf32>}}
  %l = "emb.lookup"(%t, %ids, %o) {combiner = "sum", on_out_of_range = "error"} : (tensor<4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x4xf32>
  return
}

// -----

func.func @lookup_ids_i32(%t: tensor<4x4xf32>, %ids: tensor<?xi32>, %o: tensor<?xi64>) {
  // expected-error@+1 {{'emb.lookup' op ids must be a rank-1 tensor of i64, got tensor<?xi32>}}
  %l = "emb.lookup"(%t, %ids, %o) {combiner = "sum", on_out_of_range = "error"} : (tensor<4x4xf32>, tensor<?xi32>, tensor<?xi64>) -> tensor<?x4xf32>
  return
}

// -----

func.func @lookup_offsets_2d(%t: tensor<4x4xf32>, %ids: tensor<?xi64>, %o: tensor<?x2xi64>) {
  // expected-error@+1 {{'emb.lookup' op row_offsets must be a rank-1 tensor of i64, got tensor<?x2xi64>}}
  %l = "emb.lookup"(%t, %ids, %o) {combiner = "sum", on_out_of_range = "error"} : (tensor<4x4xf32>, tensor<?xi64>, tensor<?x2xi64>) -> tensor<?x4xf32>
  return
}

// -----

func.func @lookup_weights_f64(%t: tensor<4x4xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf64>) {
  // expected-error@+1 {{'emb.lookup' op weights must be a rank-1 tensor of f32, got tensor<?xf64>}}
  %l = "emb.lookup"(%t, %ids, %o, %w) {combiner = "sum", on_out_of_range = "error"} : (tensor<4x4xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf64>) -> tensor<?x4xf32>
  return
}

// -----

func.func @lookup_weight_count(%t: tensor<4x4xf32>, %ids: tensor<3xi64>, %o: tensor<?xi64>, %w: tensor<2xf32>) {
  // expected-error@+1 {{'emb.lookup' op has 2 weights for 3 ids}}
  %l = "emb.lookup"(%t, %ids, %o, %w) {combiner = "sum", on_out_of_range = "error"} : (tensor<4x4xf32>, tensor<3xi64>, tensor<?xi64>, tensor<2xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @lookup_default_not_a_row(%t: tensor<4x4xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>) {
  // expected-error@+1 {{'emb.lookup' op default_id 4 is not a row of the table tensor<4x4xf32>}}
  %l = "emb.lookup"(%t, %ids, %o) {combiner = "sum", on_out_of_range = "default", default_id = 4 : i64} : (tensor<4x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x4xf32>
  return
}

// -----

func.func @lookup_default_missing(%t: tensor<4x4xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>) {
  // expected-error@+1 {{'emb.lookup' op attribute 'default_id' is required when on_out_of_range = "default"}}
  %l = "emb.lookup"(%t, %ids, %o) {combiner = "sum", on_out_of_range = "default"} : (tensor<4x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x4xf32>
  return
}

// -----

func.func @lookup_result_rank(%t: tensor<4x4xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>) {
  // expected-error@+1 {{'emb.lookup' op result must be rank 2 [batch x dim], got tensor<?xf32>}}
  %l = "emb.lookup"(%t, %ids, %o) {combiner = "sum", on_out_of_range = "error"} : (tensor<4x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @lookup_result_elem(%t: tensor<4x4xf16>, %ids: tensor<?xi64>, %o: tensor<?xi64>) {
  // expected-error@+1 {{'emb.lookup' op result element type differs from the table's (tensor<?x4xf32> vs tensor<4x4xf16>)}}
  %l = "emb.lookup"(%t, %ids, %o) {combiner = "sum", on_out_of_range = "error"} : (tensor<4x4xf16>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x4xf32>
  return
}

// -----

func.func @lookup_result_dim(%t: tensor<4x4xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>) {
  // expected-error@+1 {{'emb.lookup' op result dim 8 differs from the table dim 4}}
  %l = "emb.lookup"(%t, %ids, %o) {combiner = "sum", on_out_of_range = "error"} : (tensor<4x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x8xf32>
  return
}

//===----------------------------------------------------------------------===//
// emb.concat
//===----------------------------------------------------------------------===//

// -----

func.func @concat_nothing() {
  // expected-error@+1 {{'emb.concat' op needs at least one column}}
  %c = "emb.concat"() : () -> tensor<?x4xf32>
  return
}

// -----

func.func @concat_result_rank(%a: tensor<?x?xf32>) {
  // expected-error@+1 {{'emb.concat' op result must be rank 2 [batch x total dim]}}
  %c = "emb.concat"(%a) : (tensor<?x?xf32>) -> tensor<?xf32>
  return
}

// -----

func.func @concat_column_elem(%a: tensor<?x?xf16>) {
  // expected-error@+1 {{'emb.concat' op column 0 must be a rank-2 tensor of the result's element type, got tensor<?x?xf16>}}
  %c = "emb.concat"(%a) : (tensor<?x?xf16>) -> tensor<?x4xf32>
  return
}

// -----

func.func @concat_width(%a: tensor<?x4xf32>) {
  // expected-error@+1 {{'emb.concat' op result width 5 differs from the sum of the column widths 4}}
  %c = "emb.concat"(%a) : (tensor<?x4xf32>) -> tensor<?x5xf32>
  return
}

//===----------------------------------------------------------------------===//
// emb.fused_columns
//===----------------------------------------------------------------------===//

// -----

func.func @fused_tables_2d(%t: tensor<4x4xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op tables must be a rank-1 tensor of f32, f16 or bf16, got tensor<4x4xf32>}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 0 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "sum", weighted = false, on_out_of_range = "error"}]} : (tensor<4x4xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @fused_weights_i64(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xi64>) {
  // expected-error@+1 {{'emb.fused_columns' op weights must be a rank-1 tensor of f32, got tensor<?xi64>}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 0 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "sum", weighted = false, on_out_of_range = "error"}]} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x4xf32>
  return
}

// -----

func.func @fused_no_columns(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op needs at least one column}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = []} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @fused_column_not_dict(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op attribute 'columns' element 0 must be a dictionary, got "sum"}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = ["sum"]} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @fused_column_missing_field(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op attribute 'columns' entry 0: attribute 'combiner' is missing}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 0 : i64, rows = 4 : i64, dim = 4 : i64, weighted = false, on_out_of_range = "error"}]} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @fused_column_bad_combiner(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op attribute 'columns' entry 0: attribute 'combiner' 'max' is not one of sum, mean, sqrtn}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 0 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "max", weighted = false, on_out_of_range = "error"}]} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @fused_column_bad_transform(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op attribute 'columns' entry 0: attribute 'transform' 'md5' is not a transform (int_hash_bucket, str_hash_bucket, vocabulary, bucketize)}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 0 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "sum", weighted = false, on_out_of_range = "error", transform = "md5", transform_buckets = 4 : i64}]} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @fused_column_zero_hash_buckets(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op attribute 'columns' entry 0: attribute 'transform_buckets' must be positive, got 0}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 0 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "sum", weighted = false, on_out_of_range = "error", transform = "int_hash_bucket", transform_buckets = 0 : i64}]} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @fused_column_hash_without_buckets(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op attribute 'columns' entry 0: attribute 'transform_buckets' is missing}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 0 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "sum", weighted = false, on_out_of_range = "error", transform = "int_hash_bucket"}]} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @fused_column_vocabulary_repeated_key(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op attribute 'columns' entry 0: attribute 'transform_keys' a key appears twice}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 0 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "sum", weighted = false, on_out_of_range = "error", transform = "vocabulary", transform_keys = [3, 5, 3], transform_default = -1 : i64}]} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @fused_column_vocabulary_without_default(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op attribute 'columns' entry 0: attribute 'transform_default' is missing}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 0 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "sum", weighted = false, on_out_of_range = "error", transform = "vocabulary", transform_keys = ["a"]}]} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @fused_column_bucketize_unsorted(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op attribute 'columns' entry 0: attribute 'transform_boundaries' bucket boundaries are not strictly increasing}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 0 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "sum", weighted = false, on_out_of_range = "error", transform = "bucketize", transform_boundaries = array<f64: 1.0, 1.0>}]} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @fused_column_zero_dim(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op column 0: rows, dim must be positive and table_offset non-negative}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 0 : i64, rows = 4 : i64, dim = 0 : i64, combiner = "sum", weighted = false, on_out_of_range = "error"}]} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x0xf32>
  return
}

// -----

func.func @fused_slice_past_end(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op column 0: table slice [4, 20) exceeds the 16 packed table elements}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 4 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "sum", weighted = false, on_out_of_range = "error"}]} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @fused_slice_overflow(%t: tensor<?xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op column 0: table slice overflows i64}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 0 : i64, rows = 4611686018427387904 : i64, dim = 4 : i64, combiner = "sum", weighted = false, on_out_of_range = "error"}]} : (tensor<?xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @fused_default_not_a_row(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op column 0: default_id 4 is not a row of its 4-row table}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 0 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "sum", weighted = false, on_out_of_range = "default", default_id = 4 : i64}]} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @fused_result_elem(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op result must be a rank-2 tensor of the tables' element type}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 0 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "sum", weighted = false, on_out_of_range = "error"}]} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf16>
  return
}

// -----

func.func @fused_width(%t: tensor<16xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>, %w: tensor<?xf32>) {
  // expected-error@+1 {{'emb.fused_columns' op result width 8 differs from the sum of the column dims 4}}
  %r = "emb.fused_columns"(%t, %ids, %o, %w) {schedule = "element", columns = [{table_offset = 0 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "sum", weighted = false, on_out_of_range = "error"}]} : (tensor<16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @concat_width_from_tables(%t: tensor<4x8xf32>, %ids: tensor<?xi64>, %o: tensor<?xi64>) {
  %a = "emb.lookup"(%t, %ids, %o) {combiner = "sum", on_out_of_range = "error"} : (tensor<4x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  // The lookups' widths come from their tables: 8 + 8.
  // expected-error@+1 {{'emb.concat' op result width 12 differs from the sum of the column widths 16}}
  %c = "emb.concat"(%a, %a) : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x12xf32>
  return
}

// -----

// A table whose padded size overflows 64-bit indexing (reliability repro r01b).
func.func @table_rows_i64_max() {
  // expected-error @+1 {{'emb.table' op table of 9223372036854775807 x 4 elements does not fit in 64-bit indexing}}
  %t = "emb.table"() {name = "t"} : () -> tensor<9223372036854775807x4xf32>
  return
}

// -----

// rows x dim past i64 (reliability repro r01c).
func.func @table_huge_product() {
  // expected-error @+1 {{'emb.table' op table of 1099511627776 x 1099511627776 elements does not fit in 64-bit indexing}}
  %t = "emb.table"() {name = "t"} : () -> tensor<1099511627776x1099511627776xf32>
  return
}
