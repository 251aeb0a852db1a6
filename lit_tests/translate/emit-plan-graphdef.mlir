// --emit-plan on an imported TensorFlow model: every feed of the plan is a
// placeholder of the graph, by name, and the string column is hashed on
// the host.
// REQUIRES: corpus
// RUN: %recom_opt %corpus/tiny/model.pb --tf-outputs=input_layer_output --pass-pipeline='builtin.module(recom-tf-raise,recom-default)' --emit-plan | FileCheck %s
// CHECK: "function": "graph",
// CHECK: "feeds": [
// CHECK: "name": "a/values",
// CHECK-NEXT: "dtype": "Str",
// CHECK: "name": "a/indices",
// CHECK: "Hash": {
// CHECK: "buckets": 100
// CHECK: "Vocabulary": {
// CHECK: "Str": [
// CHECK: "width": 18,
