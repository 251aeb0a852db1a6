// --emit-plan on an imported TensorFlow model: every feed of the plan is a
// placeholder of the graph, by name; the string column's ids are its
// strings (hashed in the kernel), the vocabulary column's are looked up on
// the host.
// REQUIRES: corpus
// RUN: %recom_opt %corpus/tiny/model.pb --tf-outputs=input_layer_output --pass-pipeline='builtin.module(recom-tf-raise,recom-default)' --emit-plan | FileCheck %s
// CHECK: "columns": [
// CHECK-NEXT: {"combiner":"sum","filter":null,"on_out_of_range":"Error","table":0,"transform":{"buckets":100,"kind":"str_hash_bucket"},"weighted":false},
// CHECK: "feeds": [
// CHECK-NEXT: {"dtype":"Str","name":"a/values","shape":[-1]},
// CHECK-NEXT: {"dtype":"I64","name":"a/indices","shape":[-1,2]},
// CHECK: "function": "graph",
// CHECK: "host": {
// CHECK-NEXT: "columns": [
// CHECK-NEXT: {"ids":{"Feed":0},
// CHECK: "steps": [
// CHECK-NOT: HashBucket
// CHECK: {"op":{"Vocabulary":{"default":-1,"keys":{"Str":[
// CHECK: "width": 18
