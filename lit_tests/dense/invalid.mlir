// Every verifier error of the dense dialect: structural ones from IRDL while
// parsing, semantic ones from recom-verify.
// RUN: %recom_opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(recom-verify)'

func.func @weight_without_name() {
  // expected-error@+1 {{attribute "name" is expected but not provided}}
  %w = "dense.weight"() : () -> tensor<4xf32>
  return
}

// -----

func.func @weight_dynamic() {
  // expected-error@+1 {{result must be a static f32 tensor}}
  %w = "dense.weight"() {name = "w"} : () -> tensor<?xf32>
  return
}

// -----

func.func @linear_bad_activation(%x: tensor<?x4xf32>, %w: tensor<4x2xf32>) {
  // expected-error@+1 {{does not satisfy the constraint}}
  %l = "dense.linear"(%x, %w) {activation = "gelu"} : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  return
}

// -----

func.func @linear_width_mismatch(%x: tensor<?x5xf32>, %w: tensor<4x2xf32>) {
  // expected-error@+1 {{input has width 5 but the weight maps 4 inputs}}
  %l = "dense.linear"(%x, %w) {activation = "none"} : (tensor<?x5xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  return
}

// -----

func.func @linear_bias_size(%x: tensor<?x4xf32>, %w: tensor<4x2xf32>, %b: tensor<3xf32>) {
  // expected-error@+1 {{bias must be a constant of 2 elements}}
  %l = "dense.linear"(%x, %w, %b) {activation = "none"} : (tensor<?x4xf32>, tensor<4x2xf32>, tensor<3xf32>) -> tensor<?x2xf32>
  return
}

// -----

func.func @map_bad_expr(%x: tensor<?x4xf32>) {
  // expected-error@+1 {{unknown function 'gelu'}}
  %m = "dense.map"(%x) {expr = "gelu(x0)"} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @map_reads_missing_input(%x: tensor<?x4xf32>) {
  // expected-error@+1 {{expr reads x1 but the op has 1 inputs}}
  %m = "dense.map"(%x) {expr = "add(x0, x1)"} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @map_not_batched(%x: tensor<4xf32>) {
  // expected-error@+1 {{result must be batched}}
  %m = "dense.map"(%x) {expr = "neg(x0)"} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @broadcast_wrong_width(%b: tensor<3xf32>) {
  // expected-error@+1 {{does not broadcast to width 4}}
  %m = "dense.broadcast"(%b) : (tensor<3xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @concat_width(%x: tensor<?x4xf32>, %y: tensor<?x2xf32>) {
  // expected-error@+1 {{inputs have total width 6 but the result has width 5}}
  %c = "dense.concat"(%x, %y) : (tensor<?x4xf32>, tensor<?x2xf32>) -> tensor<?x5xf32>
  return
}

// -----

func.func @reduce_not_one(%x: tensor<?x4xf32>) {
  // expected-error@+1 {{result must be one value per row}}
  %r = "dense.reduce"(%x) {reduction = "sum"} : (tensor<?x4xf32>) -> tensor<?x2xf32>
  return
}

// -----

func.func @reshape_width(%x: tensor<?x4xf32>) {
  // expected-error@+1 {{input has width 4 but the result has width 2}}
  %r = "dense.reshape"(%x) : (tensor<?x4xf32>) -> tensor<?x2xf32>
  return
}
