// The GPU path of a loop kernel: recom-gpu-outline maps it to ONE
// gpu.launch_func of a gpu.func taking the kernel's eight buffers;
// recom-gpu-to-ptx makes PTX for sm_90 in-process, with no libdevice call.
// RUN: %recom_opt %s --pass-pipeline='builtin.module(recom-default)' | %python %inputs/extract_func.py model_fused_0 > %t.kernel.mlir
// RUN: %recom_opt %t.kernel.mlir --pass-pipeline='builtin.module(recom-gpu-outline)' | FileCheck %s --check-prefix=OUTLINE
// RUN: %recom_opt %t.kernel.mlir --pass-pipeline='builtin.module(recom-gpu-outline,recom-gpu-to-ptx)' > %t.ptx.mlir
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx.mlir
// RUN: grep -c 'gpu.launch_func' %t.ptx.mlir | FileCheck %s --check-prefix=ONE
// RUN: not grep -q '__nv_' %t.ptx.mlir
// RUN: %recom_opt %t.kernel.mlir --pass-pipeline='builtin.module(recom-gpu-outline{threads=256})' | FileCheck %s --check-prefix=T256
// RUN: not %recom_opt %t.kernel.mlir --pass-pipeline='builtin.module(recom-gpu-to-ptx{chip=sm_90 ptx=60})' 2>&1 | FileCheck %s --check-prefix=BADPTX
// Several rows per iteration: still only the eight buffers cross into the kernel.
// RUN: %recom_opt %s --pass-pipeline='builtin.module(recom-default{rows-per-item=4})' | %python %inputs/extract_func.py model_fused_0 | %recom_opt --pass-pipeline='builtin.module(recom-gpu-outline)' | FileCheck %s --check-prefix=OUTLINE

// Rows to blocks (x), work items to 64 threads (y tiles).
// OUTLINE: gpu.launch_func @model_fused_0_kernel::@model_fused_0_kernel blocks in (%{{.+}}, %{{.+}}, %c1) threads in (%c1, %c64, %c1) args(
// OUTLINE: gpu.module @model_fused_0_kernel
// OUTLINE: gpu.func @model_fused_0_kernel(%{{.+}}: memref<{{.+}}>, %{{.+}}: memref<{{.+}}>, %{{.+}}: memref<{{.+}}>, %{{.+}}: memref<{{.+}}>, %{{.+}}: memref<{{.+}}>, %{{.+}}: memref<{{.+}}>, %{{.+}}: memref<{{.+}}>, %{{.+}}: memref<{{.+}}>) kernel
// The weighted sqrtn column's sqrt is the correctly rounded NVVM intrinsic.
// OUTLINE: llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"
// PTX: gpu.binary @model_fused_0_kernel
// PTX-SAME: .version 8.0
// PTX-SAME: .target sm_90
// PTX-SAME: .entry model_fused_0_kernel
// PTX-SAME: sqrt.rn.f32
// ONE: {{^1$}}
// T256: threads in (%{{.+}}, %c256, %{{.+}})
// BADPTX: 'recom-gpu-to-ptx': sm_90 needs ptx between 78 and 90, got 60

func.func @model(%ids0: tensor<?xi64>, %off0: tensor<?xi64>, %ids1: tensor<?xi64>, %off1: tensor<?xi64>, %w1: tensor<?xf32>) -> tensor<?x24xf32> {
  %a = "emb.table"() {name = "a"} : () -> tensor<10x8xf32>
  %b = "emb.table"() {name = "b"} : () -> tensor<20x16xf32>
  %l0 = "emb.lookup"(%a, %ids0, %off0) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %l1 = "emb.lookup"(%b, %ids1, %off1, %w1) {combiner = "sqrtn", on_out_of_range = "drop"} : (tensor<20x16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x?xf32>
  %out = "emb.concat"(%l0, %l1) : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x24xf32>
  return %out : tensor<?x24xf32>
}
