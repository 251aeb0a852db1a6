// Round trip of every emb op: print, parse the printed form again, same IR.
// RUN: %recom_opt %s --pass-pipeline='builtin.module(recom-verify)' | %recom_opt | FileCheck %s

// CHECK-LABEL: func.func @column_chain
func.func @column_chain(%ids: tensor<?xi64>, %offsets: tensor<?xi64>, %w: tensor<?xf32>, %x: tensor<?xf32>)
    -> tensor<?x24xf32> {
  // CHECK: %[[T:.+]] = "emb.table"() {name = "users"} : () -> tensor<1000x8xf32>
  %t = "emb.table"() {name = "users"} : () -> tensor<1000x8xf32>
  // CHECK: %[[H:.+]] = "emb.hash_bucket"(%{{.+}}) {num_buckets = 1000 : i64}
  %h = "emb.hash_bucket"(%ids) {num_buckets = 1000 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  // CHECK: %[[F:.+]] = "emb.range_filter"(%[[H]]) {default_id = 0 : i64, hi = 1000 : i64, lo = 0 : i64, on_out_of_range = "default"}
  %f = "emb.range_filter"(%h) {lo = 0 : i64, hi = 1000 : i64, on_out_of_range = "default", default_id = 0 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  // CHECK: %[[L0:.+]] = "emb.lookup"(%[[T]], %[[F]], %{{.+}}) {combiner = "sum", on_out_of_range = "error"}
  %l0 = "emb.lookup"(%t, %f, %offsets) {combiner = "sum", on_out_of_range = "error"} : (tensor<1000x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  // CHECK: %[[L1:.+]] = "emb.lookup"(%[[T]], %[[F]], %{{.+}}, %{{.+}}) {combiner = "sqrtn", on_out_of_range = "drop"}
  %l1 = "emb.lookup"(%t, %f, %offsets, %w) {combiner = "sqrtn", on_out_of_range = "drop"} : (tensor<1000x8xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x?xf32>
  // CHECK: %[[B:.+]] = "emb.bucketize"(%{{.+}}) {boundaries = array<f64: -1.000000e+00, 0.000000e+00, 2.500000e+00>}
  %b = "emb.bucketize"(%x) {boundaries = array<f64: -1.0, 0.0, 2.5>} : (tensor<?xf32>) -> tensor<?xi64>
  %t2 = "emb.table"() {name = "ages"} : () -> tensor<4x8xf32>
  // CHECK: %[[L2:.+]] = "emb.lookup"({{.+}}) {combiner = "mean", default_id = 3 : i64, on_out_of_range = "default"}
  %l2 = "emb.lookup"(%t2, %b, %offsets) {combiner = "mean", on_out_of_range = "default", default_id = 3 : i64} : (tensor<4x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  // CHECK: "emb.concat"(%[[L0]], %[[L1]], %[[L2]]) : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x24xf32>
  %c = "emb.concat"(%l0, %l1, %l2) : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x24xf32>
  return %c : tensor<?x24xf32>
}

// A table name may be declared twice with the same type (shared embeddings).
// CHECK-LABEL: func.func @shared_table
func.func @shared_table() -> (tensor<10x4xf16>, tensor<10x4xf16>) {
  // CHECK-COUNT-2: "emb.table"() {name = "shared"} : () -> tensor<10x4xf16>
  %a = "emb.table"() {name = "shared"} : () -> tensor<10x4xf16>
  %b = "emb.table"() {name = "shared"} : () -> tensor<10x4xf16>
  return %a, %b : tensor<10x4xf16>, tensor<10x4xf16>
}

// CHECK-LABEL: func.func @fused
func.func @fused(%tables: tensor<96xf32>, %ids: tensor<?xi64>, %offsets: tensor<?xi64>, %w: tensor<?xf32>) -> tensor<?x12xf32> {
  // CHECK: "emb.fused_columns"(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) {columns = [{combiner = "sum", dim = 8 : i64, on_out_of_range = "error", rows = 10 : i64, table_offset = 0 : i64, weighted = false}, {combiner = "mean", default_id = 0 : i64, dim = 4 : i64, on_out_of_range = "default", rows = 4 : i64, table_offset = 80 : i64, weighted = true}], schedule = "element"}
  %r = "emb.fused_columns"(%tables, %ids, %offsets, %w) {schedule = "element", columns = [
      {table_offset = 0 : i64, rows = 10 : i64, dim = 8 : i64, combiner = "sum", weighted = false, on_out_of_range = "error"},
      {table_offset = 80 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "mean", weighted = true, on_out_of_range = "default", default_id = 0 : i64}]}
      : (tensor<96xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x12xf32>
  return %r : tensor<?x12xf32>
}

