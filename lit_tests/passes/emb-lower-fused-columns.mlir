// emb-lower-fused-columns: each emb.fused_columns gets a loop kernel over
// memrefs, specialized per column kind, and the op records it.
// RUN: %recom_opt %s --split-input-file --pass-pipeline='builtin.module(emb-lower-fused-columns,recom-verify)' | FileCheck %s
// RUN: %recom_opt %s --split-input-file --pass-pipeline='builtin.module(emb-lower-fused-columns{elements-per-item=2})' | FileCheck %s --check-prefix=TWO
// RUN: not %recom_opt %s --pass-pipeline='builtin.module(emb-lower-fused-columns{elements-per-item=9})' 2>&1 | FileCheck %s --check-prefix=BAD
// Option values are checked when the pipeline is parsed: a flag error naming the option.
// BAD: error: option 'elements-per-item' of 'emb-lower-fused-columns' expects an integer in [0, 8], got '9'
// RUN: not %recom_opt %s --pass-pipeline='builtin.module(emb-lower-fused-columns{ids-per-iteration=17})' 2>&1 | FileCheck %s --check-prefix=BAD-IDS
// BAD-IDS: error: option 'ids-per-iteration' of 'emb-lower-fused-columns' expects an integer in [1, 16], got '17'
// RUN: not %recom_opt %s --pass-pipeline='builtin.module(emb-lower-fused-columns{index-bits=16})' 2>&1 | FileCheck %s --check-prefix=BAD-BITS
// BAD-BITS: error: option 'index-bits' of 'emb-lower-fused-columns' expects one of 0, 32, 64, got '16'
// RUN: not %recom_opt %s --split-input-file --pass-pipeline='builtin.module(emb-lower-fused-columns{index-bits=32})' 2>&1 | FileCheck %s --check-prefix=BAD-32
// BAD-32: error: emb-lower-fused-columns: index-bits=32, but a column's table rows or filter bounds do not fit in 32 bits, or a column transforms raw 64-bit values
// RUN: %recom_opt %s --split-input-file --pass-pipeline='builtin.module(emb-lower-fused-columns{index-bits=64})' | FileCheck %s --check-prefix=WIDE
// With index-bits=64 the kernel reads the ids and offsets as given.
// WIDE-LABEL: func.func @one_kind_fused_0
// WIDE-SAME: (%{{.+}}: memref<?xf32>, %{{.+}}: memref<?xi64>, %{{.+}}: memref<?xi64>,
// WIDE-NOT: arith.extsi
// WIDE: return
// RUN: %recom_opt %s --split-input-file --pass-pipeline='builtin.module(emb-lower-fused-columns{ids-per-iteration=4})' | FileCheck %s --check-prefix=FOUR
// FOUR-LABEL: func.func @one_kind_fused_0
// FOUR: scf.for {{.*}} step %c4{{.*}} iter_args
// FOUR-COUNT-4: vector.load {{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// FOUR-NOT: vector.load {{.*}} vector<4xf32>
// FOUR: arith.addf
// RUN: %recom_opt %s --split-input-file --pass-pipeline='builtin.module(emb-lower-fused-columns)' | FileCheck %s --check-prefix=PREFETCH
// With prefetch-ids (the default) the first two ids are loaded before the loop (only when
// the bag is not empty), and each iteration carries its raw ids in and loads
// the next iteration's after issuing its gathers. Ids are packed as i32 here
// (they fit) and widened as they are loaded.
// PREFETCH-LABEL: func.func @one_kind_fused_0
// PREFETCH: %[[FIRST:.+]]:2 = scf.if {{.*}} -> (i64, i64)
// PREFETCH: memref.load {{.*}} : memref<?xi32>
// PREFETCH: arith.extsi {{.*}} : i32 to i64
// PREFETCH: memref.load {{.*}} : memref<?xi32>
// PREFETCH: } else {
// The loop carries the sum, the current block of 8 and the kept-id count
// (TensorFlow's SparseSegment* summation order), then the raw ids.
// PREFETCH: scf.for {{.*}} step %c2{{.*}} iter_args({{.*}}%[[FIRST]]#0, {{.*}}%[[FIRST]]#1) -> (vector<4xf32>, vector<4xf32>, i64, i64, i64)
// PREFETCH-COUNT-2: vector.load {{.*}} : memref<?xf32>, vector<4xf32>
// PREFETCH-COUNT-2: memref.load {{.*}} : memref<?xi32>
// PREFETCH: arith.addf
// PREFETCH: scf.yield {{.*}} : vector<4xf32>, vector<4xf32>, i64, i64, i64
// RUN: %recom_opt %s --split-input-file --pass-pipeline='builtin.module(emb-lower-fused-columns{prefetch-ids=false})' | FileCheck %s --check-prefix=NOPREFETCH
// Without it, each iteration loads its own ids, then gathers.
// NOPREFETCH-LABEL: func.func @one_kind_fused_0
// NOPREFETCH-NOT: scf.if
// A bag longer than 8 first counts its kept ids (TensorFlow's summation
// order depends on n % 8): a loop of step 1 carrying the count.
// NOPREFETCH: arith.cmpi sgt
// NOPREFETCH: scf.for {{.*}} step %c1{{.*}} iter_args({{.*}}) -> (i64) {
// NOPREFETCH: scf.for {{.*}} step %c2{{.*}} iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>, i64) {
// NOPREFETCH-COUNT-2: memref.load {{.*}} : memref<?xi32>
// NOPREFETCH-COUNT-2: vector.load {{.*}} : memref<?xf32>, vector<4xf32>

/// One kind of column (sum, unweighted, no filter, error policy): one loop, no switch.
// CHECK-LABEL: func.func @one_kind
// CHECK: "emb.fused_columns"{{.*}}kernel = @one_kind_fused_0, kernel_elements_per_item = 4 : i64, kernel_index_bits = 32 : i64
// CHECK-LABEL: func.func @one_kind_fused_0
// CHECK-SAME: (%{{.+}}: memref<?xf32>, %{{.+}}: memref<?xi32>, %{{.+}}: memref<?xi32>, %{{.+}}: memref<?xf32>, %{{.+}}: memref<?x8xi64>, %{{.+}}: memref<?xi64>, %{{.+}}: memref<?x?xf32>, %{{.+}}: memref<1xi64>, %{{.+}}: memref<?xi8>)
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK: scf.parallel
// CHECK-NOT: scf.index_switch
// Two ids per iteration, each gathered with one 16-byte load of its (padded)
// table row, both loads before any use.
// CHECK: scf.for {{.*}} step %c2{{.*}} iter_args
// CHECK-COUNT-2: vector.load {{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK: arith.addf
// Under the error policy an out-of-range id is reported, not read.
// CHECK: memref.atomic_rmw maxu
// No weights, no mean/sqrtn division for sum columns.
// CHECK-NOT: arith.divf
// CHECK: return
// TWO-LABEL: func.func @one_kind_fused_0
// TWO: scf.for
// Two elements of each of the two ids' rows: four scalar gathers.
// TWO-COUNT-4: memref.load {{.*}} : memref<?xf32>
// TWO-NOT: memref.load {{.*}} : memref<?xf32>
// TWO: return
func.func @one_kind(%tables: tensor<48xf32>, %ids: tensor<?xi64>, %off: tensor<?xi64>, %w: tensor<?xf32>) -> tensor<?x12xf32> {
  %r = "emb.fused_columns"(%tables, %ids, %off, %w) {schedule = "element", columns = [
      {table_offset = 0 : i64, rows = 4 : i64, dim = 8 : i64, combiner = "sum", weighted = false, on_out_of_range = "error"},
      {table_offset = 32 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "sum", weighted = false, on_out_of_range = "error"}]}
      : (tensor<48xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x12xf32>
  return %r : tensor<?x12xf32>
}

// -----

/// Two kinds: a switch on the column's kind, one specialized loop per case.
/// What every kind reads is loaded before the switch (a warp of several
/// kinds runs the cases one after another): the kind, the bag's offsets,
/// the column's filter (3 fields) and default row, the bag's first ids.
// CHECK-LABEL: func.func @two_kinds_fused_0
// CHECK: scf.parallel
// A padding item (valid = 0) does nothing.
// CHECK-COUNT-3: vector.load {{.*}} : memref<?x8xi64>, vector<2xi64>
// CHECK-NOT: memref.load
// CHECK: %[[ACTIVE:.+]] = arith.cmpi sgt, %{{.+}}, %c0_i64 : i64
// CHECK-NEXT: scf.if %[[ACTIVE]] {
// CHECK: memref.load {{.*}} : memref<?xi64>
// CHECK-COUNT-2: memref.load {{.*}} : memref<?xi32>
// CHECK-COUNT-4: memref.load {{.*}} : memref<?xi64>
// CHECK: scf.if
// CHECK-COUNT-2: memref.load {{.*}} : memref<?xi32>
// CHECK: scf.index_switch
// CHECK: case 0 {
// CHECK-NOT: memref<?xi64>
// Weighted mean: loads weights, divides by their sum.
// CHECK: memref.load {{.*}} : memref<?xf32>
// CHECK: vector.load
// CHECK: arith.divf
// CHECK: default {
// CHECK: return
func.func @two_kinds(%tables: tensor<48xf32>, %ids: tensor<?xi64>, %off: tensor<?xi64>, %w: tensor<?xf32>) -> tensor<?x12xf32> {
  %r = "emb.fused_columns"(%tables, %ids, %off, %w) {schedule = "element", columns = [
      {table_offset = 0 : i64, rows = 4 : i64, dim = 8 : i64, combiner = "mean", weighted = true, on_out_of_range = "drop"},
      {table_offset = 32 : i64, rows = 4 : i64, dim = 4 : i64, combiner = "sum", weighted = false, on_out_of_range = "default", default_id = 1 : i64, filter_lo = 0 : i64, filter_hi = 3 : i64}]}
      : (tensor<48xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x12xf32>
  return %r : tensor<?x12xf32>
}

// -----

/// By default (elements-per-item=0) the item width follows the dims: 8 when
/// every column's dim is a multiple of 8 (here 8 and 16), two 16-byte loads
/// per id; the splits above (a dim of 4) get 4.
// CHECK-LABEL: func.func @wide_dims
// CHECK: "emb.fused_columns"{{.*}}kernel = @wide_dims_fused_0, kernel_elements_per_item = 8 : i64
// CHECK-LABEL: func.func @wide_dims_fused_0
// CHECK: scf.for {{.*}} step %c2{{.*}} iter_args
// CHECK-COUNT-4: vector.load {{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK: return
// TWO-LABEL: func.func @wide_dims
// TWO: kernel_elements_per_item = 2 : i64
func.func @wide_dims(%tables: tensor<96xf32>, %ids: tensor<?xi64>, %off: tensor<?xi64>, %w: tensor<?xf32>) -> tensor<?x24xf32> {
  %r = "emb.fused_columns"(%tables, %ids, %off, %w) {schedule = "element", columns = [
      {table_offset = 0 : i64, rows = 4 : i64, dim = 8 : i64, combiner = "sum", weighted = false, on_out_of_range = "error"},
      {table_offset = 32 : i64, rows = 4 : i64, dim = 16 : i64, combiner = "sum", weighted = false, on_out_of_range = "error"}]}
      : (tensor<96xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x24xf32>
  return %r : tensor<?x24xf32>
}

// -----

/// A filter bound past 32 bits: an id clamped into i32 could change sides,
/// so the kernel reads 64-bit ids (and index-bits=32 is refused above).
// CHECK-LABEL: func.func @ids_past_32_bits
// CHECK: "emb.fused_columns"{{.*}}kernel_index_bits = 64 : i64
// CHECK-LABEL: func.func @ids_past_32_bits_fused_0
// CHECK-SAME: (%{{.+}}: memref<?xf32>, %{{.+}}: memref<?xi64>, %{{.+}}: memref<?xi64>,
// CHECK-NOT: arith.extsi
// CHECK: return
func.func @ids_past_32_bits(%tables: tensor<32xf32>, %ids: tensor<?xi64>, %off: tensor<?xi64>, %w: tensor<?xf32>) -> tensor<?x8xf32> {
  %r = "emb.fused_columns"(%tables, %ids, %off, %w) {schedule = "element", columns = [
      {table_offset = 0 : i64, rows = 4 : i64, dim = 8 : i64, combiner = "sum", weighted = false, on_out_of_range = "drop", filter_lo = 0 : i64, filter_hi = 5000000000 : i64}]}
      : (tensor<32xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

/// A column that hashes its raw integer ids: 64-bit ids (a clamped value
/// would hash differently). The kernel reads ids only; a transform pass over
/// the same buffers (`kernel_transform`) runs first: the first work item of
/// each column (scf.parallel over items x 64 lanes) switches on the column's
/// kind and rewrites its ids in place, lane l taking every 64th from the
/// l-th; the bucket count read from the column table (field 5) goes to the
/// transform's function, emitted once: the decimal digits built in a
/// 19-step loop, then FarmHash and the remainder.
// CHECK-LABEL: func.func @hashed_ids
// CHECK: "emb.fused_columns"{{.*}}kernel_index_bits = 64 : i64
// CHECK-SAME: kernel_transform = @hashed_ids_fused_0__transform_ids
// CHECK-LABEL: func.func @hashed_ids_fused_0
// CHECK-SAME: (%{{.+}}: memref<?xf32>, %{{.+}}: memref<?xi64>, %{{.+}}: memref<?xi64>,
// CHECK-NOT: func.call
// CHECK: return
// CHECK-LABEL: func.func @hashed_ids_fused_0__transform_ids
// CHECK-SAME: %[[IDS:[^:]+]]: memref<?xi64>
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK: scf.parallel
// CHECK: arith.constant 5 : index
// CHECK: scf.index_switch
// CHECK: case 0 {
// CHECK: scf.for {{.+}} step %c64
// CHECK: %[[RAW:.+]] = memref.load %[[IDS]]
// CHECK: %[[ID:.+]] = func.call @hashed_ids_fused_0__int_hash_bucket(%[[RAW]], %{{.+}}) : (i64, i64) -> i64
// CHECK: memref.store %[[ID]], %[[IDS]]
// CHECK: default {
// CHECK-LABEL: func.func private @hashed_ids_fused_0__int_hash_bucket(%{{.+}}: i64, %{{.+}}: i64) -> i64
// CHECK: scf.for {{.+}} iter_args
// CHECK: arith.remui %{{.+}}, %{{.+}} : i64
// CHECK: arith.divui
// CHECK: arith.remui
// CHECK: return
func.func @hashed_ids(%tables: tensor<32xf32>, %ids: tensor<?xi64>, %off: tensor<?xi64>, %w: tensor<?xf32>) -> tensor<?x8xf32> {
  %r = "emb.fused_columns"(%tables, %ids, %off, %w) {schedule = "element", columns = [
      {table_offset = 0 : i64, rows = 4 : i64, dim = 8 : i64, combiner = "sum", weighted = false, on_out_of_range = "drop", transform = "int_hash_bucket", transform_buckets = 4 : i64}]}
      : (tensor<32xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

/// A column that hashes strings: the transform pass passes the raw
/// reference and the bytes (its last argument, memref<?xi8>) to the
/// transform's function, which decodes the reference (start = ref >> 24,
/// length = ref & 0xffffff), reads nothing for an empty string, computes
/// every length class up to 32 bytes and selects one, and takes the
/// 33-64-byte mix or the 64-byte loop for longer strings.
// CHECK-LABEL: func.func @hashed_strings_fused_0__transform_ids
// CHECK-SAME: memref<1xi64>, %[[BYTES:.+]]: memref<?xi8>)
// CHECK: func.call @hashed_strings_fused_0__str_hash_bucket(%{{.+}}, %{{.+}}, %[[BYTES]]) : (i64, i64, memref<?xi8>) -> i64
// CHECK-LABEL: func.func private @hashed_strings_fused_0__str_hash_bucket
// CHECK-SAME: (%{{.+}}: i64, %{{.+}}: i64, %[[B:.+]]: memref<?xi8>) -> i64
// CHECK: arith.constant 24 : i64
// CHECK: arith.constant 16777215 : i64
// CHECK: scf.if
// CHECK: memref.load %[[B]]
// CHECK: scf.for
// CHECK: return
func.func @hashed_strings(%tables: tensor<32xf32>, %ids: tensor<?xi64>, %off: tensor<?xi64>, %w: tensor<?xf32>) -> tensor<?x8xf32> {
  %r = "emb.fused_columns"(%tables, %ids, %off, %w) {schedule = "element", columns = [
      {table_offset = 0 : i64, rows = 4 : i64, dim = 8 : i64, combiner = "sum", weighted = false, on_out_of_range = "drop", transform = "str_hash_bucket", transform_buckets = 4 : i64}]}
      : (tensor<32xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}
