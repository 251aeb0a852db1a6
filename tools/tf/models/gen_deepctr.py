"""A DeepCTR model (DeepFM / WDL / DCN), frozen with convert_variables_to_constants_v2. usage: gen_deepctr.py OUT MODEL"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import numpy as np
import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
from deepctr.feature_column import SparseFeat, DenseFeat, VarLenSparseFeat, get_feature_names
import deepctr.models as M
from npz_layout import put_input, put_output

out, which = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(3)
sparse = [SparseFeat(f"C{i}", vocabulary_size=int(rng.integers(10, 5000)), embedding_dim=8, use_hash=bool(i % 3 == 0), dtype="string" if i % 3 == 0 else "int32") for i in range(26)]
dense = [DenseFeat(f"I{i}", 1) for i in range(13)]
varlen = [VarLenSparseFeat(SparseFeat(f"V{i}", vocabulary_size=1000, embedding_dim=8), maxlen=5, combiner=c) for i, c in enumerate(["mean", "sum"])]
cols = sparse + dense + varlen
if which == "deepfm":
    model = M.DeepFM(cols, cols, dnn_hidden_units=(64, 32), seed=1)
elif which == "wdl":
    model = M.WDL(cols, cols, dnn_hidden_units=(64, 32), seed=1)
elif which == "dcn":
    model = M.DCN(cols, cols, cross_num=2, dnn_hidden_units=(64, 32), seed=1)
names = get_feature_names(cols)

def batch(B, r):
    x = {}
    for f in sparse:
        if f.dtype == "string":
            x[f.name] = np.array([str(v).encode() for v in r.integers(0, 100000, B)], dtype=object)
        else:
            x[f.name] = r.integers(0, f.vocabulary_size, B).astype(np.int32)
    for f in dense:
        x[f.name] = r.normal(size=B).astype(np.float32)
    for f in varlen:
        v = r.integers(1, 1000, (B, 5)).astype(np.int32)
        lens = r.integers(0, 6, B)
        for i in range(B):
            v[i, lens[i]:] = 0
        x[f.name] = v
    return x

specs = [tf.TensorSpec(i.shape, i.dtype, name=i.name.split(":")[0]) for i in model.inputs]
fn = tf.function(lambda *a: {"prediction": model(list(a), training=False)})
cf = fn.get_concrete_function(*specs)
frozen = convert_variables_to_constants_v2(cf)
gd = frozen.graph.as_graph_def()
open(os.path.join(out, "model.pb"), "wb").write(gd.SerializeToString())
in_names = [i.name.split(":")[0] for i in model.inputs]
print("inputs", [(t.name, t.dtype) for t in frozen.inputs][:5], "outputs", [t.name for t in frozen.outputs])
for B in (1, 37, 512):
    r = np.random.default_rng(B)
    x = batch(B, r)
    feeds = [x[n].reshape(B, *[d for d in i.shape[1:]]) for n, i in zip(in_names, model.inputs)]
    y = frozen(*[tf.constant(f) for f in feeds])
    arrs = {}
    for t, f in zip(frozen.inputs, feeds):
        put_input(arrs, t.name.split(":")[0], f)
    ys = y if isinstance(y, (list, tuple)) else [y]
    for t, v in zip(frozen.outputs, ys):
        put_output(arrs, t.name.split(":")[0], v.numpy())
    np.savez(os.path.join(out, f"batch_b{B}.npz"), **arrs)
print(out, "nodes", len(gd.node), "outputs", [t.name for t in frozen.outputs])
