// The `dense` dialect, version 0: the dense part of a recommendation model.
//
// A batched value is a ranked f32 tensor `[?, d1, ...]` (dim 0 the batch) of
// width d1·...; a constant is a static f32 tensor from `dense.weight`.
// Broadcasting is explicit (`dense.broadcast`), so the inputs of an
// elementwise `dense.map` all have its result's type.
//
// Generated from the op declarations in crates/recom-dense/src/lib.rs (do not edit).
irdl.dialect @dense {
  // A constant of the model (a layer's kernel or bias), bound by name at run
  // time from the model's weights; a static f32 tensor.
  //   attrs: name : string
  irdl.operation @weight {
    %out_value = irdl.base "!builtin.tensor"
    %attr_name = irdl.base "#builtin.string"
    irdl.attributes { "name" = %attr_name }
    irdl.results(value: %out_value)
  }

  // A fully connected layer: activation(input · W + bias) on a batched
  // `[?, K]` input; W is `[K, N]` (`[N, K]` with transpose_weight), bias
  // `[N]`; the result is `[?, N]`. Bias and activation are the GEMM's
  // epilogue (`dense-fuse-epilogue` folds them in).
  //   attrs: activation : "none" | "relu"; transpose_weight : bool (optional)
  irdl.operation @linear {
    %in_input = irdl.base "!builtin.tensor"
    %in_weight = irdl.base "!builtin.tensor"
    %in_bias = irdl.base "!builtin.tensor"
    %out_output = irdl.base "!builtin.tensor"
    %attr_activation_none = irdl.is "none"
    %attr_activation_relu = irdl.is "relu"
    %attr_activation = irdl.any_of(%attr_activation_none, %attr_activation_relu)
    irdl.attributes { "activation" = %attr_activation }
    irdl.operands(input: %in_input, weight: %in_weight, bias: optional %in_bias)
    irdl.results(output: %out_output)
  }

  // A value made to a batched type of width W for an elementwise map: a
  // batched width-1 value repeated over the columns, a constant of W (or 1)
  // elements repeated over the rows, or a batched value of width W in
  // another shape. No data moves: the map reads its input with strides.
  irdl.operation @broadcast {
    %in_input = irdl.base "!builtin.tensor"
    %out_output = irdl.base "!builtin.tensor"
    irdl.operands(input: %in_input)
    irdl.results(output: %out_output)
  }

  // An elementwise expression over the inputs (`x0`, `x1`, ... in `expr`,
  // e.g. "sigmoid(add(x0, x1))"); every input has the result's (batched)
  // type. `dense-fuse-elementwise` merges chains of maps.
  //   attrs: expr : string
  irdl.operation @map {
    %in_inputs = irdl.base "!builtin.tensor"
    %out_output = irdl.base "!builtin.tensor"
    %attr_expr = irdl.base "#builtin.string"
    irdl.attributes { "expr" = %attr_expr }
    irdl.operands(inputs: variadic %in_inputs)
    irdl.results(output: %out_output)
  }

  // Two batched values side by side: `[?, a]`, `[?, b]` to `[?, a + b]` (an
  // n-ary concatenation is a chain).
  irdl.operation @concat {
    %in_lhs = irdl.base "!builtin.tensor"
    %in_rhs = irdl.base "!builtin.tensor"
    %out_output = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %in_lhs, rhs: %in_rhs)
    irdl.results(output: %out_output)
  }

  // Each row of a batched input reduced to one value: `[?, ...]` to `[?]` or
  // `[?, 1]`.
  //   attrs: reduction : "sum" | "mean"
  irdl.operation @reduce {
    %in_input = irdl.base "!builtin.tensor"
    %out_output = irdl.base "!builtin.tensor"
    %attr_reduction_sum = irdl.is "sum"
    %attr_reduction_mean = irdl.is "mean"
    %attr_reduction = irdl.any_of(%attr_reduction_sum, %attr_reduction_mean)
    irdl.attributes { "reduction" = %attr_reduction }
    irdl.operands(input: %in_input)
    irdl.results(output: %out_output)
  }

  // A batched value with other trailing dims of the same width (the rows
  // and their order are kept; no data moves).
  irdl.operation @reshape {
    %in_input = irdl.base "!builtin.tensor"
    %out_output = irdl.base "!builtin.tensor"
    irdl.operands(input: %in_input)
    irdl.results(output: %out_output)
  }
}
