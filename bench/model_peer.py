"""PyTorch peer for whole-model requests: the same model as recom, timed the same way.

Reads what `recom-bench serve --dump DIR` writes (`<model>.json`,
`<model>_weights.npz`, `<model>_b<B>.npz`) and runs the model -- embedding
columns pooled into a [B, width] layer, then the small dense program (linear
layers, elementwise maps, concats, reductions) -- in PyTorch on the GPU, in
true fp32 (TF32 off, as recom's default precision).

What is compared: one request from host-side CSR inputs (each column's ids,
row offsets and optional weights as numpy arrays, plus the f32 dense feeds) to
host-side outputs (numpy arrays of every model output): host packing, the
host-to-device copies, the embedding lookups and pooling, the dense program
and the device-to-host copies, wall clock per request. Variants:

  eager       one F.embedding_bag per column (mean/sqrtn/weighted pooling as
              per-sample weights normalised per bag on the GPU), torch.cat,
              the dense steps, .cpu() of each output;
  fused       one embedding_bag per distinct dim over that dim's tables
              concatenated (ids shifted by each table's row offset, inputs
              packed on the host per request into one int64 and one f32 pinned
              buffer, two host-to-device copies), then one index_select back
              into column order -- the way TorchRec/FBGEMM users batch tables;
  cuda_graph  the fused variant's device work captured once per batch file in
              a CUDA graph and replayed per request (pack, copy into the static
              buffers, replay, copy outputs out, synchronize);
  host+cuda_graph
              the whole request, host side included: the host side
              from the raw features, done as a PyTorch user would
              (bench/peer_host.py: Python, numpy and FarmHash following the
              model's feature transforms: hashing, vocabularies, bucketizing,
              splitting, crossing), then the cuda_graph variant.

What the first three do NOT time: they start from CSR ids. The host-side
work that produced them from the raw request (string hashing, vocabulary
lookups, bucketizing, filters, out-of-range policies) is recom's host program
and is not in their time: they bound what the GPU part of a peer costs.
host+cuda_graph pays it, in Python. Loading tables and weights to the GPU
(once per model) and allocating the per-batch-file buffers are not timed.

Each variant's outputs are checked once against recom's (`out.<name>` in the
batch file): the max abs error per output is reported, and the run exits 1
(after writing every measurement) when a variant failed or any output is
missing, NaN where recom's is not, or off by more than --tolerance.

  python3 bench/model_peer.py --dump DIR --out FILE.json [--requests N] [--models medium,tiny]

Without a CUDA device it says so, runs the eager variant on the CPU for
correctness only (no timings) and exits 0.
"""
import argparse
import glob
import json
import os
import re
import sys
import time
import traceback
import warnings

import numpy as np
import torch
import torch.nn.functional as F

SUM, MEAN, SQRTN = 0, 1, 2
COMBINERS = {"sum": SUM, "mean": MEAN, "sqrtn": SQRTN}
VARIANTS = ("eager", "fused", "cuda_graph", "host+cuda_graph")


# ---------------------------------------------------------------------------
# Elementwise expressions ("sigmoid(add(x0, 0.5))"), parsed once into closures
# over torch tensors. The grammar follows recom's `Expr::parse`
# (crates/recom-abi/src/dense.rs).

FUNCS = {
    "add": (2, torch.add),
    "sub": (2, torch.sub),
    "mul": (2, torch.mul),
    "div": (2, torch.div),
    "max": (2, torch.maximum),  # propagates NaN, like TensorFlow's Maximum
    "min": (2, torch.minimum),
    "neg": (1, torch.neg),
    "abs": (1, torch.abs),
    "relu": (1, torch.relu),  # relu(NaN) = NaN
    "sigmoid": (1, torch.sigmoid),
    "tanh": (1, torch.tanh),
    "round": (1, torch.round),  # half to even
    "square": (1, torch.square),
    "sqrt": (1, torch.sqrt),
    "rsqrt": (1, torch.rsqrt),
    "exp": (1, torch.exp),
    "log": (1, torch.log),
}
MAX_EXPR_DEPTH = 256


def parse_expr(text):
    """Text -> tree: ("in", i) | ("const", float) | ("call", name, [trees])."""
    s, n = text, len(text)
    pos = 0

    def space():
        nonlocal pos
        while pos < n and s[pos].isspace():
            pos += 1

    def word():
        nonlocal pos
        start = pos
        while pos < n and ((s[pos].isascii() and s[pos].isalnum()) or s[pos] in "._-+"):
            # A sign only starts a literal or follows an exponent.
            if s[pos] in "-+" and pos > start and s[pos - 1] not in "eE":
                break
            pos += 1
        return s[start:pos]

    def expr(depth):
        nonlocal pos
        if depth > MAX_EXPR_DEPTH:
            raise ValueError(f"expression nested deeper than {MAX_EXPR_DEPTH} calls: {text!r}")
        space()
        start = pos
        w = word()
        if not w:
            raise ValueError(f"expected an input, a number or a function at offset {start} of {text!r}")
        space()
        if pos < n and s[pos] == "(":
            pos += 1
            if w not in FUNCS:
                raise ValueError(f"unknown function {w!r} at offset {start} of {text!r}")
            args = []
            while True:
                args.append(expr(depth + 1))
                space()
                if pos < n and s[pos] == ",":
                    pos += 1
                elif pos < n and s[pos] == ")":
                    pos += 1
                    break
                else:
                    raise ValueError(f"expected ',' or ')' at offset {pos} of {text!r}")
            if len(args) != FUNCS[w][0]:
                raise ValueError(f"{w!r} takes {FUNCS[w][0]} argument(s), got {len(args)} in {text!r}")
            return ("call", w, args)
        m = re.fullmatch(r"x(\d+)", w)
        if m:
            return ("in", int(m.group(1)))
        try:
            value = float(w)  # also "nan", "inf", "-inf"
        except ValueError:
            raise ValueError(f"{w!r} at offset {start} of {text!r} is not an input, a number or a function") from None
        return ("const", float(np.float32(value)))  # recom's literals are f32

    tree = expr(0)
    space()
    if pos != n:
        raise ValueError(f"unexpected {s[pos]!r} at offset {pos} of {text!r}")
    return tree


def expr_inputs(tree):
    """The largest input index used, plus one."""
    if tree[0] == "in":
        return tree[1] + 1
    if tree[0] == "const":
        return 0
    return max([expr_inputs(a) for a in tree[2]] + [0])


def compile_expr(tree, device):
    """Tree -> closure(xs) over a list of tensors; literals become 0-d f32 device tensors."""
    if tree[0] == "in":
        i = tree[1]
        return lambda xs: xs[i]
    if tree[0] == "const":
        c = torch.tensor(tree[1], dtype=torch.float32, device=device)
        return lambda xs: c
    fn = FUNCS[tree[1]][1]
    args = [compile_expr(a, device) for a in tree[2]]
    if len(args) == 1:
        (a,) = args
        return lambda xs: fn(a(xs))
    a, b = args
    return lambda xs: fn(a(xs), b(xs))


# ---------------------------------------------------------------------------
# The dense program.


def build_dense(spec, weights, device):
    """The dense steps and the outputs as one function
    run(embedding [B, width], feeds {f: [B, W]}, B) -> {output name: contiguous tensor}."""

    def operand(src):
        """SOURCE -> (getter(env, steps), is_batched)."""
        if src == "embedding":
            return (lambda env, steps: env["embedding"]), True
        if isinstance(src, dict) and len(src) == 1:
            ((kind, i),) = src.items()
            if kind == "step":
                return (lambda env, steps: steps[i]), True
            if kind == "feed":
                return (lambda env, steps: env["feeds"][i]), True
            if kind == "weight":
                t = weights[i]
                return (lambda env, steps: t), False
        raise ValueError(f"unknown dense operand {src!r}")

    step_fns = []
    for k, step in enumerate(spec["dense"]["steps"]):
        op, width = step["op"], step["width"]
        if op == "linear":
            x, _ = operand(step["input"])
            w = weights[step["weight"]]
            # F.linear computes x @ W.T: W [K, N] is passed as the (free) view W.t().
            w = w if step["transpose_weight"] else w.t()
            b = weights[step["bias"]].reshape(-1) if step.get("bias") is not None else None
            relu = step["activation"] == "relu"
            if step["activation"] not in ("relu", "none"):
                raise ValueError(f"step {k}: unknown activation {step['activation']!r}")

            def fn(env, steps, x=x, w=w, b=b, relu=relu):
                y = F.linear(x(env, steps), w, b)
                return torch.relu(y) if relu else y

        elif op == "map":
            tree = parse_expr(step["expr"])
            if expr_inputs(tree) > len(step["inputs"]):
                raise ValueError(f"step {k}: {step['expr']!r} reads more than its {len(step['inputs'])} inputs")
            f = compile_expr(tree, device)
            ins = []
            for src in step["inputs"]:
                get, batched = operand(src)
                if not batched:  # a constant of N or 1 elements, broadcast over the rows
                    t = get(None, None).reshape(1, -1)
                    get = lambda env, steps, t=t: t
                ins.append(get)

            def fn(env, steps, f=f, ins=ins, width=width):
                y = f([g(env, steps) for g in ins])
                if y.shape != (env["B"], width):
                    y = y.expand(env["B"], width)
                return y

        elif op == "concat":
            ins = [operand(src) for src in step["inputs"]]

            def fn(env, steps, ins=ins):
                parts = [g(env, steps) if batched else g(env, steps).reshape(1, -1).expand(env["B"], -1) for g, batched in ins]
                return torch.cat(parts, dim=1)

        elif op == "reduce":
            x, _ = operand(step["input"])
            if step["reduction"] == "sum":
                fn = lambda env, steps, x=x: x(env, steps).sum(dim=1, keepdim=True)
            elif step["reduction"] == "mean":
                fn = lambda env, steps, x=x: x(env, steps).mean(dim=1, keepdim=True)
            else:
                raise ValueError(f"step {k}: unknown reduction {step['reduction']!r}")
        else:
            raise ValueError(f"step {k}: unknown op {op!r}")
        step_fns.append(fn)

    outputs = []
    for out in spec["outputs"]:
        get, _ = operand(out["source"])
        outputs.append((out["name"], get, [int(d) for d in out["shape"]]))

    def run(embedding, feeds, B):
        env = {"embedding": embedding, "feeds": feeds, "B": B}
        steps = []
        for fn in step_fns:
            steps.append(fn(env, steps))
        result = {}
        for name, get, shape in outputs:
            t = get(env, steps)
            result[name] = t.reshape([B if d == -1 else d for d in shape]).contiguous()
        return result

    return run


# ---------------------------------------------------------------------------
# Pooling as per-sample weights (TensorFlow's combiners, as recom's reference
# evaluator: for mean and sqrtn only weights > 0 count; a bag whose divisor is
# not > 0 keeps its plain weighted sum, which is zeros when no weight counted).


def bag_of_ids(offsets, n):
    """The bag index of each of the n ids, from the [nbags + 1] offsets (no host sync)."""
    ids = torch.arange(n, device=offsets.device, dtype=offsets.dtype)
    return torch.searchsorted(offsets, ids, right=True) - 1


def column_sample_weights(offsets, w, n, nbags, mode):
    """Per-sample weights for one column (mode SUM/MEAN/SQRTN, w None when unweighted), or None."""
    if mode == SUM:
        return w
    bag = bag_of_ids(offsets, n)
    if w is None:  # unweighted: the divisor is the bag's length (or its sqrt)
        count = (offsets[1:] - offsets[:-1]).to(torch.float32)
        div = count if mode == MEAN else torch.sqrt(count)
        div = torch.where(div > 0, div, 1.0)
        return torch.reciprocal(div)[bag]
    w = torch.where(w > 0, w, 0.0)
    sw = torch.zeros(nbags, dtype=torch.float32, device=w.device).index_add_(0, bag, w if mode == MEAN else w * w)
    div = sw if mode == MEAN else torch.sqrt(sw)
    div = torch.where(div > 0, div, 1.0)
    return w / div[bag]


def group_sample_weights(offsets, w, n, bag_mode, has_mean, has_sqrtn):
    """Per-sample weights for the bags of several columns at once (bag_mode [nbags] per bag)."""
    if not (has_mean or has_sqrtn):
        return w
    bag = bag_of_ids(offsets, n)
    mode = bag_mode[bag]
    w = torch.where((mode == SUM) | (w > 0), w, 0.0)
    nbags = bag_mode.numel()
    div = torch.ones(nbags, dtype=torch.float32, device=w.device)
    if has_mean:
        sw = torch.zeros(nbags, dtype=torch.float32, device=w.device).index_add_(0, bag, w)
        div = torch.where(bag_mode == MEAN, sw, div)
    if has_sqrtn:
        sw2 = torch.zeros(nbags, dtype=torch.float32, device=w.device).index_add_(0, bag, w * w)
        div = torch.where(bag_mode == SQRTN, torch.sqrt(sw2), div)
    div = torch.where(div > 0, div, 1.0)
    return w / div[bag]


# ---------------------------------------------------------------------------
# Models and batches.


class Model:
    """A model on the device: tables grouped and concatenated per dim (each
    table is a row slice -- a view -- of its group's table, so the eager
    variant reads the same memory), the dense weights and the dense program."""

    def __init__(self, dump, name, device):
        self.name = name
        self.device = device
        with open(os.path.join(dump, f"{name}.json")) as f:
            self.spec = spec = json.load(f)
        self.width = int(spec["width"])
        self.columns = [(int(c["table"]), COMBINERS[c["combiner"]], bool(c["weighted"])) for c in spec["columns"]]
        npz = np.load(os.path.join(dump, f"{name}_weights.npz"))
        dims = [int(t["dim"]) for t in spec["tables"]]
        self.col_dim = [dims[t] for t, _, _ in self.columns]
        if sum(self.col_dim) != self.width:
            raise ValueError(f"{name}: the columns' dims add up to {sum(self.col_dim)}, width is {self.width}")

        # Groups by dim, in order of first use; each group's tables once, in order of first use.
        self.groups = []  # [{"dim", "tables": [t], "cols": [c], "table": tensor, "row_base": {t: base}}]
        by_dim = {}
        for c, (t, _, _) in enumerate(self.columns):
            d = dims[t]
            if d not in by_dim:
                by_dim[d] = {"dim": d, "tables": [], "cols": []}
                self.groups.append(by_dim[d])
            g = by_dim[d]
            g["cols"].append(c)
            if t not in g["tables"]:
                g["tables"].append(t)
        self.tables = {}  # t -> [rows, dim] view
        for g in self.groups:
            arrays = [np.ascontiguousarray(npz[f"table{t}"], dtype=np.float32) for t in g["tables"]]
            for t, a in zip(g["tables"], arrays):
                if a.shape != (int(spec["tables"][t]["rows"]), g["dim"]):
                    raise ValueError(f"{name}: table{t} has shape {a.shape}, the model says {spec['tables'][t]}")
            g["table"] = torch.from_numpy(np.concatenate(arrays, axis=0)).to(device)
            g["row_base"], base = {}, 0
            for t, a in zip(g["tables"], arrays):
                g["row_base"][t] = base
                self.tables[t] = g["table"][base : base + a.shape[0]]
                base += a.shape[0]
            modes = [self.columns[c][1] for c in g["cols"]]
            g["has_mean"], g["has_sqrtn"] = MEAN in modes, SQRTN in modes
            g["needs_weights"] = any(self.columns[c][1] != SUM or self.columns[c][2] for c in g["cols"])
            g["col_mode"] = torch.tensor(modes, dtype=torch.int64, device=device)

        # Group-concatenated layout -> column order, for one index_select.
        col_start = np.concatenate([[0], np.cumsum(self.col_dim)]).astype(np.int64)
        grouped = np.concatenate([np.arange(col_start[c], col_start[c + 1]) for g in self.groups for c in g["cols"]] + [np.zeros(0, np.int64)])
        perm = np.empty(self.width, dtype=np.int64)
        perm[grouped] = np.arange(self.width)  # column position p is at grouped position perm[p]
        self.identity_perm = bool(np.array_equal(perm, np.arange(self.width)))
        self.perm = torch.from_numpy(perm).to(device)

        self.weights = [torch.from_numpy(np.ascontiguousarray(npz[f"weight{w}"], dtype=np.float32)).reshape(ws["shape"]).to(device) for w, ws in enumerate(spec["dense"]["weights"])]
        self.dense = build_dense(spec, self.weights, device)

    def batch_files(self, dump):
        found = []
        for path in glob.glob(os.path.join(dump, f"{glob.escape(self.name)}_b*.npz")):
            m = re.fullmatch(re.escape(self.name) + r"_b(\d+)\.npz", os.path.basename(path))
            if m:
                found.append((int(m.group(1)), path))
        return sorted(found)


class Batch:
    """One batch file, in host memory: per column (ids, offsets, weights or None), feeds, recom's outputs."""

    def __init__(self, model, path, B):
        npz = np.load(path)
        self.B = B
        self.cols = []
        for c, (_, _, weighted) in enumerate(model.columns):
            ids = np.ascontiguousarray(npz[f"col{c}.ids"], dtype=np.int64)
            offs = np.ascontiguousarray(npz[f"col{c}.offsets"], dtype=np.int64)
            w = np.ascontiguousarray(npz[f"col{c}.weights"], dtype=np.float32) if weighted else None
            if offs.shape != (B + 1,) or offs[0] != 0 or offs[-1] != ids.size:
                raise ValueError(f"{path}: col{c}.offsets: shape {offs.shape}, first {offs[:1]}, last {offs[-1:]} for {ids.size} ids and B = {B}")
            self.cols.append((ids, offs, w))
        self.feeds = {}
        for key in npz.files:
            m = re.fullmatch(r"feed(\d+)", key)
            if m:
                self.feeds[int(m.group(1))] = np.ascontiguousarray(npz[key], dtype=np.float32).reshape(B, -1)
        self.expected = {key[len("out."):]: np.asarray(npz[key]) for key in npz.files if key.startswith("out.")}
        # The raw request, for the host+ variant (strings decoded to bytes once, untimed).
        self.raw = None
        if "feed_specs" in model.spec and any(k.startswith("raw") for k in npz.files):
            import peer_host

            self.raw = peer_host.raw_request(npz, model.spec["feed_specs"])


def max_abs_err(got, want):
    """recom's comparison: NaN matches NaN, equal infinities match, any other non-finite mismatch is inf."""
    if want is None:
        return None
    got = np.asarray(got, dtype=np.float64).reshape(-1)
    want = np.asarray(want, dtype=np.float64).reshape(-1)
    if got.size != want.size:
        return float("inf")
    if got.size == 0:
        return 0.0
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    finite = np.isfinite(got) & np.isfinite(want)
    err = np.where(same, 0.0, np.where(finite, np.abs(got - want), np.inf))
    return float(err.max())


# ---------------------------------------------------------------------------
# The variants. Each is built once per (model, batch file) and run(...) is one
# request: from the numpy arrays of the batch to {output: numpy array}.


def pinned_empty(shape, dtype, pin):
    t = torch.empty(shape, dtype=dtype)
    return t.pin_memory() if pin and t.numel() > 0 else t


class Eager:
    """One embedding_bag per column. Per request the inputs are copied from the
    batch's numpy arrays into pinned staging tensors allocated once per batch
    file (that host copy is timed), then each goes to the device with
    .to(device, non_blocking=True); the outputs come back with .cpu()."""

    def __init__(self, model, batch, pin):
        self.model, self.batch = model, batch
        arrays = [a for ids, offs, w in batch.cols for a in (ids, offs, w) if a is not None] + list(batch.feeds.values())
        staging = [pinned_empty(a.shape, torch.from_numpy(a[:0]).dtype, pin) for a in arrays]
        self.staging = [(t, t.numpy()) for t in staging]

    def run(self):
        m, b, dev = self.model, self.batch, self.model.device
        staged = iter(self.staging)

        def to_device(a):
            t, view = next(staged)
            np.copyto(view, a)
            return t.to(dev, non_blocking=True)

        pooled = []
        for (t, mode, _), (ids, offs, w) in zip(m.columns, b.cols):
            ids_d, offs_d = to_device(ids), to_device(offs)
            w_d = to_device(w) if w is not None else None
            psw = column_sample_weights(offs_d, w_d, ids.size, b.B, mode)
            pooled.append(F.embedding_bag(ids_d, m.tables[t], offs_d, mode="sum", per_sample_weights=psw, include_last_offset=True))
        feeds = {f: to_device(a) for f, a in b.feeds.items()}
        emb = torch.cat(pooled, dim=1) if pooled else torch.zeros(b.B, 0, device=dev)
        outs = m.dense(emb, feeds, b.B)
        return {name: t.cpu().numpy() for name, t in outs.items()}


class Fused:
    """One embedding_bag per distinct dim. Per request the host packs every
    input into ONE pinned int64 buffer (per group: the columns' ids shifted by
    their table's row base, then the bags' offsets, column after column) and
    ONE pinned f32 buffer (per group needing them: the per-sample weights, 1
    for unweighted columns; then the feeds) -- this packing is timed -- and
    copies each to a device buffer allocated once per batch file. The device
    work reads views of those two buffers (so the CUDA graph variant replays it
    unchanged); the outputs come back with .cpu()."""

    def __init__(self, model, batch, pin):
        self.model, self.batch = model, batch
        B, dev = batch.B, model.device
        i64, f32 = 0, 0
        self.plan = []  # per group: (group, id range, offsets range, weights range or None, n, bag_mode)
        for g in model.groups:
            n = sum(batch.cols[c][0].size for c in g["cols"])
            nbags = len(g["cols"]) * B
            ids_at, offs_at = i64, i64 + n
            i64 = offs_at + nbags + 1
            w_at = None
            if g["needs_weights"]:
                w_at, f32 = f32, f32 + n
            bag_mode = g["col_mode"].repeat_interleave(B)  # bags are column-major: bag j*B + r
            self.plan.append((g, (ids_at, offs_at), (offs_at, i64), None if w_at is None else (w_at, w_at + n), n, bag_mode))
        self.feed_at = {}
        for f, a in batch.feeds.items():
            self.feed_at[f] = (f32, f32 + a.size)
            f32 += a.size
        self.host_i64 = pinned_empty(i64, torch.int64, pin)
        self.host_f32 = pinned_empty(f32, torch.float32, pin)
        self.h_i64, self.h_f32 = self.host_i64.numpy(), self.host_f32.numpy()
        self.dev_i64 = torch.empty(i64, dtype=torch.int64, device=dev)
        self.dev_f32 = torch.empty(f32, dtype=torch.float32, device=dev)

    def pack(self):
        """The host work of a request: concatenate the columns' inputs per group into the pinned buffers."""
        m, b, B = self.model, self.batch, self.batch.B
        hi, hf = self.h_i64, self.h_f32
        for g, (ids_at, _), (offs_at, offs_end), w_range, n, _ in self.plan:
            pos = 0
            for j, c in enumerate(g["cols"]):
                ids, offs, w = b.cols[c]
                k = ids.size
                np.add(ids, g["row_base"][m.columns[c][0]], out=hi[ids_at + pos : ids_at + pos + k])
                np.add(offs[:-1], pos, out=hi[offs_at + j * B : offs_at + (j + 1) * B])
                if w_range is not None:
                    dst = hf[w_range[0] + pos : w_range[0] + pos + k]
                    if w is None:
                        dst.fill(1.0)
                    else:
                        np.copyto(dst, w)
                pos += k
            hi[offs_end - 1] = pos
        for f, (a, z) in self.feed_at.items():
            np.copyto(hf[a:z], b.feeds[f].reshape(-1))

    def upload(self):
        self.dev_i64.copy_(self.host_i64, non_blocking=True)
        self.dev_f32.copy_(self.host_f32, non_blocking=True)

    def compute(self):
        """The device work, from the two device buffers to {output: tensor}."""
        m, B = self.model, self.batch.B
        blocks = []
        for g, (ia, iz), (oa, oz), w_range, n, bag_mode in self.plan:
            ids, offs = self.dev_i64[ia:iz], self.dev_i64[oa:oz]
            psw = None
            if w_range is not None:
                w = self.dev_f32[w_range[0] : w_range[1]]
                psw = group_sample_weights(offs, w, n, bag_mode, g["has_mean"], g["has_sqrtn"])
            bags = F.embedding_bag(ids, g["table"], offs, mode="sum", per_sample_weights=psw, include_last_offset=True)
            ncols, dim = len(g["cols"]), g["dim"]
            blocks.append(bags.view(ncols, B, dim).permute(1, 0, 2).reshape(B, ncols * dim))
        if blocks:
            emb = torch.cat(blocks, dim=1) if len(blocks) > 1 else blocks[0]
            if not m.identity_perm:
                emb = emb.index_select(1, m.perm)
        else:
            emb = torch.zeros(B, 0, device=m.device)
        feeds = {f: self.dev_f32[a:z].view(B, -1) for f, (a, z) in self.feed_at.items()}
        return m.dense(emb, feeds, B)

    def run(self):
        self.pack()
        self.upload()
        outs = self.compute()
        return {name: t.cpu().numpy() for name, t in outs.items()}


class Graphed(Fused):
    """The fused variant's device work captured once in a CUDA graph (the
    inputs of a batch file have fixed lengths). Per request: pack, copy into
    the static device buffers, replay, copy the outputs into pinned host
    buffers, synchronize. The returned arrays are views of those host buffers
    (the next request overwrites them)."""

    def __init__(self, model, batch, pin):
        super().__init__(model, batch, pin)
        self.pack()
        self.upload()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):  # warm up (cuBLAS handles, workspaces) outside the capture
                self.compute()
        torch.cuda.current_stream().wait_stream(side)
        torch.cuda.synchronize()
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.static_out = self.compute()
        self.host_out = {name: pinned_empty(t.shape, t.dtype, pin) for name, t in self.static_out.items()}
        self.host_np = {name: t.numpy() for name, t in self.host_out.items()}

    def run(self):
        self.pack()
        self.upload()
        self.graph.replay()
        for name, t in self.static_out.items():
            self.host_out[name].copy_(t, non_blocking=True)
        torch.cuda.synchronize()
        return self.host_np


class HostGraphed(Graphed):
    """The whole request as a PyTorch user serving this TensorFlow model would
    run it: the host side from the raw features (hashing, vocabularies,
    bucketizing, splitting, crossing: `bench/peer_host.py`, Python + numpy +
    FarmHash), then the cuda_graph variant's device work. Built from the batch
    file's raw inputs (`raw<i>`); the CSR ids it makes must be recom's (the
    outputs check catches any difference)."""

    def __init__(self, model, batch, pin):
        if batch.raw is None:
            raise RuntimeError("the batch file has no raw inputs (dump it with a newer recom-bench)")
        if getattr(model, "host_program", None) is None:
            import peer_host

            model.host_program = peer_host.HostProgram(model.spec)
        super().__init__(model, batch, pin)

    def run(self):
        b = self.batch
        b.cols = self.model.host_program.run(b.raw)
        for f in b.feeds:
            b.feeds[f] = b.raw[f].reshape(b.B, -1)
        return super().run()


BUILDERS = {"eager": Eager, "fused": Fused, "cuda_graph": Graphed, "host+cuda_graph": HostGraphed}


def time_requests(run, warmup, requests):
    for _ in range(warmup):
        run()
    times = np.empty(requests)
    for i in range(requests):
        t0 = time.perf_counter()
        run()
        times[i] = time.perf_counter() - t0
    return times


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def print_table(model, rows):
    print(f"\n### {model}\n")
    print("| batch | variant | p50 ms | p99 ms | requests/s | max abs err |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            err = "FAILED: " + r["error"].splitlines()[-1][:120]
        else:
            err = ", ".join(f"{k} {fmt(v, '.2e')}" for k, v in r["max_abs_err"].items())
        print(f"| {r['batch']} | {r['variant']} | {fmt(r['p50_ms'], '.3f')} | {fmt(r['p99_ms'], '.3f')} | {fmt(r['requests_per_s'], '.0f')} | {err} |")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dump", required=True, help="directory written by `recom-bench serve --dump`")
    ap.add_argument("--out", required=True, help="JSON file for the results")
    ap.add_argument("--requests", type=int, default=200, help="timed requests per variant and batch")
    ap.add_argument("--warmup", type=int, default=10, help="untimed requests before them")
    ap.add_argument("--tolerance", type=float, default=1e-4, help="largest max abs error against recom's outputs that passes (fp32 on both sides)")
    ap.add_argument("--models", default=None, help="comma-separated model names (default: every <model>.json in --dump)")
    ap.add_argument("--variants", default=None, help=f"comma-separated subset of {','.join(VARIANTS)} (default: all on a GPU, eager on the CPU)")
    args = ap.parse_args()

    torch.set_grad_enabled(False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # newer PyTorch prefers fp32_precision; these still apply
        torch.backends.cuda.matmul.allow_tf32 = False  # true fp32 GEMMs, as recom's default
        torch.backends.cudnn.allow_tf32 = False

    cuda = torch.cuda.is_available()
    if cuda:
        device, gpu = torch.device("cuda"), torch.cuda.get_device_name()
        variants = args.variants.split(",") if args.variants else list(VARIANTS)
    else:
        print("model_peer: no CUDA device -- running the eager variant on the CPU for correctness only (no timings).")
        device, gpu = torch.device("cpu"), None
        variants = [v for v in (args.variants.split(",") if args.variants else ["eager"]) if v != "cuda_graph"]
    for v in variants:
        if v not in VARIANTS:
            ap.error(f"unknown variant {v!r} (expected some of {', '.join(VARIANTS)})")

    if args.models:
        models = [m for m in args.models.split(",") if m]
    else:
        models = sorted(os.path.basename(p)[: -len(".json")] for p in glob.glob(os.path.join(args.dump, "*.json")))
    if not models:
        print(f"model_peer: no <model>.json in {args.dump}", file=sys.stderr)
        return 1
    print(f"model_peer: torch {torch.__version__}, {gpu or 'CPU'}, TF32 {torch.backends.cuda.matmul.allow_tf32}, models {', '.join(models)}, variants {', '.join(variants)}, {args.requests} requests after {args.warmup} warm-up")

    all_rows = []
    for name in models:
        model = Model(args.dump, name, device)
        batches = model.batch_files(args.dump)
        if not batches:
            print(f"model_peer: {name}: no {name}_b<B>.npz in {args.dump}", file=sys.stderr)
        rows = []
        for B, path in batches:
            batch = Batch(model, path, B)
            for variant in variants:
                row = {"model": name, "batch": B, "variant": variant, "p50_ms": None, "p99_ms": None, "requests_per_s": None, "max_abs_err": {}, "torch": torch.__version__, "gpu": gpu, "requests": args.requests if cuda else 0}
                try:
                    runner = BUILDERS[variant](model, batch, pin=cuda)
                    got = runner.run()
                    row["max_abs_err"] = {out: max_abs_err(got.get(out), want) for out, want in batch.expected.items()}
                    for out in got:
                        if out not in batch.expected:
                            row["max_abs_err"][out] = None  # recom's output missing from the batch file
                    if cuda:
                        times = time_requests(runner.run, args.warmup, args.requests)
                        row["p50_ms"] = float(np.percentile(times, 50) * 1e3)
                        row["p99_ms"] = float(np.percentile(times, 99) * 1e3)
                        row["requests_per_s"] = float(len(times) / times.sum())
                    del runner
                except Exception:  # one variant failing must not lose the others
                    row["error"] = traceback.format_exc()
                    print(f"model_peer: {name} b{B} {variant} failed:\n{row['error']}", file=sys.stderr)
                rows.append(row)
                if cuda:
                    torch.cuda.synchronize()
        print_table(name, rows)
        all_rows.extend(rows)
        with open(args.out, "w") as f:  # rewritten after each model: a run cut short keeps what it measured
            json.dump(all_rows, f, indent=1)
        del model
        if cuda:
            torch.cuda.empty_cache()
    # A peer that answers wrongly is not a peer: any variant that failed, or
    # whose output is missing, NaN where recom's is not, or off by more than
    # the tolerance, fails the run (after every measurement is written).
    bad = []
    for r in all_rows:
        where = f"{r['model']} b{r['batch']} {r['variant']}"
        if "error" in r:
            bad.append(f"{where}: failed")
        for out, err in r["max_abs_err"].items():
            if err is None or not err <= args.tolerance:
                bad.append(f"{where}: {out}: max abs err {err} > {args.tolerance:g}")
    if bad:
        print("model_peer: FAILED, outputs differ from recom's:\n  " + "\n  ".join(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
