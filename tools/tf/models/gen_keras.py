"""A random tf_keras functional model (Embedding + Flatten/Reshape/pooling, Hashing, StringLookup,
IntegerLookup, Discretization, Normalization) in TF1 graph mode, frozen, with batches and TF outputs.
usage: gen_keras.py OUT SEED   (needs TensorFlow and tf_keras; outputs listed in OUT/outputs.txt)"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_v2_behavior()
import tf_keras as keras
from npz_layout import put_input, put_output
L = keras.layers
out, seed = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(seed)
keras.utils.set_random_seed(seed)
sess = tf.compat.v1.Session()
tf.compat.v1.keras.backend.set_session(sess)
inputs, deep, gens = [], [], {}
def inp(name, shape, dtype, gen):
    x = keras.Input(shape=shape, dtype=dtype, name=name); inputs.append(x); gens[name] = (shape, dtype, gen); return x
for i in range(int(rng.integers(2, 6))):
    n = int(rng.integers(10, 50000)); d = int(rng.choice([4, 8, 16, 32]))
    x = inp(f"id{i}", (1,), "int64", ("int", n))
    deep.append(L.Flatten()(L.Embedding(n, d)(x)))
for i in range(int(rng.integers(1, 3))):
    n = int(rng.integers(10, 5000)); d = int(rng.choice([4, 8])); k = int(rng.integers(2, 5))
    x = inp(f"multi{i}", (k,), "int64", ("int", n))
    deep.append(L.Flatten()(L.Embedding(n, d)(x)))
for i in range(int(rng.integers(1, 3))):
    n = int(rng.integers(10, 20000)); d = int(rng.choice([4, 8, 16]))
    x = inp(f"hs{i}", (1,), "string", ("str", None))
    deep.append(L.Reshape((d,))(L.Embedding(n, d)(L.Hashing(n)(x))))
for i in range(int(rng.integers(1, 3))):
    keys = [f"v{j}" for j in range(int(rng.integers(20, 300)))]; oov = int(rng.integers(1, 3)); d = 8
    x = inp(f"sl{i}", (1,), "string", ("vocab", keys))
    deep.append(L.Flatten()(L.Embedding(len(keys) + oov, d)(L.StringLookup(vocabulary=keys, num_oov_indices=oov)(x))))
for i in range(int(rng.integers(1, 3))):
    keys = sorted(set(int(v) for v in rng.integers(1, 100000, int(rng.integers(20, 400)))))
    x = inp(f"il{i}", (1,), "int64", ("ivocab", keys))
    deep.append(L.Flatten()(L.Embedding(len(keys) + 1, 8)(L.IntegerLookup(vocabulary=keys)(x))))
bins = sorted(set(np.round(rng.uniform(-10, 10, int(rng.integers(3, 30))), 2).tolist()))
x = inp("price", (1,), "float32", ("float", None))
deep.append(L.Flatten()(L.Embedding(len(bins) + 1, 4)(L.Discretization(bin_boundaries=bins)(x))))
x = inp("hist", (7,), "int64", ("pad", 3000))
deep.append(L.GlobalAveragePooling1D()(L.Embedding(3000, 8, mask_zero=True)(x)))
x = inp("tags", (5,), "int64", ("pad", 500))
deep.append(L.Lambda(lambda e: tf.reduce_sum(e, axis=1))(L.Embedding(500, 8)(x)))
k = int(rng.integers(2, 10))
x = inp("dense_feats", (k,), "float32", ("normal", None))
norm = L.Normalization(mean=rng.normal(size=k).tolist(), variance=rng.uniform(0.5, 4, k).tolist())
deep.append(norm(x))
h = L.Concatenate(name="dnn_input")(deep)
for u in [int(rng.integers(16, 128)) for _ in range(int(rng.integers(1, 3)))]:
    h = L.Dense(u, activation="relu")(h)
logits = L.Dense(1, name="logits")(h)
pred = L.Activation("sigmoid", name="prediction")(logits)
model = keras.Model(inputs, pred)
sess.run([tf.compat.v1.global_variables_initializer(), tf.compat.v1.tables_initializer(name="init_all_tables")])
g = sess.graph
outs = [model.get_layer("dnn_input").output.op.name, model.get_layer("logits").output.op.name, pred.op.name]
frozen = tf.compat.v1.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), outs + ["init_all_tables"])
open(os.path.join(out, "model.pb"), "wb").write(frozen.SerializeToString())
print("outputs", ",".join(outs))
open(os.path.join(out, "outputs.txt"), "w").write(",".join(outs))
for B in (1, 37, 512):
    r = np.random.default_rng(B + seed)
    fd, arrs = {}, {}
    for x in inputs:
        name = x.op.name
        shape, dtype, (kind, p) = gens[name]
        full = (B,) + tuple(shape)
        if kind == "int": v = r.integers(0, p, full)
        elif kind == "pad":
            v = r.integers(1, p, full); lens = r.integers(1, full[1] + 1, B)
            for i in range(B): v[i, lens[i]:] = 0
        elif kind == "ivocab": v = np.array([p[r.integers(len(p))] if r.random() < 0.8 else int(r.integers(-5, 200000)) for _ in range(B)]).reshape(full)
        elif kind == "str": v = np.array([("s%d" % r.integers(0, 1000)).encode() if r.random() < 0.9 else "ü€".encode() for _ in range(B)], dtype=object).reshape(full)
        elif kind == "vocab": v = np.array([(p[r.integers(len(p))] if r.random() < 0.8 else ["", "zz", "ü"][r.integers(3)]).encode() for _ in range(B)], dtype=object).reshape(full)
        elif kind == "float":
            v = r.uniform(-12, 12, full).astype(np.float32)
            if B > 4: v[:4, 0] = [np.nan, -0.0, np.inf, bins[0]]
        else: v = r.normal(size=full).astype(np.float32)
        if dtype == "int64": v = v.astype(np.int64)
        fd[x] = v
        put_input(arrs, name, v)
    res = sess.run([g.get_tensor_by_name(o + ":0") for o in outs], fd)
    for o, v in zip(outs, res): put_output(arrs, o, v)
    np.savez(os.path.join(out, f"batch_b{B}.npz"), **arrs)
print(out, "nodes", len(frozen.node))
