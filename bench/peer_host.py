"""The host side of a request, done as a PyTorch user would: the raw
features of a TensorFlow feature-column model turned into each column's CSR
ids in Python, numpy and FarmHash (`pyfarmhash`, the C library TensorFlow's
string hashes use), following the host program recom compiled for the
model (`host` in `recom-bench ... --dump`'s `<model>.json`) op by op:

  HashBucket        Fingerprint64 of each string (or decimal int) mod buckets
  Vocabulary        a dict from key to position; OOV buckets or the default
  BucketizedSparse  np.searchsorted on the boundaries (NaN in the last bucket)
  SparseFromDense   entries that are not the "missing" marker
  StringSplit       bytes.split (Python's semantics are TensorFlow's here)
  SplitHashBucket   StringSplit then HashBucket (recom fuses them on load)
  CrossHashed       TensorFlow's SparseCross: FingerprintCat64 over combinations
  Fingerprint, RangeFilter, CooRows, NumericInput

then each column's filter, out-of-range policy, and the drop of negative ids
and NaN weights, vectorized. `TfGraph` steps (a TensorFlow subgraph recom runs
with its own evaluator) have no Python equivalent here: such a model is
refused.

The per-string work is a Python loop calling FarmHash: what a user without
TensorFlow in the serving process would write. `python3 bench/peer_host.py
DUMP` checks the result against the CSR ids in the dump (recom's) and times
it per batch.
"""
import json
import os
import re
import sys
import time

import numpy as np

try:
    import farmhash
except ImportError:  # reported by the caller: the variant cannot run
    farmhash = None

MASK = (1 << 64) - 1
MUL = 0xC6A4A7935BD1E995


def fingerprint_cat64(fp1, fp2):
    """TensorFlow's FingerprintCat64 on Python ints (u64)."""

    def shift_mix(v):
        return v ^ (v >> 47)

    result = fp1 ^ MUL
    result ^= (shift_mix((fp2 * MUL) & MASK) * MUL) & MASK
    result = (result * MUL) & MASK
    result = (shift_mix(result) * MUL) & MASK
    return shift_mix(result)


class Value:
    """A host value: kind 'i' (int64 ndarray), 'f' (float32 ndarray) or 's' (list of bytes), with its shape."""

    __slots__ = ("kind", "shape", "data")

    def __init__(self, kind, shape, data):
        self.kind, self.shape, self.data = kind, tuple(shape), data


def vector(a):
    a = np.asarray(a)
    return Value("i" if a.dtype.kind in "iu" else "f", (a.size,), a)


def ints(v):
    if v.kind != "i":
        raise ValueError(f"expected integers, got {v.kind}")
    return v.data


class HostProgram:
    def __init__(self, spec):
        if farmhash is None:
            raise RuntimeError("pyfarmhash is not installed (pip install pyfarmhash): TensorFlow's string hashes need FarmHash")
        self.specs = spec["feed_specs"]
        self.program = spec["host"]
        self.columns = spec["columns"]
        self.rows = [int(spec["tables"][c["table"]]["rows"]) for c in self.columns]
        self.vocab = {}
        for k, step in enumerate(self.program["steps"]):
            op = step["op"]
            kind = op if isinstance(op, str) else next(iter(op))
            if kind == "TfGraph":
                raise RuntimeError("the host program runs a TensorFlow subgraph (TfGraph): no Python equivalent")
            if kind == "Vocabulary":
                keys = op["Vocabulary"]["keys"]
                if "Str" in keys:
                    self.vocab[k] = {key.encode(): i for i, key in enumerate(keys["Str"])}
                else:
                    self.vocab[k] = {int(key): i for i, key in enumerate(keys["I64"])}

    def feed_values(self, raw):
        """The raw request (per feed: ndarray, or (list of bytes, shape)) as host values."""
        values = []
        for spec, r in zip(self.specs, raw):
            if isinstance(r, tuple):
                data, shape = r
                v = Value("s", shape, data)
            else:
                v = Value("i" if r.dtype.kind in "iu" else "f", r.shape, r)
            want = spec.get("shape")
            if want == [-1, 1] and len(v.shape) == 1:  # a [B] feed for a [B, 1] input
                v = Value(v.kind, (v.shape[0], 1), v.data)
            values.append(v)
        return values

    def run(self, raw):
        """Raw request -> per column (ids int64, offsets int64 [B + 1], weights float32 or None), after
        filters and out-of-range policies, negative ids and NaN weights dropped (what the kernel pools)."""
        feeds = self.feed_values(raw)
        results = []

        def get(ref):
            if "Feed" in ref:
                return feeds[ref["Feed"]]
            s = ref["Step"]
            return results[s["step"]][s["result"]]

        for k, step in enumerate(self.program["steps"]):
            ops = [get(r) for r in step["operands"]]
            results.append(self.evaluate(k, step["op"], ops))
        out = []
        for c, col in enumerate(self.program["columns"]):
            ids = ints(get(col["ids"])).astype(np.int64, copy=True)
            offsets = ints(get(col["row_offsets"])).astype(np.int64)
            w = get(col["weights"]).data.astype(np.float32) if col.get("weights") is not None else None
            out.append(self.finish(c, ids, offsets, w))
        return out

    def finish(self, c, ids, offsets, w):
        column, rows = self.columns[c], self.rows[c]
        f = column.get("filter")
        if f is not None:
            outside = (ids < f["lo"]) | (ids >= f["hi"])
            ids[outside] = f["default"] if f.get("default") is not None else -1
        too_large = ids >= rows
        if too_large.any():
            policy = column["on_out_of_range"]
            if policy == "Error":
                raise ValueError(f"column {c}: id {ids[too_large][0]} is not a row of its {rows}-row table")
            ids[too_large] = policy["Default"] if isinstance(policy, dict) else -1
        keep = ids >= 0
        if w is not None:
            keep &= ~np.isnan(w)
        if keep.all():
            return ids, offsets, (w if column["weighted"] else None)
        kept = np.concatenate([[0], np.cumsum(keep)])
        return ids[keep], kept[offsets], (w[keep] if column["weighted"] else None)

    def evaluate(self, k, op, xs):
        name = op if isinstance(op, str) else next(iter(op))
        p = None if isinstance(op, str) else op[name]
        fp = farmhash.fingerprint64
        if name == "HashBucket":
            n, v = p["buckets"], xs[0]
            if v.kind == "s":
                return [vector(np.fromiter((fp(s) % n for s in v.data), np.int64, len(v.data)))]
            return [vector(np.fromiter((fp(str(x).encode()) % n for x in v.data.tolist()), np.int64, v.data.size))]
        if name == "Fingerprint":
            v = xs[0]
            return [vector(np.fromiter((fp(s) for s in v.data), np.uint64, len(v.data)).view(np.int64))]
        if name == "Vocabulary":
            keys, v = self.vocab[k], xs[0]
            size, default, oov, first = len(keys), p["default"], p["oov_buckets"], p.get("first", 0)
            base = p.get("oov_base")
            base = first + size if base is None else base

            def absent(b):
                return base + fp(b) % oov if oov else default

            if v.kind == "s":
                return [vector(np.fromiter((first + keys[s] if s in keys else absent(s) for s in v.data), np.int64, len(v.data)))]
            return [vector(np.fromiter((first + keys[x] if x in keys else absent(str(x).encode()) for x in v.data.tolist()), np.int64, v.data.size))]
        if name == "RangeFilter":
            f, ids = p["filter"], ints(xs[0]).copy()
            ids[(ids < f["lo"]) | (ids >= f["hi"])] = f["default"] if f.get("default") is not None else -1
            return [vector(ids)]
        if name == "SparseFromDense":
            v = xs[0]
            rows, width = v.shape
            ignore = p["ignore"]
            if p.get("column") is not None:
                # One column of the input, as a [rows, 1] input.
                j = p["column"]
                if v.kind == "s":
                    v = Value("s", (rows, 1), [v.data[r * width + j] for r in range(rows)])
                else:
                    v = Value(v.kind, (rows, 1), v.data.reshape(rows, width)[:, j:j + 1].copy())
                width = 1
            if v.kind == "s":
                marker = ignore["Str"].encode() if isinstance(ignore, dict) and "Str" in ignore else None
                keep = np.fromiter((s != marker for s in v.data), bool, len(v.data))
                values = Value("s", (int(keep.sum()),), [s for s, k in zip(v.data, keep) if k])
            else:
                data = v.data.reshape(-1)
                keep = data != ignore["I64"] if isinstance(ignore, dict) and "I64" in ignore else np.ones(data.size, bool)
                values = vector(data[keep])
            where = np.flatnonzero(keep)
            indices = np.stack([where // width, where % width], axis=1).astype(np.int64)
            return [Value("i", indices.shape, indices), values, vector(np.array([rows, width], np.int64))]
        if name == "BucketizedSparse":
            v = xs[0]
            rows, kk = v.shape
            b = np.asarray(p["boundaries"], np.float64)
            x = v.data.reshape(-1).astype(np.float32).astype(np.float64)
            bucket = np.searchsorted(b, x, side="right")  # boundaries <= x; NaN sorts last
            values = bucket + (np.arange(x.size) % kk) * (b.size + 1)
            where = np.arange(x.size)
            indices = np.stack([where // kk, where % kk], axis=1).astype(np.int64)
            return [Value("i", indices.shape, indices), vector(values.astype(np.int64)), vector(np.array([rows, kk], np.int64))]
        if name == "CooRows":
            indices = ints(xs[0]).reshape(-1, 2)
            rows = int(ints(xs[1])[0]) if len(xs) > 1 else (int(indices[:, 0].max()) + 1 if len(indices) else 0)
            counts = np.bincount(indices[:, 0], minlength=rows)
            return [vector(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))]
        if name == "NumericInput":
            v = xs[0]
            rows, kk = v.shape
            x = v.data.reshape(rows, kk)[:, p["column"]].astype(np.float32)
            if p.get("normalizer") is not None:
                shift, scale = (np.float32(t) for t in p["normalizer"])
                x = (x - shift) / scale
            return [vector(np.zeros(rows, np.int64)), vector(np.arange(rows + 1, dtype=np.int64)), Value("f", (rows,), x.astype(np.float32))]
        if name == "StringSplit":
            v = xs[0]
            sep = p["sep"].encode() or None
            maxsplit = p["maxsplit"]
            rows_i, pos_i, tokens, width = [], [], [], 0
            for r, s in enumerate(v.data):
                parts = s.split(sep, maxsplit)
                width = max(width, len(parts))
                rows_i.extend([r] * len(parts))
                pos_i.extend(range(len(parts)))
                tokens.extend(parts)
            indices = np.array([rows_i, pos_i], np.int64).T.reshape(-1, 2)
            return [Value("i", indices.shape, indices), Value("s", (len(tokens),), tokens), vector(np.array([len(v.data), width], np.int64))]
        if name == "SplitHashBucket":  # recom's fusion of the two: the same values
            indices, tokens, shape = self.evaluate(k, {"StringSplit": {"sep": p["sep"], "maxsplit": p["maxsplit"]}}, xs)
            (ids,) = self.evaluate(k, {"HashBucket": {"buckets": p["buckets"]}}, [tokens])
            return [indices, ids, shape]
        if name == "CrossHashed":
            n = len(xs) // 3
            nb, key = p["num_buckets"], p["hash_key"]
            cols = []
            for c in range(n):
                hashes = ints(xs[n + c]).astype(np.int64).view(np.uint64).tolist()
                offs = self.evaluate(k, "CooRows", [xs[c], xs[2 * n + c]])[0].data.tolist()
                cols.append((hashes, offs))
            batch = len(cols[0][1]) - 1
            ids, rows_i, pos_i, width = [], [], [], 0
            for r in range(batch):
                lists = [h[o[r] : o[r + 1]] for h, o in cols]
                combos = [key]
                for lst in lists:  # the last input fastest
                    combos = [fingerprint_cat64(h, x) for h in combos for x in lst]
                width = max(width, len(combos) if all(lists) else 0)
                if all(lists):
                    ids.extend(h % nb for h in combos)
                    rows_i.extend([r] * len(combos))
                    pos_i.extend(range(len(combos)))
            indices = np.array([rows_i, pos_i], np.int64).T.reshape(-1, 2)
            return [Value("i", indices.shape, indices), vector(np.array(ids, np.int64)), vector(np.array([batch, width], np.int64))]
        raise ValueError(f"host op {name} has no Python equivalent here")


def raw_request(npz, specs):
    """The raw inputs of a dumped batch file (`raw<i>`), strings as lists of bytes (decoded once, untimed)."""
    raw = []
    for i, spec in enumerate(specs):
        if f"raw{i}" in npz.files:
            raw.append(np.ascontiguousarray(npz[f"raw{i}"]))
        else:
            blob = bytes(npz[f"raw{i}.utf8"])
            offs = npz[f"raw{i}.offsets"].tolist()
            shape = tuple(int(d) for d in npz[f"raw{i}.shape"])
            raw.append(([blob[a:b] for a, b in zip(offs[:-1], offs[1:])], shape))
    return raw


def main():
    dump = sys.argv[1]
    status = 0
    for path in sorted(p for p in os.listdir(dump) if p.endswith(".json")):
        name = path[: -len(".json")]
        with open(os.path.join(dump, path)) as f:
            spec = json.load(f)
        if "host" not in spec:
            continue
        program = HostProgram(spec)
        batches = sorted((int(m.group(1)), p) for p in os.listdir(dump) if (m := re.fullmatch(re.escape(name) + r"_b(\d+)\.npz", p)))
        for B, p in batches:
            npz = np.load(os.path.join(dump, p))
            raw = raw_request(npz, spec["feed_specs"])
            t = time.perf_counter()
            cols = program.run(raw)
            ms = (time.perf_counter() - t) * 1e3
            bad = []
            for c, (ids, offs, w) in enumerate(cols):
                if not (np.array_equal(ids, npz[f"col{c}.ids"]) and np.array_equal(offs, npz[f"col{c}.offsets"])):
                    bad.append(c)
                elif w is not None and not np.array_equal(w, npz[f"col{c}.weights"]):
                    bad.append(c)
            print(f"{name} B={B}: host side in Python {ms:.2f} ms; {'all columns equal recom' if not bad else f'columns {bad} DIFFER'}")
            status |= bool(bad)
    return status


if __name__ == "__main__":
    sys.exit(main())
