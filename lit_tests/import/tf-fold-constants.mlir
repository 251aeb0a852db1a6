// Constant folding at import (recom_tf_eval::fold, TensorFlow's semantics):
// a node computed from constants only is imported as the tf.Const of its
// value, so the raising passes see one constant.
// RUN: %recom_opt %S/../Inputs/fold.pbtxt --tf-outputs=shifted | FileCheck %s
// RUN: %recom_opt %S/../Inputs/fold.pbtxt --tf-outputs=big,noise,bad | FileCheck %s --check-prefix=NEGATIVE

// Range(0, Identity(4), 1) and its Cast to int64 fold; the sum with the
// input does not.
// CHECK-LABEL: func.func @graph
// CHECK-NOT: "tf.Range"
// CHECK-NOT: "tf.Cast"
// CHECK: %[[POS:.+]] = "tf.Const"() {dtype = i64, value = dense<[0, 1, 2, 3]> : tensor<4xi64>}
// CHECK: "tf.AddV2"(%{{.+}}, %[[POS]])

// negative_: a result larger than the folding limit (a 1000 x 1000 Fill), a
// stateful op (RandomUniform) and an op whose evaluation fails (a Reshape
// of 2 values to 1: TensorFlow fails when it runs) stay as they are.
// NEGATIVE-LABEL: func.func @graph
// NEGATIVE-DAG: "tf.Fill"
// NEGATIVE-DAG: "tf.RandomUniform"
// NEGATIVE-DAG: "tf.Reshape"
