func.func @f(%x: index) {
  %y = arith.addi %x, %x : index
  %z = "emb.table"() {name = "t"} : () -> tensor<4x4xf32
}
