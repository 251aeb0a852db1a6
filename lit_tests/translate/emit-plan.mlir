// --emit-plan: the translation from compiled IR to the runtime's plan.
// Each column's host program is read off the producers of its packed
// inputs; tables, kernel metadata and the shape program off the fused op.
// RUN: %recom_opt %s --allow-unregistered-dialect --pass-pipeline='builtin.module(recom-default)' --emit-plan | FileCheck %s

// CHECK:      "function": "model",
// CHECK-NEXT: "kernel": "model_fused_0",
// The model's inputs, named by recom.feed (arg<N> without one).
// CHECK:      "name": "user",
// CHECK-NEXT: "dtype": "Str",
// CHECK:      "name": "user_indices",
// CHECK:      "name": "arg3",
// CHECK-NEXT: "dtype": "I64",
// CHECK-NEXT: "shape": [
// CHECK-NEXT:   -1,
// CHECK-NEXT:   3
// CHECK:      "name": "price",
// CHECK-NEXT: "dtype": "F32",
// Tables in the packed buffer: rows padded to 4 floats.
// CHECK:      "tables": [
// CHECK:        "name": "users",
// CHECK-NEXT:   "rows": 100,
// CHECK-NEXT:   "dim": 6,
// CHECK-NEXT:   "pitch": 8,
// CHECK-NEXT:   "offset": 0
// CHECK:        "name": "items",
// CHECK:        "offset": 800
// CHECK:        "name": "recom.identity.1",
// Column 0: Fingerprint64 of the strings mod 100, rows from the COO indices.
// CHECK:      "columns": [
// CHECK:        "table": 0,
// CHECK-NEXT:   "weighted": false,
// CHECK-NEXT:   "filter": null,
// CHECK-NEXT:   "ids": {
// CHECK-NEXT:     "Hash": {
// CHECK-NEXT:       "values": {
// CHECK-NEXT:         "Feed": 0
// CHECK:            "buckets": 100
// CHECK:        "rows": {
// CHECK-NEXT:     "Coo": {
// CHECK-NEXT:       "indices": 1,
// CHECK-NEXT:       "dense_shape": 2
// Column 1: a vocabulary over the entries of a dense input that are not -1,
// through an absorbed range filter.
// CHECK:        "table": 1,
// CHECK-NEXT:   "weighted": false,
// CHECK-NEXT:   "filter": {
// CHECK-NEXT:     "lo": 0,
// CHECK-NEXT:     "hi": 3,
// CHECK-NEXT:     "default": null
// CHECK:          "Vocabulary": {
// CHECK-NEXT:       "values": {
// CHECK-NEXT:         "Dense": {
// CHECK-NEXT:           "feed": 3,
// CHECK-NEXT:           "ignore": {
// CHECK-NEXT:             "I64": -1
// CHECK:            "keys": {
// CHECK-NEXT:         "I64": [
// CHECK-NEXT:           7,
// CHECK-NEXT:           9
// CHECK:            "default": -1,
// CHECK-NEXT:       "oov_buckets": 2
// CHECK:        "rows": {
// CHECK-NEXT:     "Dense": {
// CHECK-NEXT:       "feed": 3,
// Column 2: a numeric input, one weighted id 0 per row, normalized.
// CHECK:        "table": 2,
// CHECK-NEXT:   "weighted": true,
// CHECK:        "ids": {
// CHECK-NEXT:     "Zeros": {
// CHECK-NEXT:       "feed": 4
// CHECK:        "rows": {
// CHECK-NEXT:     "OnePerRow": {
// CHECK:        "weights": {
// CHECK-NEXT:     "Numeric": {
// CHECK-NEXT:       "feed": 4,
// CHECK-NEXT:       "column": 0,
// CHECK-NEXT:       "normalizer": [
// CHECK-NEXT:         1.5,
// CHECK-NEXT:         2.0
// CHECK:      "width": 11,
// Kernel metadata: 5 fields per column, 8 per work item.
// CHECK:      "columns_meta": [
// CHECK:      "per_item": 4,
// CHECK-NEXT: "rows_per_item": 1,
// CHECK-NEXT: "index_bits": 32,
// The request's sizes from the layer's shape program.
// CHECK:      "shapes": {
// CHECK:        "roles": [
// CHECK-NEXT:     "batch",
func.func @model(%user: tensor<?x!tf.string> {recom.feed = "user"}, %ui: tensor<?x2xi64> {recom.feed = "user_indices"},
                 %us: tensor<2xi64> {recom.feed = "user_shape"}, %items: tensor<?x3xi64>,
                 %price: tensor<?x1xf32> {recom.feed = "price"}) -> tensor<?x11xf32> {
  %tu = "emb.table"() {name = "users"} : () -> tensor<100x6xf32>
  %ti = "emb.table"() {name = "items"} : () -> tensor<4x4xf32>
  %tn = "emb.table"() {name = "recom.identity.1"} : () -> tensor<1x1xf32>
  %h = "emb.hash_bucket"(%user) {num_buckets = 100 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
  %hr = "emb.coo_rows"(%ui, %us) : (tensor<?x2xi64>, tensor<2xi64>) -> tensor<?xi64>
  %l0 = "emb.lookup"(%tu, %h, %hr) {combiner = "sum", on_out_of_range = "error"} : (tensor<100x6xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %d:3 = "emb.sparse_from_dense"(%items) {ignore_value = -1 : i64} : (tensor<?x3xi64>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  %v = "emb.vocabulary"(%d#1) {keys = [7, 9], default_id = -1 : i64, num_oov_buckets = 2 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  %f = "emb.range_filter"(%v) {lo = 0 : i64, hi = 3 : i64, on_out_of_range = "drop"} : (tensor<?xi64>) -> tensor<?xi64>
  %dr = "emb.coo_rows"(%d#0, %d#2) : (tensor<?x2xi64>, tensor<2xi64>) -> tensor<?xi64>
  %l1 = "emb.lookup"(%ti, %f, %dr) {combiner = "mean", on_out_of_range = "drop"} : (tensor<4x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %n:3 = "emb.numeric_input"(%price) {column = 0 : i64, shift = 1.5 : f64, scale = 2.0 : f64} : (tensor<?x1xf32>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>)
  %l2 = "emb.lookup"(%tn, %n#0, %n#1, %n#2) {combiner = "sum", on_out_of_range = "error"} : (tensor<1x1xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x?xf32>
  %c = "emb.concat"(%l0, %l1, %l2) : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x11xf32>
  return %c : tensor<?x11xf32>
}
