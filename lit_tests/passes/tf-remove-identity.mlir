// tf-remove-identity: uses of a tf.Identity take its operand.
// REQUIRES: corpus
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(tf-remove-identity)' | FileCheck %s
// On a real model: no Identity without control inputs is left.
// RUN: %recom_opt %corpus/tiny/model.pb --tf-outputs=prediction --pass-pipeline='builtin.module(tf-remove-identity)' | FileCheck %s --check-prefix=TINY

/// [Pattern: identity] a chain of two collapses onto the producer.
// CHECK-LABEL: func.func @chain
// CHECK: %[[X:.+]] = "tf.Placeholder"
// CHECK-NOT: tf.Identity
// CHECK: "tf.Relu"(%[[X]])
func.func @chain() -> tensor<*xf32> {
  %x = "tf.Placeholder"() {dtype = f32} : () -> tensor<*xf32>
  %a = "tf.Identity"(%x) {T = f32} : (tensor<*xf32>) -> tensor<*xf32>
  %b = "tf.Identity"(%a) {T = f32} : (tensor<*xf32>) -> tensor<*xf32>
  %r = "tf.Relu"(%b) {T = f32} : (tensor<*xf32>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

/// An Identity with control inputs orders execution: it stays.
// CHECK-LABEL: func.func @negative_control_inputs
// CHECK: "tf.Identity"{{.*}}control_inputs = ["init"]
func.func @negative_control_inputs() -> tensor<*xf32> {
  %x = "tf.Placeholder"() {dtype = f32} : () -> tensor<*xf32>
  %a = "tf.Identity"(%x) {T = f32, control_inputs = ["init"]} : (tensor<*xf32>) -> tensor<*xf32>
  return %a : tensor<*xf32>
}

// TINY-LABEL: func.func @graph
// TINY-NOT: "tf.Identity"(
// TINY: return
