// emb-fuse-columns: every column feeding an emb.concat becomes part of one
// emb.fused_columns over packed inputs.
// RUN: %recom_opt %s --split-input-file --allow-unregistered-dialect --pass-pipeline='builtin.module(emb-fuse-columns{id-transforms=kernel},recom-verify)' | FileCheck %s
// By default (id-transforms=host) the hashes stay host ops:
// RUN: %recom_opt %s --split-input-file --allow-unregistered-dialect --pass-pipeline='builtin.module(emb-fuse-columns,recom-verify)' | FileCheck %s --check-prefix=HOST
// HOST-LABEL: func.func @integer_hash_absorbed
// HOST-COUNT-2: "emb.hash_bucket"
// HOST-NOT: transform
// HOST-LABEL: func.func @string_hash_absorbed
// HOST-NOT: emb.string_refs
// HOST-NOT: transform =
// HOST: return
// 1,000 columns give exactly one fused op and no lookup left.
// RUN: %python %inputs/gen_columns.py 1000 > %t.1000.mlir
// RUN: %recom_opt %t.1000.mlir --pass-pipeline='builtin.module(emb-fuse-columns,recom-verify)' > %t.1000.out
// RUN: grep -c '"emb.fused_columns"' %t.1000.out | FileCheck %s --check-prefix=ONE
// RUN: not grep -q '"emb.lookup"\|"emb.concat"\|"emb.range_filter"' %t.1000.out
// ONE: {{^1$}}

/// [Pattern: concat of lookups] three columns, a shared table, a filter, weights.
// CHECK-LABEL: func.func @three_columns
// CHECK-SAME: (%[[IDS0:.+]]: tensor<?xi64>, %[[OFF0:.+]]: tensor<?xi64>, %[[IDS1:.+]]: tensor<?xi64>, %[[OFF1:.+]]: tensor<?xi64>, %[[W1:.+]]: tensor<?xf32>, %[[IDS2:.+]]: tensor<?xi64>, %[[OFF2:.+]]: tensor<?xi64>)
// The shared table "a" is packed once: 10*8 + 20*4 = 160 elements.
// CHECK: %[[T:.+]] = "emb.packed_tables"() {tables = [{dim = 8 : i64, name = "a", rows = 10 : i64}, {dim = 4 : i64, name = "b", rows = 20 : i64}]} : () -> tensor<160xf32>
// The filter's input is packed, not its output.
// CHECK: %[[P:.+]]:3 = "emb.pack_inputs"(%[[IDS0]], %[[IDS1]], %[[IDS2]], %[[OFF0]], %[[OFF1]], %[[OFF2]], %[[W1]]) {operandSegmentSizes = array<i32: 3, 3, 1>, weighted = array<i1: false, true, false>}
// CHECK: %[[F:.+]] = "emb.fused_columns"(%[[T]], %[[P]]#0, %[[P]]#1, %[[P]]#2)
// CHECK-SAME: {combiner = "sum", dim = 8 : i64, on_out_of_range = "error", rows = 10 : i64, table_offset = 0 : i64, weighted = false}
// CHECK-SAME: {combiner = "mean", dim = 4 : i64, on_out_of_range = "drop", rows = 20 : i64, table_offset = 80 : i64, weighted = true}
// CHECK-SAME: {combiner = "sqrtn", dim = 8 : i64, filter_default = 0 : i64, filter_hi = 5 : i64, filter_lo = 0 : i64, on_out_of_range = "error", rows = 10 : i64, table_offset = 0 : i64, weighted = false}
// CHECK-SAME: schedule = "element"
// CHECK-NOT: "emb.lookup"
// CHECK-NOT: "emb.table"
// CHECK-NOT: "emb.range_filter"
// CHECK: return %[[F]]
func.func @three_columns(%ids0: tensor<?xi64>, %off0: tensor<?xi64>, %ids1: tensor<?xi64>, %off1: tensor<?xi64>, %w1: tensor<?xf32>,
                         %ids2: tensor<?xi64>, %off2: tensor<?xi64>) -> tensor<?x20xf32> {
  %a = "emb.table"() {name = "a"} : () -> tensor<10x8xf32>
  %b = "emb.table"() {name = "b"} : () -> tensor<20x4xf32>
  %a2 = "emb.table"() {name = "a"} : () -> tensor<10x8xf32>
  %l0 = "emb.lookup"(%a, %ids0, %off0) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %l1 = "emb.lookup"(%b, %ids1, %off1, %w1) {combiner = "mean", on_out_of_range = "drop"} : (tensor<20x4xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x?xf32>
  %f2 = "emb.range_filter"(%ids2) {lo = 0 : i64, hi = 5 : i64, on_out_of_range = "default", default_id = 0 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  %l2 = "emb.lookup"(%a2, %f2, %off2) {combiner = "sqrtn", on_out_of_range = "error"} : (tensor<10x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %out = "emb.concat"(%l0, %l1, %l2) : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x20xf32>
  return %out : tensor<?x20xf32>
}

// -----

/// An emb.hash_bucket of i64 ids is absorbed (directly, and under a filter):
/// the raw ids are packed and the column hashes them in the kernel.
// CHECK-LABEL: func.func @integer_hash_absorbed
// CHECK-SAME: (%[[IDS0:.+]]: tensor<?xi64>, %[[OFF0:.+]]: tensor<?xi64>, %[[IDS1:.+]]: tensor<?xi64>, %[[OFF1:.+]]: tensor<?xi64>)
// CHECK-NOT: "emb.hash_bucket"
// CHECK: "emb.pack_inputs"(%[[IDS0]], %[[IDS1]], %[[OFF0]], %[[OFF1]])
// CHECK: "emb.fused_columns"
// CHECK-SAME: {combiner = "sum", dim = 4 : i64, on_out_of_range = "error", rows = 100 : i64, table_offset = 0 : i64, transform = "int_hash_bucket", transform_buckets = 100 : i64, weighted = false}
// CHECK-SAME: {combiner = "sum", dim = 4 : i64, filter_hi = 50 : i64, filter_lo = 0 : i64, on_out_of_range = "drop", rows = 100 : i64, table_offset = 0 : i64, transform = "int_hash_bucket", transform_buckets = 1000 : i64, weighted = false}
// CHECK-NOT: "emb.hash_bucket"
// CHECK-NOT: "emb.range_filter"
func.func @integer_hash_absorbed(%ids0: tensor<?xi64>, %off0: tensor<?xi64>, %ids1: tensor<?xi64>, %off1: tensor<?xi64>) -> tensor<?x8xf32> {
  %t = "emb.table"() {name = "t"} : () -> tensor<100x4xf32>
  %h0 = "emb.hash_bucket"(%ids0) {num_buckets = 100 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  %l0 = "emb.lookup"(%t, %h0, %off0) {combiner = "sum", on_out_of_range = "error"} : (tensor<100x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %h1 = "emb.hash_bucket"(%ids1) {num_buckets = 1000 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  %f1 = "emb.range_filter"(%h1) {lo = 0 : i64, hi = 50 : i64, on_out_of_range = "drop"} : (tensor<?xi64>) -> tensor<?xi64>
  %l1 = "emb.lookup"(%t, %f1, %off1) {combiner = "sum", on_out_of_range = "drop"} : (tensor<100x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %out = "emb.concat"(%l0, %l1) : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x8xf32>
  return %out : tensor<?x8xf32>
}

// -----

/// A hash of strings is absorbed too: the column's packed ids are
/// emb.string_refs of the strings. A hash with another user stays alive for
/// it, while the column still hashes in the kernel.
// CHECK-LABEL: func.func @string_hash_absorbed
// CHECK-SAME: (%[[S:.+]]: tensor<?x!tf.string>, %[[OFF0:.+]]: tensor<?xi64>, %[[INTS:.+]]: tensor<?xi64>, %[[OFF1:.+]]: tensor<?xi64>)
// CHECK: %[[HI:.+]] = "emb.hash_bucket"(%[[INTS]]) {num_buckets = 10 : i64} : (tensor<?xi64>) -> tensor<?xi64>
// CHECK: %[[R:.+]] = "emb.string_refs"(%[[S]]) : (tensor<?x!tf.string>) -> tensor<?xi64>
// CHECK: "emb.pack_inputs"(%[[R]], %[[INTS]], %[[OFF0]], %[[OFF1]])
// CHECK: "emb.fused_columns"
// CHECK-SAME: transform = "str_hash_bucket", transform_buckets = 10 : i64
// CHECK-SAME: transform = "int_hash_bucket", transform_buckets = 10 : i64
// CHECK: return %{{.+}}, %[[HI]]
func.func @string_hash_absorbed(%s: tensor<?x!tf.string>, %off0: tensor<?xi64>, %ints: tensor<?xi64>, %off1: tensor<?xi64>) -> (tensor<?x8xf32>, tensor<?xi64>) {
  %t = "emb.table"() {name = "t"} : () -> tensor<10x4xf32>
  %h0 = "emb.hash_bucket"(%s) {num_buckets = 10 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
  %l0 = "emb.lookup"(%t, %h0, %off0) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %h1 = "emb.hash_bucket"(%ints) {num_buckets = 10 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  %l1 = "emb.lookup"(%t, %h1, %off1) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %out = "emb.concat"(%l0, %l1) : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x8xf32>
  return %out, %h1 : tensor<?x8xf32>, tensor<?xi64>
}

// -----

/// Vocabularies of i64 and of string keys are absorbed: the kernel
/// searches their keys; the string column's packed ids are references.
// CHECK-LABEL: func.func @vocabularies_absorbed
// CHECK-SAME: (%[[S:.+]]: tensor<?x!tf.string>, %[[OFF0:.+]]: tensor<?xi64>, %[[INTS:.+]]: tensor<?xi64>, %[[OFF1:.+]]: tensor<?xi64>)
// CHECK-NOT: "emb.vocabulary"
// CHECK: %[[R:.+]] = "emb.string_refs"(%[[S]])
// CHECK: "emb.pack_inputs"(%[[R]], %[[INTS]], %[[OFF0]], %[[OFF1]])
// CHECK: "emb.fused_columns"
// CHECK-SAME: transform = "vocabulary", transform_default = -1 : i64, transform_keys = ["x", "y", ""]
// CHECK-SAME: transform = "vocabulary", transform_default = 0 : i64, transform_first = 2 : i64, transform_keys = [7, -3, 9223372036854775807], transform_oov_base = 0 : i64, transform_oov_buckets = 2 : i64
// CHECK-NOT: "emb.vocabulary"
func.func @vocabularies_absorbed(%s: tensor<?x!tf.string>, %off0: tensor<?xi64>, %ints: tensor<?xi64>, %off1: tensor<?xi64>) -> tensor<?x8xf32> {
  %t = "emb.table"() {name = "t"} : () -> tensor<10x4xf32>
  %v0 = "emb.vocabulary"(%s) {keys = ["x", "y", ""], default_id = -1 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
  %l0 = "emb.lookup"(%t, %v0, %off0) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %v1 = "emb.vocabulary"(%ints) {keys = [7, -3, 9223372036854775807], default_id = 0 : i64, num_oov_buckets = 2 : i64, first_id = 2 : i64, oov_base = 0 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  %l1 = "emb.lookup"(%t, %v1, %off1) {combiner = "mean", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %out = "emb.concat"(%l0, %l1) : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x8xf32>
  return %out : tensor<?x8xf32>
}

// -----

/// A bucketized column read by one lookup is absorbed: emb.float_entries
/// ships its dense input's entries raw (indices and dense shape as before)
/// and the kernel bucketizes them.
// CHECK-LABEL: func.func @bucketized_absorbed
// CHECK-SAME: (%[[X:.+]]: tensor<?x2xf32>)
// CHECK-NOT: "emb.bucketized_sparse"
// CHECK: %[[E:.+]]:3 = "emb.float_entries"(%[[X]]) : (tensor<?x2xf32>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
// CHECK: %[[ROWS:.+]] = "emb.coo_rows"(%[[E]]#0, %[[E]]#2)
// CHECK: "emb.pack_inputs"(%[[E]]#1, %[[ROWS]])
// CHECK: "emb.fused_columns"
// CHECK-SAME: transform = "bucketize", transform_boundaries = array<f64: 0.000000e+00, 1.000000e+01>
// CHECK-NOT: "emb.bucketized_sparse"
func.func @bucketized_absorbed(%x: tensor<?x2xf32>) -> tensor<?x4xf32> {
  %t = "emb.table"() {name = "t"} : () -> tensor<6x4xf32>
  %b:3 = "emb.bucketized_sparse"(%x) {boundaries = array<f64: 0.0, 10.0>} : (tensor<?x2xf32>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  %rows = "emb.coo_rows"(%b#0, %b#2) : (tensor<?x2xi64>, tensor<2xi64>) -> tensor<?xi64>
  %l = "emb.lookup"(%t, %b#1, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<6x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %out = "emb.concat"(%l) : (tensor<?x?xf32>) -> tensor<?x4xf32>
  return %out : tensor<?x4xf32>
}

// -----

/// Bucketized ids another op also reads (a crossed column) stay on the host.
// CHECK-LABEL: func.func @negative_bucketized_shared
// CHECK: %[[B:.+]]:3 = "emb.bucketized_sparse"
// CHECK-NOT: "emb.float_entries"
// CHECK: "emb.fused_columns"
// CHECK-NOT: transform =
// CHECK: return %{{.+}}, %[[B]]#1
func.func @negative_bucketized_shared(%x: tensor<?x1xf32>) -> (tensor<?x4xf32>, tensor<?xi64>) {
  %t = "emb.table"() {name = "t"} : () -> tensor<3x4xf32>
  %b:3 = "emb.bucketized_sparse"(%x) {boundaries = array<f64: 0.0, 10.0>} : (tensor<?x1xf32>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  %rows = "emb.coo_rows"(%b#0, %b#2) : (tensor<?x2xi64>, tensor<2xi64>) -> tensor<?xi64>
  %l = "emb.lookup"(%t, %b#1, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<3x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %out = "emb.concat"(%l) : (tensor<?x?xf32>) -> tensor<?x4xf32>
  return %out, %b#1 : tensor<?x4xf32>, tensor<?xi64>
}

// -----

/// A hash of i32 ids stays on the host (the kernel hashes i64 and strings).
// CHECK-LABEL: func.func @negative_i32_hash
// CHECK: %[[H:.+]] = "emb.hash_bucket"
// CHECK: "emb.pack_inputs"(%[[H]],
// CHECK-NOT: transform
func.func @negative_i32_hash(%ids: tensor<?xi32>, %off: tensor<?xi64>) -> tensor<?x4xf32> {
  %t = "emb.table"() {name = "t"} : () -> tensor<10x4xf32>
  %h = "emb.hash_bucket"(%ids) {num_buckets = 10 : i64} : (tensor<?xi32>) -> tensor<?xi64>
  %l = "emb.lookup"(%t, %h, %off) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %out = "emb.concat"(%l) : (tensor<?x?xf32>) -> tensor<?x4xf32>
  return %out : tensor<?x4xf32>
}

// -----

/// A lookup with another user stays alive for it; the concat is still fused.
// CHECK-LABEL: func.func @lookup_used_twice
// CHECK: %[[L:.+]] = "emb.lookup"
// CHECK: %[[F:.+]] = "emb.fused_columns"
// CHECK: return %[[F]], %[[L]]
func.func @lookup_used_twice(%ids: tensor<?xi64>, %off: tensor<?xi64>) -> (tensor<?x4xf32>, tensor<?x?xf32>) {
  %t = "emb.table"() {name = "t"} : () -> tensor<8x4xf32>
  %l = "emb.lookup"(%t, %ids, %off) {combiner = "sum", on_out_of_range = "error"} : (tensor<8x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %out = "emb.concat"(%l) : (tensor<?x?xf32>) -> tensor<?x4xf32>
  return %out, %l : tensor<?x4xf32>, tensor<?x?xf32>
}

// -----

/// No fusion: one concat operand is not a lookup.
// CHECK-LABEL: func.func @negative_operand_not_a_lookup
// CHECK-NOT: "emb.fused_columns"
// CHECK: "emb.concat"
func.func @negative_operand_not_a_lookup(%ids: tensor<?xi64>, %off: tensor<?xi64>, %dense: tensor<?x?xf32>) -> tensor<?x8xf32> {
  %t = "emb.table"() {name = "t"} : () -> tensor<8x4xf32>
  %l = "emb.lookup"(%t, %ids, %off) {combiner = "sum", on_out_of_range = "error"} : (tensor<8x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %out = "emb.concat"(%l, %dense) : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x8xf32>
  return %out : tensor<?x8xf32>
}

// -----

/// No fusion: the fused kernel reads f32 tables only (for now).
// CHECK-LABEL: func.func @negative_f16_table
// CHECK-NOT: "emb.fused_columns"
// CHECK: "emb.lookup"
func.func @negative_f16_table(%ids: tensor<?xi64>, %off: tensor<?xi64>) -> tensor<?x4xf16> {
  %t = "emb.table"() {name = "t"} : () -> tensor<8x4xf16>
  %l = "emb.lookup"(%t, %ids, %off) {combiner = "sum", on_out_of_range = "error"} : (tensor<8x4xf16>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf16>
  %out = "emb.concat"(%l) : (tensor<?x?xf16>) -> tensor<?x4xf16>
  return %out : tensor<?x4xf16>
}

// -----

/// No fusion: the table is a function argument, not an emb.table.
// CHECK-LABEL: func.func @negative_table_argument
// CHECK-NOT: "emb.fused_columns"
func.func @negative_table_argument(%t: tensor<8x4xf32>, %ids: tensor<?xi64>, %off: tensor<?xi64>) -> tensor<?x4xf32> {
  %l = "emb.lookup"(%t, %ids, %off) {combiner = "sum", on_out_of_range = "error"} : (tensor<8x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %out = "emb.concat"(%l) : (tensor<?x?xf32>) -> tensor<?x4xf32>
  return %out : tensor<?x4xf32>
}
