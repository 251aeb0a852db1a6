"""A random feature-column model (every column kind, wide parameter ranges), frozen, with three
batches (B = 1, 37, 512) and TensorFlow's outputs in recom's npz layout.

usage: gen_fc.py OUT_DIR SEED NCOLS      (MAXB=N caps the bucket counts; needs TensorFlow)
"""
import os, sys, json
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf
from npz_layout import put_input, put_output
tf.compat.v1.disable_v2_behavior()
fc = tf.compat.v1.feature_column

out, seed, ncols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(seed)
os.makedirs(out, exist_ok=True)

class Split:
    def __init__(self, t): self.t = t
feeds_spec = []   # (name, kind, dtype, extra)
cols = []
g = tf.Graph()
with g.as_default():
    ph = {}
    def sparse_in(name, dtype):
        p = tf.compat.v1.sparse_placeholder(dtype, shape=[None, None], name=name)
        ph[name] = p
        feeds_spec.append((name, "sparse", dtype, None))
        return name
    def dense_in(name, dtype, shape):
        p = tf.compat.v1.placeholder(dtype, shape=[None] + list(shape), name=name)
        ph[name] = p
        feeds_spec.append((name, "dense", dtype, shape))
        return name
    kinds = ["hash_s", "hash_i", "ident", "vocab_s", "vocab_i", "bucket", "weighted", "cross", "numeric", "split", "indicator", "dense_vocab", "int32"]
    shared = []
    for c in range(ncols):
        k = kinds[rng.integers(len(kinds))]
        dim = int(rng.choice([1, 4, 8, 16, 24, 32, 48, 64, 96, 128]))
        comb = str(rng.choice(["sum", "mean", "sqrtn"]))
        n = f"f{c}_{k}"
        if k == "hash_s":
            cat = fc.categorical_column_with_hash_bucket(sparse_in(n, tf.string), int(rng.integers(2, int(os.environ.get("MAXB", 500000)))))
        elif k == "hash_i":
            cat = fc.categorical_column_with_hash_bucket(sparse_in(n, tf.int64), int(rng.integers(2, int(os.environ.get("MAXB", 300000)))), dtype=tf.int64)
        elif k == "int32":
            if rng.random() < 0.5:
                cat = fc.categorical_column_with_hash_bucket(dense_in(n, tf.int32, [int(rng.integers(1, 5))]), int(rng.integers(2, 3000)), dtype=tf.int32)
            else:
                cat = fc.categorical_column_with_identity(sparse_in(n, tf.int64), int(rng.integers(2, 3000)), default_value=0)
        elif k == "ident":
            nb = int(rng.integers(2, int(os.environ.get("MAXB", 200000))))
            cat = fc.categorical_column_with_identity(sparse_in(n, tf.int64), nb, default_value=(int(rng.integers(0, nb)) if rng.random() < 0.7 else None))
            feeds_spec[-1] = (n, "sparse", tf.int64, {"ident": nb, "default": cat.default_value})
        elif k in ("vocab_s", "dense_vocab"):
            nk = int(rng.integers(1, 400))
            keys = sorted({f"k{int(x)}" for x in rng.integers(0, 10 * nk + 10, nk)} | ({"", "ü€漢"} if rng.random() < 0.3 else set()))
            oov = int(rng.integers(0, 6)) if rng.random() < 0.6 else 0
            dv = -1 if oov else int(rng.choice([-1, 0, len(keys) - 1]))
            src = sparse_in(n, tf.string) if k == "vocab_s" else dense_in(n, tf.string, [int(rng.integers(1, 4))])
            feeds_spec[-1] = (n, feeds_spec[-1][1], tf.string, feeds_spec[-1][3], {"keys": keys})
            cat = fc.categorical_column_with_vocabulary_list(src, keys, num_oov_buckets=oov, default_value=dv if not oov else -1)
        elif k == "vocab_i":
            nk = int(rng.integers(1, 1500))
            keys = sorted({int(x) for x in rng.integers(-1000000, 1000000, nk)})
            oov = int(rng.integers(0, 6)) if rng.random() < 0.5 else 0
            cat = fc.categorical_column_with_vocabulary_list(sparse_in(n, tf.int64), keys, dtype=tf.int64, num_oov_buckets=oov, default_value=-1 if oov else int(rng.choice([-1, 0])))
            feeds_spec[-1] = (n, "sparse", tf.int64, None, {"ikeys": keys})
        elif k == "bucket":
            w = int(rng.integers(1, 4))
            nb = int(rng.integers(1, 300))
            b = sorted(set(np.round(rng.uniform(-1000, 1000, nb), int(rng.integers(0, 4))).tolist()))
            cat = fc.bucketized_column(fc.numeric_column(dense_in(n, tf.float32, [w]), shape=(w,)), b)
        elif k == "weighted":
            nb = int(rng.integers(2, 50000))
            base = fc.categorical_column_with_hash_bucket(sparse_in(n, tf.string), nb)
            wn = n + "_w"
            # weight sparse tensor must share indices with ids: feed with same indices
            ph[wn] = tf.compat.v1.sparse_placeholder(tf.float32, shape=[None, None], name=wn)
            feeds_spec.append((wn, "weights_of", tf.float32, n))
            cat = fc.weighted_categorical_column(base, wn)
        elif k == "cross":
            a = sparse_in(n + "_a", tf.string)
            b = sparse_in(n + "_b", tf.int64)
            cat = fc.crossed_column([a, b], int(rng.integers(2, int(os.environ.get("MAXB", 1000000)))))
        elif k == "split":
            sname = dense_in(n, tf.string, [])
            feeds_spec[-1] = (n, "split", tf.string, None)
            # split is applied in the model function below via a custom column: emulate dlrm.py
            cat = Split(("split", sname, int(rng.integers(2, 200000))))
        elif k == "numeric":
            w = int(rng.integers(1, 5))
            m, s = float(rng.normal()), float(rng.uniform(0.5, 3))
            cols.append(fc.numeric_column(dense_in(n, tf.float32, [w]), shape=(w,), normalizer_fn=(lambda x, m=m, s=s: (x - m) / s) if rng.random() < 0.5 else None))
            continue
        elif k == "indicator":
            nk = int(rng.integers(2, 120))
            cols.append(fc.indicator_column(fc.categorical_column_with_vocabulary_list(sparse_in(n, tf.string), [f"k{i}" for i in range(nk)], num_oov_buckets=int(rng.integers(0, 3)))))
            feeds_spec[-1] = (n, "sparse", tf.string, None, {"keys": [f"k{i}" for i in range(nk + 3)]})
            continue
        if isinstance(cat, Split):
            cols.append(Split(cat.t + (dim, comb)))
            continue
        if rng.random() < 0.1:
            shared.append(cat)
            if len(shared) == 2:
                try:
                    cols.extend(fc.shared_embedding_columns(shared, dim, combiner=comb))
                except Exception:
                    pass
                shared = []
            continue
        mx = float(rng.uniform(0.5, 3)) if rng.random() < 0.05 else None
        cols.append(fc.embedding_column(cat, dim, combiner=comb, max_norm=mx))

    features = dict(ph)
    real_cols = []
    for c in cols:
        if isinstance(c, Split):
            _, sname, nb, dim, comb = c.t
            sp = tf.compat.v1.strings.split(ph[sname], sep=";")
            features[sname + "_sp"] = sp
            real_cols.append(fc.embedding_column(fc.categorical_column_with_hash_bucket(sname + "_sp", nb), dim, combiner=comb))
        else:
            real_cols.append(c)
    net = fc.input_layer(features, real_cols)
    net = tf.identity(net, name="input_layer_output")
    width = int(net.shape[1])
    # plain dense layers (Keras 3 lacks tf.compat.v1.layers.dense)
    h = net
    for i in range(int(rng.integers(1, 4))):
        u = int(rng.integers(16, 200))
        W = tf.compat.v1.get_variable(f"d{i}/kernel", [int(h.shape[1]), u], initializer=tf.compat.v1.glorot_uniform_initializer(seed=seed + i))
        bvar = tf.compat.v1.get_variable(f"d{i}/bias", [u], initializer=tf.compat.v1.random_normal_initializer(stddev=0.1, seed=seed + 100 + i))
        h = tf.nn.relu(tf.nn.bias_add(tf.matmul(h, W), bvar))
    W = tf.compat.v1.get_variable("logit/kernel", [int(h.shape[1]), 1], initializer=tf.compat.v1.glorot_uniform_initializer(seed=seed + 7))
    logits = tf.identity(tf.matmul(h, W), name="logits")
    tf.identity(tf.sigmoid(logits), name="prediction")
    sess = tf.compat.v1.Session(graph=g)
    sess.run([tf.compat.v1.global_variables_initializer(), tf.compat.v1.tables_initializer(name="init_all_tables")])
    outs = ["input_layer_output", "logits", "prediction"]
    frozen = tf.compat.v1.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), outs + ["init_all_tables"])
    open(os.path.join(out, "model.pb"), "wb").write(frozen.SerializeToString())

    def rand_str(r):
        return "k%d" % r.integers(0, 500) if r.random() < 0.8 else str(r.choice(["", " ", "ü€漢", "UNK", "x" * 40]))
    def rand_int(r):
        return int(r.choice([r.integers(-5, 3000), r.integers(-2**40, 2**40), -2**63, 2**63 - 1, 2**31 - 1, -2**31]))
    for B in (1, 37, 512):
        r = np.random.default_rng(seed * 1000 + B)
        fd, arrs = {}, {}
        sparse_idx = {}
        for spec in feeds_spec:
            name, kind, dt = spec[0], spec[1], spec[2]
            extra = spec[4] if len(spec) > 4 else (spec[3] if kind == "sparse" else None)
            p = ph[name]
            if kind in ("sparse", "weights_of"):
                if kind == "weights_of":
                    idx, shape = sparse_idx[spec[3]]
                    vals = r.normal(size=len(idx)).astype(np.float32)
                    vals[r.random(len(idx)) < 0.1] = 0.0
                else:
                    lens = r.integers(0, 6, B)
                    if B > 4: lens[3] = 0
                    idx = np.array([[i, j] for i in range(B) for j in range(lens[i])], dtype=np.int64).reshape(-1, 2)
                    shape = np.array([B, max(1, int(lens.max()))], np.int64)
                    sparse_idx[name] = (idx, shape)
                    n = len(idx)
                    if dt == tf.string:
                        keys = extra.get("keys") if isinstance(extra, dict) else None
                        vals = np.array([(keys[r.integers(len(keys))] if keys and r.random() < 0.8 else rand_str(r)).encode() for _ in range(n)], dtype=object)
                    else:
                        if isinstance(extra, dict) and "ident" in extra:
                            nb = extra["ident"]
                            vals = r.integers(0 if extra["default"] is None else -3, nb + (0 if extra["default"] is None else 5), n).astype(np.int64)
                            if extra["default"] is None: vals = np.where(vals < 0, 0, vals)
                        elif isinstance(extra, dict) and "ikeys" in extra:
                            ks = extra["ikeys"]
                            vals = np.array([ks[r.integers(len(ks))] if r.random() < 0.8 else rand_int(r) for _ in range(n)], np.int64)
                        elif "_int32" in name:
                            vals = r.integers(0, 3000, n).astype(np.int64)
                        else:
                            vals = np.array([rand_int(r) for _ in range(n)], np.int64)
                fd[p] = tf.compat.v1.SparseTensorValue(idx, vals, shape)
                put_input(arrs, name + "/indices", idx)
                put_input(arrs, name + "/shape", shape)
                put_input(arrs, name + "/values", vals)
            else:
                shape = [B] + list(spec[3] or [])
                if kind == "split":
                    vals = np.array([";".join(rand_str(r) for _ in range(r.integers(1, 8))).encode() for _ in range(B)], dtype=object)
                elif dt == tf.string:
                    keys = extra.get("keys") if isinstance(extra, dict) else None
                    vals = np.array([(keys[r.integers(len(keys))] if keys and r.random() < 0.7 else rand_str(r)).encode() for _ in range(int(np.prod(shape)))], dtype=object).reshape(shape)
                elif dt == tf.int32:
                    vals = r.integers(-1, 3000, shape).astype(np.int32)
                    vals.flat[0] = 2**31 - 1
                else:
                    vals = r.uniform(-1100, 1100, shape).astype(np.float32)
                    if vals.size > 3 and '_bucket' in name: vals.flat[1] = np.nan; vals.flat[2] = -0.0; vals.flat[3] = np.inf
                fd[p] = vals
                put_input(arrs, name, vals)
        res = sess.run([g.get_tensor_by_name(o + ":0") for o in outs], fd)
        for o, v in zip(outs, res):
            put_output(arrs, o, v)
        names = {n.name for n in frozen.node}
        def used(k):
            base = k[3:].split(".")[0]
            parts = k[3:].split(".")
            if base in names: return True
            return len(parts) > 1 and (base + "/" + parts[1]) in names
        arrs = {k: v for k, v in arrs.items() if not k.startswith("in.") or used(k)}
        np.savez(os.path.join(out, f"batch_b{B}.npz"), **arrs)
    print(out, "nodes", len(frozen.node), "width", width, "cols", len(real_cols))
