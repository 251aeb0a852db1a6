#!/usr/bin/env python3
"""Freeze a TensorFlow SavedModel into the GraphDef recom compiles.

    python3 tools/tf/freeze_saved_model.py SAVED_MODEL_DIR model.pb \
        [--signature serving_default] [--tags serve]

Needs TensorFlow (`pip install tensorflow-cpu`); recom itself does not. The
SavedModel is loaded in a TF1 session (feature-column models, estimators and
Keras models saved by TensorFlow 2 all load this way), its variables become
constants, and its lookup tables' initializers are kept under one `NoOp`
named `init_all_tables`, which recom runs when it reads the tables. The
signature's outputs are printed: pass them to `recom compile --outputs`.
"""
import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("saved_model", help="the SavedModel folder (with saved_model.pb)")
    parser.add_argument("output", help="where to write the frozen GraphDef (.pb)")
    parser.add_argument("--signature", default="serving_default", help="the signature to freeze")
    parser.add_argument("--tags", default="serve", help="the meta graph's tags, comma separated")
    args = parser.parse_args()

    try:
        import tensorflow as tf
    except ImportError:
        print("freeze_saved_model.py needs TensorFlow: pip install tensorflow-cpu", file=sys.stderr)
        return 2
    tf.compat.v1.disable_eager_execution()
    if not os.path.isfile(os.path.join(args.saved_model, "saved_model.pb")):
        print(f"{args.saved_model}: no saved_model.pb in this folder", file=sys.stderr)
        return 2

    graph = tf.Graph()
    with tf.compat.v1.Session(graph=graph) as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, args.tags.split(","), args.saved_model)
        if args.signature not in meta.signature_def:
            names = ", ".join(sorted(meta.signature_def)) or "none"
            print(f"{args.saved_model}: no signature '{args.signature}' (it has: {names})", file=sys.stderr)
            return 2
        signature = meta.signature_def[args.signature]
        outputs = sorted({t.name.split(":")[0] for t in signature.outputs.values()})
        inputs = sorted({t.name.split(":")[0] for t in signature.inputs.values()})
        # Every table initializer of the graph, under one name recom knows.
        initializers = [op for op in graph.get_operations() if op.type in ("LookupTableImportV2", "InitializeTableV2", "InitializeTableFromTextFileV2")]
        with graph.as_default():
            init = tf.group(*initializers, name="init_all_tables")
        frozen = tf.compat.v1.graph_util.convert_variables_to_constants(sess, graph.as_graph_def(), outputs + [init.name])
    with open(args.output, "wb") as f:
        f.write(frozen.SerializeToString())
    print(f"wrote {args.output}: {len(frozen.node)} nodes, {len(initializers)} table initializer(s)")
    print("inputs:  " + ", ".join(inputs))
    print("outputs: " + ", ".join(outputs))
    print(f"compile: recom compile {args.output} --outputs {','.join(outputs)} -o model.recom")
    return 0


if __name__ == "__main__":
    sys.exit(main())
