"""RECom dlrm.py's create_dlrm() column structure at a chosen scale, frozen, with batches and TF outputs.
usage: gen_dlrm.py OUT n_bucketize n_hash_int n_hash n_hash_sparse n_large dense_width bot_units top_units large_buckets
  e.g. gen_dlrm.py out 200 40 40 20 1 64 64 512,256,64 8388608   (a 2^23 x 32 table: 1 GiB)"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf
from npz_layout import put_input, put_output
tf.compat.v1.disable_v2_behavior()
fc = tf.compat.v1.feature_column
out = sys.argv[1]
nb, nhi, nh, nhs, nl, ndense = map(int, sys.argv[2:8])
bot = [int(x) for x in sys.argv[8].split(",")]
top = [int(x) for x in sys.argv[9].split(",")]
large = int(sys.argv[10])
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(5)
g = tf.Graph()
feeds = []
with g.as_default():
    feats, cols = {}, []
    for i in range(nb):
        n = f"bucketize{i}"; feats[n] = tf.compat.v1.placeholder(tf.float32, [None], name=n); feeds.append((n, "f"))
        cols.append(fc.embedding_column(fc.bucketized_column(fc.numeric_column(n), list(range(0, 500, 5))), 8, combiner="mean"))
    for i in range(nhi):
        n = f"categ_hashbucket_int{i}"; feats[n] = tf.compat.v1.placeholder(tf.int32, [None], name=n); feeds.append((n, "i"))
        cols.append(fc.embedding_column(fc.categorical_column_with_hash_bucket(n, 100, dtype=tf.int32), 8, combiner="mean"))
    for i in range(nh):
        n = f"categ_hashbucket{i}"; feats[n] = tf.compat.v1.placeholder(tf.string, [None], name=n); feeds.append((n, "s"))
        cols.append(fc.embedding_column(fc.categorical_column_with_hash_bucket(n, 10000), 8, combiner="mean"))
    for i in range(nhs):
        n = f"categ_hashbucket_sparse{i}"; p = tf.compat.v1.placeholder(tf.string, [None], name=n); feeds.append((n, "m"))
        feats[n] = tf.compat.v1.strings.split(p, sep=";")
        cols.append(fc.embedding_column(fc.categorical_column_with_hash_bucket(n, 10000), 8, combiner="sum"))
    for i in range(nl):
        n = f"categ_large_hashbucket_sparse{i}"; p = tf.compat.v1.placeholder(tf.string, [None], name=n); feeds.append((n, "m"))
        feats[n] = tf.compat.v1.strings.split(p, sep=";")
        cols.append(fc.embedding_column(fc.categorical_column_with_hash_bucket(n, large), 32, combiner="sum"))
    dense = tf.compat.v1.placeholder(tf.float32, [None, ndense], name="dense"); feeds.append(("dense", "d"))
    emb = tf.identity(fc.input_layer(feats, cols), name="input_layer_output")
    def mlp(h, units, scope):
        for j, u in enumerate(units):
            with tf.compat.v1.variable_scope(f"{scope}{j}"):
                W = tf.compat.v1.get_variable("kernel", [int(h.shape[1]), u], initializer=tf.compat.v1.glorot_uniform_initializer(seed=j))
                b = tf.compat.v1.get_variable("bias", [u], initializer=tf.compat.v1.random_normal_initializer(stddev=0.1, seed=j))
                h = tf.nn.relu(tf.nn.bias_add(tf.matmul(h, W), b))
        return h
    x = mlp(dense, bot, "bot")
    x = tf.concat([x, emb], 1)
    x = mlp(x, top, "top")
    with tf.compat.v1.variable_scope("dense"):
        W = tf.compat.v1.get_variable("kernel", [int(x.shape[1]), 1], initializer=tf.compat.v1.glorot_uniform_initializer(seed=99))
        mm = tf.matmul(x, W)
    logits = tf.identity(mm, name="logits")
    pred = tf.identity(tf.sigmoid(logits), name="prediction")
    tf.identity(tf.round(pred), name="output")
    sess = tf.compat.v1.Session(graph=g)
    sess.run([tf.compat.v1.global_variables_initializer(), tf.compat.v1.tables_initializer(name="init_all_tables")])
    outs = ["input_layer_output", "logits", "prediction", "output"]
    frozen = tf.compat.v1.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), outs + ["init_all_tables"])
    with open(os.path.join(out, "model.pb"), "wb") as f:
        f.write(frozen.SerializeToString())
    al = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
    for B in (1, 37, 512):
        r = np.random.default_rng(B)
        fd, arrs = {}, {}
        for n, k in feeds:
            if k == "f":
                v = r.integers(0, 100, B).astype(np.float32)
                if B > 5: v[:5] = [-0.0, np.inf, -np.inf, np.nan, 495.0]
            elif k == "i":
                v = r.integers(-1, 100, B).astype(np.int32)
                if B > 2: v[:2] = [2**31 - 1, -2**31]
            elif k == "s":
                v = np.array(["".join(r.choice(al, 8)).encode() for _ in range(B)], dtype=object)
                if B > 3: v[3] = b""
            elif k == "m":
                v = np.array([";".join("".join(r.choice(al, 8)) for _ in range(r.integers(1, 11))).encode() for _ in range(B)], dtype=object)
            else:
                v = r.normal(size=(B, ndense)).astype(np.float32)
            fd[g.get_tensor_by_name(n + ":0")] = v
            put_input(arrs, n, v)
        res = sess.run([g.get_tensor_by_name(o + ":0") for o in outs], fd)
        for o, v in zip(outs, res):
            put_output(arrs, o, v)
        np.savez(os.path.join(out, f"batch_b{B}.npz"), **arrs)
    print(out, "nodes", len(frozen.node))
