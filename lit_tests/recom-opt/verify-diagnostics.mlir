// --verify-diagnostics: annotations with each line designator match.
// RUN: %recom_opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(recom-verify)'

func.func @same_line(%ids: tensor<?xi64>) {
  %h = "emb.hash_bucket"(%ids) {num_buckets = -1 : i64} : (tensor<?xi64>) -> tensor<?xi64> // expected-error {{must be positive}}
  return
}

// -----

func.func @relative(%ids: tensor<?xi64>) {
  // expected-error@+2 {{must be positive}}

  %h = "emb.hash_bucket"(%ids) {num_buckets = 0 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  %g = "emb.hash_bucket"(%ids) {num_buckets = 0 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  // expected-error@-1 {{must be positive}}
  return
}

// -----

func.func @above_below(%x: tensor<?xf32>) {
  // expected-warning@below {{has no boundaries}}
  %b = "emb.bucketize"(%x) {boundaries = array<f64>} : (tensor<?xf32>) -> tensor<?xi64>
  %c = "emb.bucketize"(%x) {boundaries = array<f64>} : (tensor<?xf32>) -> tensor<?xi64>
  // expected-warning@above {{has no boundaries}}
  return
}

// -----

// Notes are diagnostics too.
func.func @notes() {
  // expected-note@+1 {{prior use here}}
  %a = arith.constant 0 : index
  // expected-error@+1 {{expects different type than prior uses}}
  %b = arith.addi %a, %a : i64
  return
}
