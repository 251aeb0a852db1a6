// Importing TensorFlow GraphDefs (binary and text): one tf.* op per node,
// tables referenced (not printed), errors that name the file and the node.
// REQUIRES: corpus
// RUN: %recom_opt %corpus/tiny/model.pb --tf-outputs=input_layer_output | FileCheck %s
// RUN: %recom_opt %corpus/tiny/model.pbtxt --tf-outputs=input_layer_output | FileCheck %s
// A truncated binary file.
// RUN: head -c 1000 %corpus/tiny/model.pb > %t.pb
// RUN: not %recom_opt %t.pb 2>&1 | FileCheck %s --check-prefix=TRUNC
// A text file with a syntax error (an unquoted op name).
// RUN: sed '0,/op: "Placeholder"/s//op: Placeholder/' %corpus/tiny/model.pbtxt > %t.syntax.pbtxt
// RUN: not %recom_opt %t.syntax.pbtxt 2>&1 | FileCheck %s --check-prefix=SYNTAX
// An op recom does not know: every such node is named, in one error.
// RUN: sed 's/op: "StringToHashBucketFast"/op: "FancyHash"/' %corpus/tiny/model.pbtxt > %t.unsupported.pbtxt
// RUN: not %recom_opt %t.unsupported.pbtxt 2>&1 | FileCheck %s --check-prefix=UNKNOWN-OP
// An output that is not in the graph.
// RUN: not %recom_opt %corpus/tiny/model.pb --tf-outputs=nope:1 2>&1 | FileCheck %s --check-prefix=OUTPUT
// --tf-outputs on an input that is not a GraphDef.
// RUN: not %recom_opt %s --tf-outputs=x 2>&1 | FileCheck %s --check-prefix=NOT-GRAPHDEF
// The imported module reaches the pipeline with its locations: an error of a
// pass at a node (recom-verify on a raised hash bucket whose bucket count
// was set to 0) names the file (line 0: a node has no line) and, in a note,
// the node.
// RUN: sed '/key: "num_buckets"/,/i: 100/s/i: 100/i: 0/' %corpus/tiny/model.pbtxt > %t.zero.pbtxt
// RUN: not %recom_opt %t.zero.pbtxt --tf-outputs=input_layer_output --pass-pipeline='builtin.module(recom-tf-raise,recom-verify)' 2>&1 | FileCheck %s --check-prefix=NODE

// CHECK: func.func @graph() -> (tensor<*xf32> {recom.output = "input_layer_output"})
// Small constants are inlined (here a PlaceholderWithDefault's default shape).
// CHECK: "tf.Const"() {dtype = i64, value = dense<-1> : tensor<2xi64>}
// CHECK: "tf.Placeholder"() {dtype = !tf.string, shape = array<i64: -1>} : () -> tensor<*x!tf.string>
// The 100 x 4 table is a reference into the weights store.
// CHECK: "tf.Const"() {dtype = f32, value_ref = "input_layer/a_embedding/embedding_weights", value_shape = array<i64: 100, 4>}
// CHECK: "tf.StringToHashBucketFast"(%{{.+}}) {num_buckets = 100 : i64} : (tensor<*x!tf.string>) -> tensor<*xi64>
// CHECK: %{{.+}}:4 = "tf.SparseFillEmptyRows"
// CHECK: "tf.SparseSegmentSum"
// The column outputs concatenated, then named input_layer_output.
// CHECK: %[[CAT:.+]] = "tf.ConcatV2"({{.*}}) {N = 3 : i64, T = f32, Tidx = i32}
// CHECK: %[[OUT:.+]] = "tf.Identity"(%[[CAT]])
// CHECK: return %[[OUT]] : tensor<*xf32>

// TRUNC: recom-opt: {{.*}}.pb: not a valid binary GraphDef
// SYNTAX: recom-opt: {{.*}}syntax.pbtxt:{{[0-9]+}}:{{[0-9]+}}: not a valid text GraphDef
// UNKNOWN-OP: unsupported.pbtxt: 'input_layer/a_embedding/
// UNKNOWN-OP-SAME: error: op 'FancyHash' is not supported
// OUTPUT: error: output 'nope:1' names no node of the graph
// NOT-GRAPHDEF: recom-opt: --tf-outputs needs a TensorFlow GraphDef input (.pb or .pbtxt), not '{{.*}}tf-graphdef.mlir'
// NODE: zero.pbtxt:0:0: error: 'emb.hash_bucket' op attribute 'num_buckets' must be positive, got 0
// NODE-NEXT: zero.pbtxt:0:0: note: at 'input_layer/a_embedding/lookup'
