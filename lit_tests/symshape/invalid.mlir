// Every verifier error of the symshape dialect: structural ones come from
// IRDL while parsing, semantic ones from recom-verify.
// RUN: %recom_opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(recom-verify)'

//===----------------------------------------------------------------------===//
// IRDL (structure)
//===----------------------------------------------------------------------===//

func.func @symbol_not_index(%t: tensor<?xi64>) {
  // expected-error@+1 {{expected 'index' but got 'i64'}}
  %s = "symshape.symbol"(%t) {name = "n", dim = 0 : i64, facts = []} : (tensor<?xi64>) -> i64
  return
}

// -----

func.func @symbol_without_facts(%t: tensor<?xi64>) {
  // expected-error@+1 {{attribute "facts" is expected but not provided}}
  %s = "symshape.symbol"(%t) {name = "n", dim = 0 : i64} : (tensor<?xi64>) -> index
  return
}

// -----

func.func @expr_bad_kind(%a: index, %b: index) {
  // expected-error@+1 {{'"pow"' does not satisfy the constraint}}
  %e = "symshape.expr"(%a, %b) {kind = "pow"} : (index, index) -> index
  return
}

// -----

func.func @expr_on_i64(%a: i64, %b: i64) {
  // expected-error@+1 {{expected 'index' but got 'i64'}}
  %e = "symshape.expr"(%a, %b) {kind = "add"} : (i64, i64) -> index
  return
}

// -----

func.func @construct_exprs_not_array(%a: index) {
  // expected-error@+1 {{expected base attribute 'builtin.array' but got 'builtin.string'}}
  %c = "symshape.shape_construct"(%a) {exprs = "s0"} : (index) -> index
  return
}

//===----------------------------------------------------------------------===//
// symshape.symbol
//===----------------------------------------------------------------------===//

// -----

func.func @symbol_empty_name(%t: tensor<?xi64>) {
  // expected-error@+1 {{'symshape.symbol' op attribute 'name' must not be empty}}
  %s = "symshape.symbol"(%t) {name = "", dim = 0 : i64, facts = []} : (tensor<?xi64>) -> index
  return
}

// -----

func.func @symbol_unknown_fact(%t: tensor<?xi64>) {
  // expected-error@+1 {{'symshape.symbol' op attribute 'facts' 'positive' is not one of non_negative, non_zero}}
  %s = "symshape.symbol"(%t) {name = "n", dim = 0 : i64, facts = ["positive"]} : (tensor<?xi64>) -> index
  return
}

// -----

func.func @symbol_fact_not_string(%t: tensor<?xi64>) {
  // expected-error@+1 {{'symshape.symbol' op attribute 'facts' element 0 must be a string, got 1 : i64}}
  %s = "symshape.symbol"(%t) {name = "n", dim = 0 : i64, facts = [1]} : (tensor<?xi64>) -> index
  return
}

// -----

func.func @symbol_negative_dim(%t: tensor<?xi64>) {
  // expected-error@+1 {{'symshape.symbol' op attribute 'dim' must be non-negative, got -1}}
  %s = "symshape.symbol"(%t) {name = "n", dim = -1 : i64, facts = []} : (tensor<?xi64>) -> index
  return
}

// -----

func.func @symbol_dim_out_of_range(%t: tensor<?x4xi64>) {
  // expected-error@+1 {{'symshape.symbol' op dim 2 is out of range for the rank-2 source tensor<?x4xi64>}}
  %s = "symshape.symbol"(%t) {name = "n", dim = 2 : i64, facts = []} : (tensor<?x4xi64>) -> index
  return
}

//===----------------------------------------------------------------------===//
// symshape.expr
//===----------------------------------------------------------------------===//

// -----

func.func @expr_arity(%a: index, %b: index) {
  // expected-error@+1 {{'symshape.expr' op 'select' takes 3 operands, got 2}}
  %e = "symshape.expr"(%a, %b) {kind = "select"} : (index, index) -> index
  return
}

// -----

func.func @expr_unary_add(%a: index) {
  // expected-error@+1 {{'symshape.expr' op 'add' takes 2 operands, got 1}}
  %e = "symshape.expr"(%a) {kind = "add"} : (index) -> index
  return
}

//===----------------------------------------------------------------------===//
// symshape.shape_construct
//===----------------------------------------------------------------------===//

// -----

func.func @construct_count(%t: tensor<?xi64>) {
  %s = "symshape.symbol"(%t) {name = "n", dim = 0 : i64, facts = []} : (tensor<?xi64>) -> index
  // expected-error@+1 {{'symshape.shape_construct' op has 1 expressions for 2 results}}
  %c:2 = "symshape.shape_construct"(%s) {exprs = ["s0"]} : (index) -> (index, index)
  return
}

// -----

func.func @construct_syntax(%t: tensor<?xi64>) {
  %s = "symshape.symbol"(%t) {name = "n", dim = 0 : i64, facts = []} : (tensor<?xi64>) -> index
  // expected-error@+1 {{'symshape.shape_construct' op attribute 'exprs' entry 0 ("s0 * * 2"): at offset 5: expected an integer, a symbol s<k>, '(' or max/min/select}}
  %c = "symshape.shape_construct"(%s) {exprs = ["s0 * * 2"]} : (index) -> index
  return
}

// -----

func.func @construct_unknown_symbol(%t: tensor<?xi64>) {
  %s = "symshape.symbol"(%t) {name = "n", dim = 0 : i64, facts = []} : (tensor<?xi64>) -> index
  // expected-error@+1 {{'symshape.shape_construct' op expression 0 (s0 + s1) uses s1 but the op has 1 symbol operands}}
  %c = "symshape.shape_construct"(%s) {exprs = ["s0 + s1"]} : (index) -> index
  return
}

// -----

func.func @construct_computed_operand(%t: tensor<?xi64>) {
  %s = "symshape.symbol"(%t) {name = "n", dim = 0 : i64, facts = []} : (tensor<?xi64>) -> index
  %e = "symshape.expr"(%s, %s) {kind = "add"} : (index, index) -> index
  // expected-error@+1 {{'symshape.shape_construct' op operand 0 must be the result of a symshape.symbol (a symbolic input), not a computed value}}
  %c = "symshape.shape_construct"(%e) {exprs = ["s0"]} : (index) -> index
  return
}

// -----

func.func @construct_block_argument(%a: index) {
  // expected-error@+1 {{'symshape.shape_construct' op operand 0 must be the result of a symshape.symbol}}
  %c = "symshape.shape_construct"(%a) {exprs = ["s0"]} : (index) -> index
  return
}

// -----

func.func @symbol_equal_to_negative() {
  // expected-error@+1 {{'symshape.symbol' op attribute 'equal_to' names symbol -1, which cannot exist}}
  %s = "symshape.symbol"() {name = "B", dim = 0 : i64, facts = ["non_negative"], equal_to = -1 : i64} : () -> index
  return
}
