// Models that used to abort the compiler (panics inside passes, a stack
// overflow in the shape-expression parser) end in located errors.
// REQUIRES: repro
// An Identity with only control inputs / no input at all: its column is not
// raised; it runs on the host (TensorFlow's evaluator reports the Identity
// without an input when a request reaches it).
// RUN: %recom_opt %repro/r02_identity_control_only_input.pbtxt --tf-outputs=input_layer_output --pass-pipeline='builtin.module(recom-tf-raise,recom-default)' 2>&1 | FileCheck %s --check-prefix=R02
// R02: "emb.tf_output"() {node = "input_layer/c_embedding/c_embedding_weights/Reshape_2", why = {{.*}}} : () -> tensor<?x8xf32>
// R02: "emb.fused_columns"
// RUN: %recom_opt %repro/r02b_identity_without_input.pbtxt --tf-outputs=input_layer_output --pass-pipeline='builtin.module(recom-tf-raise,recom-default)' 2>&1 | FileCheck %s --check-prefix=R02B
// R02B: "emb.tf_output"() {node = "input_layer/b_embedding/Reshape", why = {{.*}}} : () -> tensor<?x6xf32>
// A ConcatV2 along another axis inside a column: not an input layer; the
// column runs on the host.
// RUN: %recom_opt %repro/r03_concat_axis1_then_some.pbtxt --tf-outputs=input_layer_output --pass-pipeline='builtin.module(recom-tf-raise,recom-default)' 2>&1 | FileCheck %s --check-prefix=R03
// R03: "emb.tf_output"() {node = "input_layer/b_embedding/Reshape", why = {{.*}}} : () -> tensor<?x6xf32>
// A shape expression nested 3,000 deep.
// RUN: not %recom_opt %repro/r04_shape_expr_3000_parens.mlir --pass-pipeline='builtin.module(recom-verify)' 2>&1 | FileCheck %s --check-prefix=R04
// R04: r04_shape_expr_3000_parens.mlir:3:8: error: 'symshape.shape_construct' op attribute 'exprs' entry 0 {{.*}} at offset {{[0-9]+}}: nested more than 256 levels deep
// Tables past 64-bit indexing.
// RUN: not %recom_opt %repro/r01b_table_rows_i64max.mlir --pass-pipeline='builtin.module(recom-default)' 2>&1 | FileCheck %s --check-prefix=R01
// R01: error: 'emb.table' op table of 9223372036854775807 x 4 elements does not fit in 64-bit indexing
// RUN: not %recom_opt %repro/r01_table_rows_i64max.pbtxt --tf-outputs=input_layer_output --pass-pipeline='builtin.module(recom-tf-raise,recom-default)' 2>&1 | FileCheck %s --check-prefix=R01PB
// R01PB: error: 'emb.table' op table of 9223372036854775807 x 4 elements does not fit in 64-bit indexing
// R01PB-NEXT: note: at 'input_layer/a_embedding/embedding_weights'
// Two nodes of one name: TensorFlow refuses such a graph, and so does the import.
// RUN: not %recom_opt %repro/r13_duplicate_node_names.pbtxt --tf-outputs=input_layer_output 2>&1 | FileCheck %s --check-prefix=R13
// R13: r13_duplicate_node_names.pbtxt: 'x': error: the graph has two nodes named 'x'
// A truncated text GraphDef: located where the text ends, not at 1:1.
// RUN: not %recom_opt %repro/r14_truncated_text_graphdef.pbtxt --tf-outputs=input_layer_output 2>&1 | FileCheck %s --check-prefix=R14
// R14: r14_truncated_text_graphdef.pbtxt:2554:12: not a valid text GraphDef: expected string terminator, but reached end of input
