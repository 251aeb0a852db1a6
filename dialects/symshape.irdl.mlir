// The `symshape` dialect, version 0: symbolic shapes.
//
// A symbol is an `index` value standing for a size known only at run time
// (batch B, ids per column, rows kept by a filter). Shape expressions combine
// symbols and constants. `shape_construct` is the single host-side program
// that computes every shape a function needs from the symbols alone.
// Semantic checks (facts, arities, expression syntax, operand origins) are the
// ops' verifier hooks, run by `recom-verify`.
//
// Generated from the op declarations in crates/recom-symshape/src/lib.rs: do not edit.
irdl.dialect @symshape {
  // A symbolic dimension: dimension `dim` of the generator `source` (when
  // given). attrs: name : string, dim : i64 >= 0,
  //   facts : array of "non_negative" | "non_zero" (known properties),
  //   [equal_to : i64, the index of an older symbol of the same function
  //   known to be equal (shape inference merged them)].
  irdl.operation @symbol {
    %in_source = irdl.any
    %out_result = irdl.is index
    %attr_name = irdl.base "#builtin.string"
    %attr_dim = irdl.base "#builtin.integer"
    %attr_facts = irdl.base "#builtin.array"
    irdl.attributes { "name" = %attr_name, "dim" = %attr_dim, "facts" = %attr_facts }
    irdl.operands(source: optional %in_source)
    irdl.results(result: %out_result)
  }

  // One shape expression over index values: add, sub, mul, floordiv,
  // ceildiv, max, min take two operands; select(c, a, b) = c != 0 ? a : b.
  irdl.operation @expr {
    %in_operands = irdl.is index
    %out_result = irdl.is index
    %attr_kind_add = irdl.is "add"
    %attr_kind_sub = irdl.is "sub"
    %attr_kind_mul = irdl.is "mul"
    %attr_kind_floordiv = irdl.is "floordiv"
    %attr_kind_ceildiv = irdl.is "ceildiv"
    %attr_kind_max = irdl.is "max"
    %attr_kind_min = irdl.is "min"
    %attr_kind_select = irdl.is "select"
    %attr_kind = irdl.any_of(%attr_kind_add, %attr_kind_sub, %attr_kind_mul, %attr_kind_floordiv, %attr_kind_ceildiv, %attr_kind_max, %attr_kind_min, %attr_kind_select)
    irdl.attributes { "kind" = %attr_kind }
    irdl.operands(operands: variadic %in_operands)
    irdl.results(result: %out_result)
  }

  // The host shape program: results[i] = exprs[i] evaluated over the
  // operands, which must all be `symshape.symbol` results. exprs use s<k> for
  // operand k, integer literals, + - *, floordiv, ceildiv, and the functions
  // max(a, b), min(a, b), select(c, a, b).
  irdl.operation @shape_construct {
    %in_symbols = irdl.is index
    %out_shapes = irdl.is index
    %attr_exprs = irdl.base "#builtin.array"
    irdl.attributes { "exprs" = %attr_exprs }
    irdl.operands(symbols: variadic %in_symbols)
    irdl.results(shapes: variadic %out_shapes)
  }
}
