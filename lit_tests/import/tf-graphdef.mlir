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

// CHECK: func.func @graph() -> tensor<*xf32>
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
// OUTPUT: error: output 'nope:1' is not a result of the graph
