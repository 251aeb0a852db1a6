// --emit-plan refuses what it cannot translate with an error located at the
// op concerned, naming the attribute or the producer.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --emit-plan

// The fused op was never lowered: no kernel to launch.
func.func @negative_not_lowered(%ids: tensor<?xi64>, %offs: tensor<?xi64>) -> tensor<?x4xf32> {
  %t = "emb.packed_tables"() {tables = [{dim = 4 : i64, name = "t0", rows = 10 : i64}]} : () -> tensor<40xf32>
  %p:3 = "emb.pack_inputs"(%ids, %offs) {operandSegmentSizes = array<i32: 1, 1, 0>, weighted = array<i1: false>} : (tensor<?xi64>, tensor<?xi64>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>)
  // expected-error @+1 {{'emb.fused_columns' op attribute 'kernel' is missing (was emb-lower-fused-columns run?)}}
  %o = "emb.fused_columns"(%t, %p#0, %p#1, %p#2) {columns = [{combiner = "sum", dim = 4 : i64, on_out_of_range = "error", rows = 10 : i64, table_offset = 0 : i64, weighted = false}], schedule = "element"} : (tensor<40xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return %o : tensor<?x4xf32>
}
func.func private @k()

// -----


// A kernel_* attribute of the wrong type.
func.func @negative_bad_kernel_attr(%ids: tensor<?xi64>, %offs: tensor<?xi64>) -> tensor<?x4xf32> {
  %t = "emb.packed_tables"() {tables = [{dim = 4 : i64, name = "t0", rows = 10 : i64}]} : () -> tensor<40xf32>
  %p:3 = "emb.pack_inputs"(%ids, %offs) {operandSegmentSizes = array<i32: 1, 1, 0>, weighted = array<i1: false>} : (tensor<?xi64>, tensor<?xi64>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>)
  // expected-error @+1 {{'emb.fused_columns' op attribute 'kernel_elements_per_item' must be an integer, got "four" (was emb-lower-fused-columns run?)}}
  %o = "emb.fused_columns"(%t, %p#0, %p#1, %p#2) {columns = [{combiner = "sum", dim = 4 : i64, on_out_of_range = "error", rows = 10 : i64, table_offset = 0 : i64, weighted = false}], kernel = @k, kernel_elements_per_item = "four", kernel_index_bits = 32 : i64, kernel_rows_per_item = 1 : i64, schedule = "element"} : (tensor<40xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return %o : tensor<?x4xf32>
}
func.func private @k()

// -----


// An index width the runtime does not pack.
func.func @negative_index_bits(%ids: tensor<?xi64>, %offs: tensor<?xi64>) -> tensor<?x4xf32> {
  %t = "emb.packed_tables"() {tables = [{dim = 4 : i64, name = "t0", rows = 10 : i64}]} : () -> tensor<40xf32>
  %p:3 = "emb.pack_inputs"(%ids, %offs) {operandSegmentSizes = array<i32: 1, 1, 0>, weighted = array<i1: false>} : (tensor<?xi64>, tensor<?xi64>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>)
  // expected-error @+1 {{'emb.fused_columns' op attribute 'kernel_index_bits' must be 32 or 64, got 48}}
  %o = "emb.fused_columns"(%t, %p#0, %p#1, %p#2) {columns = [{combiner = "sum", dim = 4 : i64, on_out_of_range = "error", rows = 10 : i64, table_offset = 0 : i64, weighted = false}], kernel = @k, kernel_elements_per_item = 4 : i64, kernel_index_bits = 48 : i64, kernel_rows_per_item = 1 : i64, schedule = "element"} : (tensor<40xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return %o : tensor<?x4xf32>
}
func.func private @k()

// -----


// A malformed column entry names the entry and the attribute.
func.func @negative_combiner(%ids: tensor<?xi64>, %offs: tensor<?xi64>) -> tensor<?x4xf32> {
  %t = "emb.packed_tables"() {tables = [{dim = 4 : i64, name = "t0", rows = 10 : i64}]} : () -> tensor<40xf32>
  %p:3 = "emb.pack_inputs"(%ids, %offs) {operandSegmentSizes = array<i32: 1, 1, 0>, weighted = array<i1: false>} : (tensor<?xi64>, tensor<?xi64>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>)
  // expected-error @+1 {{'emb.fused_columns' op attribute 'columns' entry 0: attribute 'combiner' 'max' is not one of sum, mean, sqrtn}}
  %o = "emb.fused_columns"(%t, %p#0, %p#1, %p#2) {columns = [{combiner = "max", dim = 4 : i64, on_out_of_range = "error", rows = 10 : i64, table_offset = 0 : i64, weighted = false}], kernel = @k, kernel_elements_per_item = 4 : i64, kernel_index_bits = 32 : i64, kernel_rows_per_item = 1 : i64, schedule = "element"} : (tensor<40xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return %o : tensor<?x4xf32>
}
func.func private @k()

// -----


// The tables must be the packed tables the plan describes.
func.func @negative_tables(%ids: tensor<?xi64>, %offs: tensor<?xi64>, %ext: tensor<40xf32>) -> tensor<?x4xf32> {
  %t = "emb.packed_tables"() {tables = [{dim = 4 : i64, name = "t0", rows = 10 : i64}]} : () -> tensor<40xf32>
  %p:3 = "emb.pack_inputs"(%ids, %offs) {operandSegmentSizes = array<i32: 1, 1, 0>, weighted = array<i1: false>} : (tensor<?xi64>, tensor<?xi64>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>)
  // expected-error @+1 {{the tables operand comes from block argument 2, not emb.packed_tables}}
  %o = "emb.fused_columns"(%ext, %p#0, %p#1, %p#2) {columns = [{combiner = "sum", dim = 4 : i64, on_out_of_range = "error", rows = 10 : i64, table_offset = 0 : i64, weighted = false}], kernel = @k, kernel_elements_per_item = 4 : i64, kernel_index_bits = 32 : i64, kernel_rows_per_item = 1 : i64, schedule = "element"} : (tensor<40xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return %o : tensor<?x4xf32>
}
func.func private @k()

// -----


// A table whose size does not match the column.
func.func @negative_table_shape(%ids: tensor<?xi64>, %offs: tensor<?xi64>) -> tensor<?x4xf32> {
  %t = "emb.packed_tables"() {tables = [{dim = 4 : i64, name = "t0", rows = 12 : i64}]} : () -> tensor<40xf32>
  %p:3 = "emb.pack_inputs"(%ids, %offs) {operandSegmentSizes = array<i32: 1, 1, 0>, weighted = array<i1: false>} : (tensor<?xi64>, tensor<?xi64>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>)
  // expected-error @+1 {{'emb.fused_columns' op attribute 'columns' entry 0: 10 x 4 does not match its table 't0' (12 x 4)}}
  %o = "emb.fused_columns"(%t, %p#0, %p#1, %p#2) {columns = [{combiner = "sum", dim = 4 : i64, on_out_of_range = "error", rows = 10 : i64, table_offset = 0 : i64, weighted = false}], kernel = @k, kernel_elements_per_item = 4 : i64, kernel_index_bits = 32 : i64, kernel_rows_per_item = 1 : i64, schedule = "element"} : (tensor<40xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return %o : tensor<?x4xf32>
}
func.func private @k()

// -----


// Ids from an op the host program does not run.
func.func @negative_producer(%ids: tensor<?xi64>, %offs: tensor<?xi64>) -> tensor<?x4xf32> {
  // expected-error @+1 {{column 0: the ids operand is 'tf.Foo' (result 0), which the runtime's host program does not run}}
  %x = "tf.Foo"(%ids) : (tensor<?xi64>) -> tensor<?xi64>
  %t = "emb.packed_tables"() {tables = [{dim = 4 : i64, name = "t0", rows = 10 : i64}]} : () -> tensor<40xf32>
  %p:3 = "emb.pack_inputs"(%x, %offs) {operandSegmentSizes = array<i32: 1, 1, 0>, weighted = array<i1: false>} : (tensor<?xi64>, tensor<?xi64>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>)
  %o = "emb.fused_columns"(%t, %p#0, %p#1, %p#2) {columns = [{combiner = "sum", dim = 4 : i64, on_out_of_range = "error", rows = 10 : i64, table_offset = 0 : i64, weighted = false}], kernel = @k, kernel_elements_per_item = 4 : i64, kernel_index_bits = 32 : i64, kernel_rows_per_item = 1 : i64, schedule = "element"} : (tensor<40xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return %o : tensor<?x4xf32>
}
func.func private @k()

// -----


// A vocabulary attribute the host program cannot use.
func.func @negative_oov(%ids: tensor<?xi64>, %offs: tensor<?xi64>) -> tensor<?x4xf32> {
  // expected-error @+1 {{column 0: 'emb.vocabulary' op attribute 'num_oov_buckets' must be >= 0, got -3}}
  %v = "emb.vocabulary"(%ids) {keys = [1, 2], default_id = -1 : i64, num_oov_buckets = -3 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  %t = "emb.packed_tables"() {tables = [{dim = 4 : i64, name = "t0", rows = 10 : i64}]} : () -> tensor<40xf32>
  %p:3 = "emb.pack_inputs"(%v, %offs) {operandSegmentSizes = array<i32: 1, 1, 0>, weighted = array<i1: false>} : (tensor<?xi64>, tensor<?xi64>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>)
  %o = "emb.fused_columns"(%t, %p#0, %p#1, %p#2) {columns = [{combiner = "sum", dim = 4 : i64, on_out_of_range = "error", rows = 10 : i64, table_offset = 0 : i64, weighted = false}], kernel = @k, kernel_elements_per_item = 4 : i64, kernel_index_bits = 32 : i64, kernel_rows_per_item = 1 : i64, schedule = "element"} : (tensor<40xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return %o : tensor<?x4xf32>
}
func.func private @k()

// -----

// Strings as ids: they need a hash or a vocabulary first.
func.func @negative_string_ids(%s: tensor<?x!tf.string> {recom.feed = "user"}, %offs: tensor<?xi64>) -> tensor<?x4xf32> {
  %t = "emb.packed_tables"() {tables = [{dim = 4 : i64, name = "t0", rows = 10 : i64}]} : () -> tensor<40xf32>
  // expected-error @+1 {{column 0: the ids are the strings of input 'user'; strings need an emb.hash_bucket or emb.vocabulary}}
  %p:3 = "emb.pack_inputs"(%s, %offs) {operandSegmentSizes = array<i32: 1, 1, 0>, weighted = array<i1: false>} : (tensor<?x!tf.string>, tensor<?xi64>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>)
  %o = "emb.fused_columns"(%t, %p#0, %p#1, %p#2) {columns = [{combiner = "sum", dim = 4 : i64, on_out_of_range = "error", rows = 10 : i64, table_offset = 0 : i64, weighted = false}], kernel = @k, kernel_elements_per_item = 4 : i64, kernel_index_bits = 32 : i64, kernel_rows_per_item = 1 : i64, schedule = "element"} : (tensor<40xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x4xf32>
  return %o : tensor<?x4xf32>
}
func.func private @k()

// -----

// An f16 table: emb-fuse-columns leaves its layer alone, and the translation
// says why instead of "no fused layer".
func.func @negative_f16_table(%ids: tensor<?xi64>, %offs: tensor<?xi64>) -> tensor<?x?xf32> {
  // expected-error @+1 {{the embedding layer was not fused: table 't16' is tensor<10x4xf16>, and the fused kernel reads f32 tables}}
  %t = "emb.table"() {name = "t16"} : () -> tensor<10x4xf16>
  %l = "emb.lookup"(%t, %ids, %offs) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf16>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %c = "emb.concat"(%l) : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %c : tensor<?x?xf32>
}

// -----

// A lookup whose rows feed something other than one concatenation (a Keras
// interaction layer): no layer forms, and the translation says so at the
// lookup instead of "found 0".
func.func @negative_no_layer(%ids: tensor<?xi64>, %offs: tensor<?xi64>) -> tensor<?x?xf32> {
  %t = "emb.table"() {name = "t"} : () -> tensor<10x4xf32>
  // expected-error @+1 {{no embedding layer was formed: this lookup's rows are not part of one concatenation the outputs read}}
  %l = "emb.lookup"(%t, %ids, %offs) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %s = "tf.Square"(%l) : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %s : tensor<?x?xf32>
}
