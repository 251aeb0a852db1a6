// --emit-plan with id-transforms=kernel: the string column's hash and the
// integer column's vocabulary are absorbed into the fused columns
// (transform; the bucket count, or the vocabulary's record, in the column
// table; 64-bit ids), and their ids in the host program are the input's
// strings and the dense input's kept values themselves (emit-plan.mlir has
// the same model with both on the host).
// RUN: %recom_opt %s --allow-unregistered-dialect --pass-pipeline='builtin.module(recom-default{id-transforms=kernel})' --emit-plan | FileCheck %s

// Kernel columns: combiner, absorbed filter, out-of-range policy, table,
// transform (the string column is hashed in the kernel, the integer one
// looked up in its vocabulary), weights.
// CHECK:      "columns": [
// CHECK-NEXT:   {"combiner":"sum","filter":null,"on_out_of_range":"Error","table":0,"transform":{"buckets":100,"kind":"str_hash_bucket"},"weighted":false},
// CHECK-NEXT:   {"combiner":"mean","filter":{"default":null,"hi":3,"lo":0},"on_out_of_range":"Drop","table":1,"transform":{"default":-1,"keys":{"I64":[7,9]},"kind":"vocabulary","oov_buckets":2},"weighted":false},
// CHECK-NEXT:   {"combiner":"sum","filter":null,"on_out_of_range":"Error","table":2,"weighted":true}
// Kernel metadata: 6 fields per column (the last: the hash's bucket count,
// the vocabulary's record offset, 0 without a transform), then the
// vocabulary's record: 2 keys, 2 search steps, default -1, 2 OOV buckets
// from id 2, the keys sorted, their ids; 8 per work item.
// CHECK:      "columns_meta": [0,-9223372036854775808,9223372036854775807,-1,0,100,0,0,3,-1,1,18,0,-9223372036854775808,9223372036854775807,-1,2,0,2,2,-1,2,2,7,9,0,1],
// The model's inputs, named by recom.feed (arg<N> without one).
// CHECK:      "feeds": [
// CHECK-NEXT:   {"dtype":"Str","name":"user","shape":[-1]},
// CHECK-NEXT:   {"dtype":"I64","name":"user_indices","shape":[-1,2]},
// CHECK-NEXT:   {"dtype":"I64","name":"user_shape","shape":[2]},
// CHECK-NEXT:   {"dtype":"I64","name":"arg3","shape":[-1,3]},
// CHECK-NEXT:   {"dtype":"F32","name":"price","shape":[-1,1]}
// CHECK:      "function": "model",
// The host program: each column's CSR input from the inputs, one step per
// host-side op, each op once (the dense input's sparse form gives the
// vocabulary column's values and row offsets); the hashed string column's ids
// are the input's strings themselves.
// CHECK-NEXT: "host": {
// CHECK-NEXT:   "columns": [
// CHECK-NEXT:     {"ids":{"Feed":0},"row_offsets":{"Step":{"result":0,"step":0}},"weights":null},
// CHECK-NEXT:     {"ids":{"Step":{"result":1,"step":1}},"row_offsets":{"Step":{"result":0,"step":2}},"weights":null},
// CHECK-NEXT:     {"ids":{"Step":{"result":0,"step":3}},"row_offsets":{"Step":{"result":1,"step":3}},"weights":{"Step":{"result":2,"step":3}}}
// CHECK-NEXT:   ],
// CHECK-NEXT:   "steps": [
// CHECK-NEXT:     {"op":"CooRows","operands":[{"Feed":1},{"Feed":2}]},
// CHECK-NEXT:     {"op":{"SparseFromDense":{"ignore":{"I64":-1}}},"operands":[{"Feed":3}]},
// CHECK-NEXT:     {"op":"CooRows","operands":[{"Step":{"result":0,"step":1}},{"Step":{"result":2,"step":1}}]},
// CHECK-NEXT:     {"op":{"NumericInput":{"column":0,"normalizer":[1.5,2.0]}},"operands":[{"Feed":4}]}
// CHECK-NEXT:   ],
// No value of the host program feeds a dense program here.
// CHECK-NEXT:   "values": []
// CHECK-NEXT: },
// The string references and raw values need 64-bit ids.
// CHECK-NEXT: "index_bits": 64,
// Work items of 4 elements, grouped by the columns' kinds, each kind's group
// but the last padded to a warp (32) with padding items (valid = 0): the
// dim-6 column in two (4 + 2 valid) and 30 padding items, the mean column's
// item and 31, the weighted column's item.
// CHECK-NEXT: "items": [0,0,0,8,100,4,0,0,0,4,4,8,100,2,0,0,{{(0,4,4,8,100,0,0,0,){30}1}},800,6,4,4,4,0,0,{{(1,800,6,4,4,0,0,0,){31}2}},816,10,4,1,1,0,0],
// CHECK-NEXT: "kernel": "model_fused_0",
// The outputs: the function's one result is the embedding layer (named
// output<N> without a recom.output).
// CHECK-NEXT: "outputs": [
// CHECK-NEXT:   {"name":"output0","shape":[-1,11],"source":"embedding"}
// CHECK-NEXT: ],
// CHECK-NEXT: "per_item": 4,
// CHECK-NEXT: "rows_per_item": 1,
// The request's sizes from the layer's shape program.
// CHECK-NEXT: "shapes": {
// CHECK-NEXT:   "exprs": ["s0 - 1","s3 + (s4 + s5)","s0 + (s1 + s2)","s3 + (s4 + s5)","(s0 - 1) * 11","s0 - 1","min(s0, min(s1, s2)) - 1","max(s0, max(s1, s2)) - 1"],
// CHECK-NEXT:   "roles": ["batch","ids","offsets","weights","output","grid_x","batch_min","batch_max"],
// Tables in the packed buffer: rows padded to 4 floats.
// CHECK:      "tables": [
// CHECK-NEXT:   {"dim":6,"name":"users","offset":0,"pitch":8,"rows":100},
// CHECK-NEXT:   {"dim":4,"name":"items","offset":800,"pitch":4,"rows":4},
// CHECK-NEXT:   {"dim":1,"name":"recom.identity.1","offset":816,"pitch":4,"rows":1}
// CHECK-NEXT: ],
// The pass that turns the raw values into ids before the kernel runs.
// CHECK-NEXT: "transform_kernel": "model_fused_0__transform_ids",
// CHECK-NEXT: "width": 11
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
