// recom-tf-raise on the corpus's tiny model, both lowerings: every column
// (hash bucket / sum, identity with default / mean, vocabulary / sqrtn)
// becomes emb ops and no tf op is left; then recom-default fuses them.
// REQUIRES: corpus
// RUN: %recom_opt %corpus/tiny/model.pb --tf-outputs=input_layer/concat --pass-pipeline='builtin.module(recom-tf-raise)' | FileCheck %s
// RUN: %recom_opt %corpus/tiny_legacy/model.pb --tf-outputs=input_layer/concat --pass-pipeline='builtin.module(recom-tf-raise)' | FileCheck %s
// RUN: %recom_opt %corpus/tiny/model.pb --tf-outputs=input_layer/concat --pass-pipeline='builtin.module(recom-tf-raise,recom-default)' | FileCheck %s --check-prefix=FUSED
// RUN: %recom_opt %corpus/tiny/model.pb --tf-outputs=logits,prediction --pass-pipeline='builtin.module(recom-tf-raise,recom-default)' | FileCheck %s --check-prefix=DNN

// CHECK-LABEL: func.func @graph
// CHECK-SAME: %[[AV:[^:]+]]: tensor<?x!tf.string> {recom.feed = "a/values"}
// CHECK-SAME: -> (tensor<?x18xf32> {recom.output = "input_layer/concat"})
// CHECK-NOT: "tf.
// CHECK-DAG: %[[H:.+]] = "emb.hash_bucket"(%[[AV]]) {num_buckets = 100 : i64}
// CHECK-DAG: "emb.vocabulary"(%{{.+}}) {default_id = -1 : i64, keys = ["x", "y", "z", "w", "v"]}
// CHECK-DAG: "emb.range_filter"(%{{.+}}) {default_id = 0 : i64, hi = 50 : i64, lo = 0 : i64, on_out_of_range = "default"}
// CHECK-DAG: "emb.lookup"({{.+}}) {combiner = "sum", on_out_of_range = "error"} : (tensor<100x4xf32>
// CHECK-DAG: "emb.lookup"({{.+}}) {combiner = "mean", on_out_of_range = "error"} : (tensor<50x6xf32>
// CHECK-DAG: "emb.lookup"({{.+}}) {combiner = "sqrtn", on_out_of_range = "error"} : (tensor<5x8xf32>
// CHECK-DAG: "emb.coo_rows"
// CHECK-DAG: "emb.coo_rows"
// CHECK-DAG: "emb.coo_rows"
// CHECK: "emb.concat"
// CHECK-NOT: "tf.

// FUSED: "emb.fused_columns"
// FUSED-NOT: "emb.lookup"

// The DNN above the input layer becomes the dense dialect: each layer's
// bias (the width-1 logits layer's too) and ReLU are its GEMM's epilogue;
// logits and prediction are both returned, so the sigmoid stays a map of
// its own.
// DNN-LABEL: func.func @graph
// DNN-SAME: (tensor<?x1xf32> {recom.output = "logits"}, tensor<?x1xf32> {recom.output = "prediction"})
// DNN: %[[E:.+]] = "emb.fused_columns"
// DNN: "dense.linear"(%[[E]], %{{.+}}, %{{.+}}) {activation = "relu"} : (tensor<?x18xf32>, tensor<18x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
// DNN: %[[L:.+]] = "dense.linear"(%{{.+}}, %{{.+}}, %{{.+}}) {activation = "none"} : (tensor<?x8xf32>, tensor<8x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
// DNN: %[[P:.+]] = "dense.map"(%[[L]]) {expr = "sigmoid(x0)"}
// DNN: return %[[L]], %[[P]]
// DNN-NOT: "tf.
