// The `symshape` dialect, version 0: symbolic shapes.
//
// A symbol is an `index` value standing for a size known only at run time
// (batch B, ids per column, rows kept by a filter). Shape expressions combine
// symbols and constants. `shape_construct` is the single host-side program
// that computes every shape a function needs from the symbols alone.
// Semantic checks (facts, arities, expression syntax, operand origins) are in
// the `recom-verify` pass.
irdl.dialect @symshape {
  // A symbolic dimension: dimension `dim` of the generator `source` (when
  // given). attrs: name : string, dim : i64 >= 0,
  //   facts : array of "non_negative" | "non_zero" (known properties),
  //   [equal_to : i64, the index of an older symbol of the same function
  //   known to be equal (shape inference merged them)].
  irdl.operation @symbol {
    %src = irdl.any
    %name = irdl.base "#builtin.string"
    %dim = irdl.base "#builtin.integer"
    %facts = irdl.base "#builtin.array"
    %idx = irdl.is index
    irdl.attributes { "name" = %name, "dim" = %dim, "facts" = %facts }
    irdl.operands(source: optional %src)
    irdl.results(result: %idx)
  }

  // One shape expression over index values: add, sub, mul, floordiv,
  // ceildiv, max, min take two operands; select(c, a, b) = c != 0 ? a : b.
  irdl.operation @expr {
    %idx = irdl.is index
    %out = irdl.is index
    %add = irdl.is "add"
    %sub = irdl.is "sub"
    %mul = irdl.is "mul"
    %floordiv = irdl.is "floordiv"
    %ceildiv = irdl.is "ceildiv"
    %max = irdl.is "max"
    %min = irdl.is "min"
    %select = irdl.is "select"
    %kind = irdl.any_of(%add, %sub, %mul, %floordiv, %ceildiv, %max, %min, %select)
    irdl.attributes { "kind" = %kind }
    irdl.operands(operands: variadic %idx)
    irdl.results(result: %out)
  }

  // The host shape program: results[i] = exprs[i] evaluated over the
  // operands, which must all be `symshape.symbol` results. exprs use s<k> for
  // operand k, integer literals, + - *, floordiv, ceildiv, and the functions
  // max(a, b), min(a, b), select(c, a, b).
  irdl.operation @shape_construct {
    %sym = irdl.is index
    %out = irdl.is index
    %exprs = irdl.base "#builtin.array"
    irdl.attributes { "exprs" = %exprs }
    irdl.operands(symbols: variadic %sym)
    irdl.results(shapes: variadic %out)
  }
}
