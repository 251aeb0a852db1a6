// --emit-plan on an imported TensorFlow model: every feed of the plan is a
// placeholder of the graph, by name, and the string column is hashed on
// the host.
// REQUIRES: corpus
// RUN: %recom_opt %corpus/tiny/model.pb --tf-outputs=input_layer_output --pass-pipeline='builtin.module(recom-tf-raise,recom-default)' --emit-plan | FileCheck %s
// CHECK: "feeds": [
// CHECK-NEXT: {"dtype":"Str","name":"a/values","shape":[-1]},
// CHECK-NEXT: {"dtype":"I64","name":"a/indices","shape":[-1,2]},
// CHECK: "function": "graph",
// CHECK: "steps": [
// CHECK-DAG: {"op":{"HashBucket":{"buckets":100}},"operands":[{"Feed":0}]},
// CHECK-DAG: {"op":{"Vocabulary":{"default":-1,"keys":{"Str":[
// CHECK: "width": 18
