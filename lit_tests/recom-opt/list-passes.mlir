// --list-passes shows recom's passes and pipelines with their options;
// --list-passes=all adds MLIR's listing of every registered pass (MLIR's
// listing has no named pipelines; recom's are in the first part).
// RUN: %recom_opt --list-passes | FileCheck %s
// RUN: %recom_opt --list-passes=all | FileCheck %s --check-prefix=ALL

// CHECK: recom passes:
// CHECK-NEXT: recom-verify  -  Check the semantic rules of the emb and symshape dialects that IRDL cannot express
// CHECK-NEXT: warnings-as-errors=bool (default false)  -  fail the pass on warnings too
// CHECK: recom pipelines:
// CHECK-NEXT: recom-default  -
// CHECK-NEXT: verify=bool (default true)

// ALL: recom-verify
// ALL: All registered passes and pipelines
// ALL-DAG: --canonicalize
// ALL-DAG: --convert-gpu-to-nvvm
// ALL-DAG: --recom-verify
