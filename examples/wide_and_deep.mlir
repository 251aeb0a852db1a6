// A small wide-and-deep style model's embedding layer, written in the emb
// dialect: the bundled example of recom's README (`tools/example.sh` runs the
// default pipeline on it).
//
// Inputs are CSR sparse columns: ids plus B + 1 row offsets per column.
// The function returns the [B, 64] concatenation of the column outputs and
// the output size in elements, computed on the host by shape_construct.
module {
  func.func @embedding_layer(
      %user_ids: tensor<?xi64>, %user_offsets: tensor<?xi64>,
      %ages: tensor<?xf32>, %age_offsets: tensor<?xi64>,
      %item_ids: tensor<?xi64>, %item_offsets: tensor<?xi64>,
      %tag_ids: tensor<?xi64>, %tag_offsets: tensor<?xi64>, %tag_weights: tensor<?xf32>,
      %clicked_ids: tensor<?xi64>, %clicked_offsets: tensor<?xi64>)
      -> (tensor<?x64xf32>, index) {
    // Tables, bound by name at run time.
    %user_table = "emb.table"() {name = "user_embedding"} : () -> tensor<100000x16xf32>
    %age_table = "emb.table"() {name = "age_embedding"} : () -> tensor<6x8xf32>
    %item_table = "emb.table"() {name = "item_embedding"} : () -> tensor<50000x16xf32>
    %tag_table = "emb.table"() {name = "tag_embedding"} : () -> tensor<1000x8xf32>

    // user_id: hashed into 100000 buckets, summed.
    %user_hashed = "emb.hash_bucket"(%user_ids) {num_buckets = 100000 : i64} : (tensor<?xi64>) -> tensor<?xi64>
    %user = "emb.lookup"(%user_table, %user_hashed, %user_offsets) {combiner = "sum", on_out_of_range = "error"}
        : (tensor<100000x16xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>

    // age: bucketized at 18/25/35/50/65.
    %age_bucket = "emb.bucketize"(%ages) {boundaries = array<f64: 18.0, 25.0, 35.0, 50.0, 65.0>} : (tensor<?xf32>) -> tensor<?xi64>
    %age = "emb.lookup"(%age_table, %age_bucket, %age_offsets) {combiner = "sum", on_out_of_range = "error"}
        : (tensor<6x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>

    // item_id: user-supplied ids, out-of-vocabulary ids map to row 0, mean pooled.
    %item_checked = "emb.range_filter"(%item_ids) {lo = 0 : i64, hi = 50000 : i64, on_out_of_range = "default", default_id = 0 : i64}
        : (tensor<?xi64>) -> tensor<?xi64>
    %item = "emb.lookup"(%item_table, %item_checked, %item_offsets) {combiner = "mean", on_out_of_range = "error"}
        : (tensor<50000x16xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>

    // tags: weighted categorical column, sqrtn pooled; ids past the table are dropped.
    %tags = "emb.lookup"(%tag_table, %tag_ids, %tag_offsets, %tag_weights) {combiner = "sqrtn", on_out_of_range = "drop"}
        : (tensor<1000x8xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x?xf32>

    // clicked items share item_embedding (a second declaration of the same table).
    %item_table_again = "emb.table"() {name = "item_embedding"} : () -> tensor<50000x16xf32>
    %clicked_checked = "emb.range_filter"(%clicked_ids) {lo = 0 : i64, hi = 50000 : i64, on_out_of_range = "drop"}
        : (tensor<?xi64>) -> tensor<?xi64>
    %clicked = "emb.lookup"(%item_table_again, %clicked_checked, %clicked_offsets) {combiner = "mean", on_out_of_range = "error"}
        : (tensor<50000x16xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>

    %out = "emb.concat"(%user, %age, %item, %tags, %clicked)
        : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x64xf32>

    // Shapes: B is the number of user rows (offsets hold B + 1 entries).
    %b_plus_1 = "symshape.symbol"(%user_offsets) {name = "B_plus_1", dim = 0 : i64, facts = ["non_negative", "non_zero"]}
        : (tensor<?xi64>) -> index
    %out_elems = "symshape.shape_construct"(%b_plus_1) {exprs = ["(s0 - 1) * 64"]} : (index) -> index

    // Leftovers of an importer: width arithmetic the clean-up folds away.
    %c16 = arith.constant 16 : index
    %c8 = arith.constant 8 : index
    %w0 = arith.addi %c16, %c8 : index
    %w1 = arith.addi %c16, %c8 : index
    %unused = arith.muli %w0, %w1 : index
    return %out, %out_elems : tensor<?x64xf32>, index
  }

  // A helper nothing calls: symbol-dce removes it.
  func.func private @legacy_helper(%x: index) -> index {
    %c1 = arith.constant 1 : index
    %y = arith.addi %x, %c1 : index
    return %y : index
  }
}
