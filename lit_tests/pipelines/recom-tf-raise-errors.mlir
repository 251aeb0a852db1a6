// recom-tf-raise reports what it cannot raise: one error naming every node
// left, with the file, so a user sees the whole unsupported part at once.
//
// The error is located at the GraphDef's file position, which has no line:
// MLIR's diagnostic printer (recom-opt runs on MlirOptMain) writes it as
// `file:0:0` where the former driver wrote `file`.
//
// A column whose ids have a dtype the raiser does not handle (column b's
// values fed as int32 instead of int64) is not an error any more: it runs
// on the host (tf-host-fallback) as 6 passthrough columns, a and c are
// raised, and nothing is left unraised.
// REQUIRES: corpus
// RUN: sed '/name: "b\/values"/,/type: DT_INT64/s/DT_INT64/DT_INT32/' %corpus/tiny/model.pbtxt > %t.int32.pbtxt
// RUN: %recom_opt %t.int32.pbtxt --tf-outputs=input_layer/concat --pass-pipeline='builtin.module(recom-tf-raise)' 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: "emb.lookup"({{.*}}) {combiner = "sum"{{.*}}tensor<100x4xf32>
// DTYPE: "emb.lookup"({{.*}}) {combiner = "sqrtn"{{.*}}tensor<5x8xf32>
// DTYPE: "emb.tf_output"() {node = "input_layer/b_embedding/b_embedding_weights/Reshape_2", why = {{.*}}} : () -> tensor<?x6xf32>
// DTYPE-COUNT-6: "emb.numeric_input"
// DTYPE: "emb.concat"
// DTYPE-NOT: "tf.
//
// A head the dense dialect cannot express (here a MatMul of two
// activations) is not an error any more: the output runs on the host
// (tf-host-outputs).
// RUN: sed 's/input: "dnn\/hiddenlayer_0\/kernel\/read"/input: "input_layer\/concat"/' %corpus/tiny/model.pbtxt > %t.dnn.pbtxt
// RUN: %recom_opt %t.dnn.pbtxt --tf-outputs=prediction --pass-pipeline='builtin.module(recom-tf-raise)' 2>&1 | FileCheck %s --check-prefix=DNN
// DNN: %[[H:.+]] = "emb.tf_output"() {node = "Sigmoid"} : () -> tensor<?x1xf32>
// DNN: return %[[H]]
