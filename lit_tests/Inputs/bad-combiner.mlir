// Input of errors.mlir: a combiner IRDL rejects.
func.func @f(%t: tensor<4x4xf32>, %ids: tensor<?xi64>, %offsets: tensor<?xi64>) -> tensor<?x4xf32> {
  // line 4:
  %l = "emb.lookup"(%t, %ids, %offsets) {combiner = "max", on_out_of_range = "error"} : (tensor<4x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x4xf32>
  return %l : tensor<?x4xf32>
}
