// recom-opt is MLIR's MlirOptMain: mlir-opt's flags work as they do in
// mlir-opt, single dashes included, and every registered pass and pipeline
// (recom's and upstream ones) is also a flag, with its options.
// RUN: %recom_opt %s -recom-verify -cse | FileCheck %s
// RUN: %recom_opt %s --recom-verify=warnings-as-errors=true --cse | FileCheck %s
// RUN: %recom_opt %s -p 'builtin.module(recom-verify,cse)' | FileCheck %s
// RUN: %recom_opt %s -recom-default=verify=false | FileCheck %s
// RUN: %recom_opt %s -recom-verify -cse -mlir-timing -o /dev/null 2>&1 | FileCheck %s --check-prefix=TIMING
// RUN: %recom_opt %s -recom-verify -cse -mlir-pass-statistics -o /dev/null 2>&1 | FileCheck %s --check-prefix=STATS
// RUN: %recom_opt %s -recom-verify -cse -mlir-print-ir-before=cse -o /dev/null 2>&1 | FileCheck %s --check-prefix=BEFORE
// Bytecode out, and read back (without the verifier between passes).
// RUN: %recom_opt %s -recom-verify -cse -emit-bytecode -o %t.mlirbc
// RUN: %recom_opt %t.mlirbc -verify-each=0 -recom-verify | FileCheck %s

// TIMING: Execution time report
// TIMING: RecomVerify
// TIMING: CSE

// Debian's release build of MLIR counts no statistics: the report is empty.
// STATS: Pass statistics report

// BEFORE: IR Dump Before CSE (cse)
// BEFORE-NOT: IR Dump

// CHECK-LABEL: func.func @f
func.func @f(%x: index, %y: index, %ids: tensor<?xi64>) -> (index, index, tensor<?xi64>) {
  // CHECK: %[[S:.+]] = arith.addi
  // CHECK-NOT: arith.addi
  %a = arith.addi %x, %y : index
  %b = arith.addi %x, %y : index
  // CHECK: %[[H:.+]] = "emb.hash_bucket"
  %h = "emb.hash_bucket"(%ids) {num_buckets = 16 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  // CHECK: return %[[S]], %[[S]], %[[H]]
  return %a, %b, %h : index, index, tensor<?xi64>
}
