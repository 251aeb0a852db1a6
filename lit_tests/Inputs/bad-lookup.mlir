// Input of errors.mlir: a lookup whose result width is not the table's.
func.func @f(%ids: tensor<?xi64>, %offsets: tensor<?xi64>) -> tensor<?x8xf32> {
  %t = "emb.table"() {name = "t"} : () -> tensor<16x4xf32>
  // The error is on the next line, column 8.
  %l = "emb.lookup"(%t, %ids, %offsets) {combiner = "sum", on_out_of_range = "error"} : (tensor<16x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x8xf32>
  return %l : tensor<?x8xf32>
}
