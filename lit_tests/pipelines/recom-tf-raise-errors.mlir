// recom-tf-raise reports what it cannot raise: one error naming every node
// left, with the file, so a user sees the whole unsupported part at once.
//
// The error is located at the GraphDef's file position, which has no line:
// MLIR's diagnostic printer (recom-opt runs on MlirOptMain) writes it as
// `file:0:0` where the former driver wrote `file`.
//
// A column whose ids have a dtype the raiser does not handle (column b's
// values fed as int32 instead of int64): its range check, prune, fill and
// pooling stay, and the error lists them.
// REQUIRES: corpus
// RUN: sed '/name: "b\/values"/,/type: DT_INT64/s/DT_INT64/DT_INT32/' %corpus/tiny/model.pbtxt > %t.int32.pbtxt
// RUN: not %recom_opt %t.int32.pbtxt --tf-outputs=input_layer/concat --pass-pipeline='builtin.module(recom-tf-raise)' 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: int32.pbtxt:0:0: error: {{[0-9]+}} TensorFlow node(s) were not raised and recom cannot run them:
// DTYPE-SAME: 'input_layer/b_embedding/SelectV2' (SelectV2)
// DTYPE-SAME: (SparseSegmentMeanWithNumSegments)
// DTYPE-SAME: 'input_layer/concat' (ConcatV2)
// DTYPE-NOT: a_embedding
// DTYPE-NOT: c_embedding
//
// A DNN op outside the dense dialect's reach (a MatMul of two activations)
// is listed by name: everything else of the head is raised.
// RUN: sed 's/input: "dnn\/hiddenlayer_0\/kernel\/read"/input: "input_layer\/concat"/' %corpus/tiny/model.pbtxt > %t.dnn.pbtxt
// RUN: not %recom_opt %t.dnn.pbtxt --tf-outputs=prediction --pass-pipeline='builtin.module(recom-tf-raise)' 2>&1 | FileCheck %s --check-prefix=DNN
// DNN: dnn.pbtxt:0:0: error: {{[0-9]+}} TensorFlow node(s) were not raised and recom cannot run them:
// DNN-SAME: 'dnn/hiddenlayer_0/MatMul' (MatMul)
