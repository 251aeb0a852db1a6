// emb-shape-construct: the fused layer's sizes (batch, packed buffers,
// output, grid) as ONE shape_construct over its inputs' symbols.
// RUN: %recom_opt %s --split-input-file --pass-pipeline='builtin.module(emb-fuse-columns,emb-shape-construct{rows-per-item=2},emb-shape-construct,recom-verify)' | FileCheck %s
// RUN: not %recom_opt %s --pass-pipeline='builtin.module(emb-shape-construct{rows-per-item=0})' 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: option 'rows-per-item' of 'emb-shape-construct' expects an integer in [1, 16], got '0'

// CHECK-LABEL: func.func @layer
// CHECK-DAG: %[[L0:.+]] = "symshape.symbol"(%arg1) {dim = 0 : i64, facts = ["non_negative"], name = "column 0 offsets"}
// CHECK-DAG: %[[L1:.+]] = "symshape.symbol"(%arg4) {dim = 0 : i64, facts = ["non_negative"], name = "column 1 offsets"}
// CHECK-DAG: %[[N0:.+]] = "symshape.symbol"(%arg0) {dim = 0 : i64, facts = ["non_negative"], name = "column 0 ids"}
// CHECK-DAG: %[[N1:.+]] = "symshape.symbol"(%arg3) {dim = 0 : i64, facts = ["non_negative"], name = "column 1 ids"}
// CHECK: "symshape.shape_construct"(%[[L0]], %[[L1]], %[[N0]], %[[N1]])
// CHECK-SAME: exprs = ["s0 - 1", "s2 + s3", "s0 + s1", "s2 + s3", "(s0 - 1) * 12", "(s0 - 1) ceildiv 2", "min(s0, s1) - 1", "max(s0, s1) - 1"]
// CHECK-SAME: roles = ["batch", "ids", "offsets", "weights", "output", "grid_x", "batch_min", "batch_max"]
// CHECK: "emb.fused_columns"{{.*}}shape_program
func.func @layer(%a: tensor<?xi64>, %ao: tensor<?xi64>, %w: tensor<?xf32>, %b: tensor<?xi64>, %bo: tensor<?xi64>) -> tensor<?x12xf32> {
  %t0 = "emb.table"() {name = "t0"} : () -> tensor<10x4xf32>
  %t1 = "emb.table"() {name = "t1"} : () -> tensor<20x8xf32>
  %l0 = "emb.lookup"(%t0, %a, %ao, %w) {combiner = "mean", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x?xf32>
  %l1 = "emb.lookup"(%t1, %b, %bo) {combiner = "sum", on_out_of_range = "error"} : (tensor<20x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %c = "emb.concat"(%l0, %l1) : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x12xf32>
  return %c : tensor<?x12xf32>
}

// -----

/// negative_: unweighted layers carry no weights; a layer that already has
/// its program (run twice) gets no second one.
// CHECK-LABEL: func.func @negative_twice
// CHECK-COUNT-1: "symshape.shape_construct"
// CHECK-SAME: exprs = ["s0 - 1", "s1", "s0", "0", "(s0 - 1) * 4"
// CHECK-NOT: "symshape.shape_construct"
func.func @negative_twice(%a: tensor<?xi64>, %ao: tensor<?xi64>) -> tensor<?x4xf32> {
  %t0 = "emb.table"() {name = "t0"} : () -> tensor<10x4xf32>
  %l0 = "emb.lookup"(%t0, %a, %ao) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %c = "emb.concat"(%l0) : (tensor<?x?xf32>) -> tensor<?x4xf32>
  return %c : tensor<?x4xf32>
}
