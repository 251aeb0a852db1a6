// recom-math-to-nvvm-intrinsics: f32 math.sqrt inside gpu.module becomes the
// correctly rounded NVVM intrinsic; nothing else changes.
// RUN: %recom_opt %s --pass-pipeline='builtin.module(recom-math-to-nvvm-intrinsics)' | FileCheck %s

module attributes {gpu.container_module} {
  gpu.module @kernels {
    // CHECK-LABEL: gpu.func @f32_sqrt
    // CHECK: %[[R:.+]] = llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"(%{{.+}}) : (f32) -> f32
    // CHECK-NOT: math.sqrt
    gpu.func @f32_sqrt(%x: f32, %out: memref<1xf32>) kernel {
      %c0 = arith.constant 0 : index
      %s = math.sqrt %x : f32
      memref.store %s, %out[%c0] : memref<1xf32>
      gpu.return
    }
    // CHECK-LABEL: gpu.func @negative_f64_sqrt
    // CHECK: math.sqrt %{{.+}} : f64
    gpu.func @negative_f64_sqrt(%x: f64, %out: memref<1xf64>) kernel {
      %c0 = arith.constant 0 : index
      %s = math.sqrt %x : f64
      memref.store %s, %out[%c0] : memref<1xf64>
      gpu.return
    }
  }
  // Host code keeps math.sqrt (the CPU path lowers it to llvm.sqrt).
  // CHECK-LABEL: func.func @negative_host_sqrt
  // CHECK: math.sqrt %{{.+}} : f32
  func.func @negative_host_sqrt(%x: f32) -> f32 {
    %s = math.sqrt %x : f32
    return %s : f32
  }
}
