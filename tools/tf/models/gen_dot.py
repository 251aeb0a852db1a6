"""A Keras model whose pooled embeddings feed both a Concatenate (deep part) and a Dot interaction."""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"; os.environ["TF_USE_LEGACY_KERAS"] = "1"
import numpy as np, tensorflow as tf
tf.compat.v1.disable_v2_behavior()
import tf_keras as keras
from npz_layout import put_input, put_output
L = keras.layers
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
keras.utils.set_random_seed(3)
sess = tf.compat.v1.Session(); tf.compat.v1.keras.backend.set_session(sess)
u = keras.Input((1,), dtype="int64", name="user"); i = keras.Input((1,), dtype="int64", name="item")
h = keras.Input((6,), dtype="int64", name="hist")
ue = L.Flatten()(L.Embedding(1000, 16)(u)); ie = L.Flatten()(L.Embedding(5000, 16)(i))
he = L.GlobalAveragePooling1D()(L.Embedding(5000, 16, mask_zero=True)(h))
dot = L.Dot(axes=1)([ue, ie])
deep = L.Concatenate(name="dnn_input")([ue, ie, he])
d = L.Dense(32, activation="relu")(deep)
logit = L.Add(name="logit")([L.Dense(1)(d), dot])
pred = L.Activation("sigmoid", name="prediction")(logit)
model = keras.Model([u, i, h], pred)
sess.run([tf.compat.v1.global_variables_initializer(), tf.compat.v1.tables_initializer(name="init_all_tables")])
g = sess.graph
outs = [deep.op.name, pred.op.name]
frozen = tf.compat.v1.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), outs + ["init_all_tables"])
open(os.path.join(out, "model.pb"), "wb").write(frozen.SerializeToString())
open(os.path.join(out, "outputs.txt"), "w").write(",".join(outs))
for B in (1, 37, 512):
    r = np.random.default_rng(B)
    hv = r.integers(1, 5000, (B, 6)); lens = r.integers(1, 7, B)
    for k in range(B): hv[k, lens[k]:] = 0
    fd = {u: r.integers(0, 1000, (B, 1)), i: r.integers(0, 5000, (B, 1)), h: hv}
    res = sess.run([g.get_tensor_by_name(o + ":0") for o in outs], fd)
    arrs = {}
    for x, v in fd.items(): put_input(arrs, x.op.name, v)
    for o, v in zip(outs, res): put_output(arrs, o, v)
    np.savez(os.path.join(out, f"batch_b{B}.npz"), **arrs)
print(out, outs)
