// --list-passes shows recom's passes and pipelines with their options;
// --list-passes=all adds MLIR's listing of every registered pass (MLIR's
// listing has no named pipelines; recom's are in the first part).
// RUN: %recom_opt --list-passes | FileCheck %s
// RUN: %recom_opt --list-passes=all | FileCheck %s --check-prefix=ALL

// CHECK: recom passes:
// CHECK-NEXT: dense-fuse-elementwise  -  Merge chains of dense.map ops into one
// CHECK-NEXT: dense-fuse-epilogue  -  Fold a bias add and a ReLU
// CHECK-NEXT: emb-fuse-columns  -  Fuse the columns
// CHECK-NEXT: id-transforms=host|kernel (default host)  -  where hashes, vocabularies and bucketize of a column's ids run
// CHECK-NEXT: emb-lower-fused-columns  -  Lower each emb.fused_columns
// CHECK-NEXT: elements-per-item=int in [0, 8] (default 0)  -  consecutive output elements one iteration computes (1-8; 0 = 8 where every column's dim is a multiple of 8, else 4)
// CHECK-NEXT: rows-per-item=int in [1, 16] (default 1)
// CHECK-NEXT: ids-per-iteration=int in [1, 16] (default 2)
// CHECK-NEXT: index-bits=0|32|64 (default 0)
// CHECK-NEXT: prefetch-ids=bool (default true)
// CHECK-NEXT: emb-shape-construct  -  Build the host shape program
// CHECK-NEXT: rows-per-item=int in [1, 16] (default 1)
// CHECK-NEXT: recom-math-to-nvvm-intrinsics  -
// CHECK-NEXT: recom-verify  -  Check the semantic rules of the emb and symshape dialects that IRDL cannot express
// CHECK-NEXT: warnings-as-errors=bool (default false)  -  fail the pass on warnings too
// CHECK: recom pipelines:
// CHECK-NEXT: recom-cpu-kernel  -
// CHECK-NEXT: recom-default  -
// CHECK-NEXT: verify=bool (default true)
// CHECK-NEXT: id-transforms=host|kernel (default host)
// CHECK-NEXT: elements-per-item=int in [0, 8] (default 0)
// CHECK-NEXT: rows-per-item=int in [1, 16] (default 1)
// CHECK-NEXT: ids-per-iteration=int in [1, 16] (default 2)
// CHECK-NEXT: index-bits=0|32|64 (default 0)
// CHECK-NEXT: prefetch-ids=bool (default true)
// CHECK-NEXT: recom-gpu-outline  -
// CHECK-NEXT: threads=int in [32, 1024] (default 64)
// CHECK-NEXT: recom-gpu-to-ptx  -
// CHECK-NEXT: chip=sm_80|sm_86|sm_89|sm_90|sm_90a|sm_100 (default sm_90)

// ALL: recom-verify
// ALL: All registered passes and pipelines
// ALL-DAG: --canonicalize
// ALL-DAG: --convert-gpu-to-nvvm
// ALL-DAG: --recom-verify
