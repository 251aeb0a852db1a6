"""Peer systems on the benchmark workloads, timed on the same GPU as recom.

Reads the workloads written by `recom-bench dump` (identical models and
batches to recom's) and runs three peers on each, every one with its inputs
already on the GPU and its set-up (tables, ids, index tensors, compilation,
graph capture) outside the timed region:

  torch_col  one F.embedding_bag per column, then torch.cat, in two variants:
               torch_eager      called eagerly: the Python dispatch of its
                                ~2C launches is inside the timed region
               torch_graph      captured once in a CUDA graph and replayed
  torch_dim  one embedding_bag per distinct dim over that dim's tables
             concatenated (ids shifted into the concatenated table), then the
             column permutation into [B, sum D]; the variants:
               torch_dim        eagerly
               torch_dim_graph  captured in a CUDA graph and replayed
  jax        one variant, jax_jit: jax.jit of per-column gather +
             segment_sum, then concatenate; timed by the wall clock around
             the call and block_until_ready, so the dispatch of the one
             compiled program is included (the torch variants use CUDA
             events around the call)

Ids and offsets have the width recom's kernel reads (meta.json's index_bits,
32 for dumps without it): int32 tensors for torch's embedding_bag (indices
and offsets of one dtype) and for JAX.

Correctness: before it is timed, every variant's output is compared with the
reference -- the recom reference evaluator's output (expected.f32) where the
dump has it, else torch_eager's (the JSON says which). A graph variant is
checked from its static output after a replay into a buffer first filled with
NaN. A variant fails on a shape mismatch, a NaN or infinity where the
reference has none, or any element with |out - ref| > ATOL + RTOL * |ref|.

Timing: each number is ROUNDS rounds, each the median of N calls (N from the
warm-up, so that a round takes about ROUND_S, between MIN_REPS and MAX_REPS);
the headline key is the median of the round medians and `<key>_spread` their
[min, max]. "Warm" calls repeat on identical inputs, so whatever of the
tables the L2 cache keeps (all of c50's) stays there. "Cold" calls flush L2
before each timed call by writing a FLUSH_BYTES device buffer and waiting
for it, outside the timed region; cold is measured for each peer's best warm
variant. Also measures the device-to-device copy bandwidth (bytes read +
written) that gives the floor.

Writes one JSON file (rewritten after every workload). Exits 1, after
writing it, when any workload or variant failed or mismatched.

    python3 bench/peers.py --workloads DIR --out peers.json [--only WORKLOAD]

JSON: {"gpu", "copy_bandwidth" (bytes/s), "copy_bandwidth_spread",
"rounds", "flush_bytes", "rtol", "atol", "timing" (what each key times),
"failures" (messages), "workloads": {name: {
  "reference": "recom reference evaluator" | "torch_eager", "id_bits",
  per variant: "<v>" (µs), "<v>_spread" [min, max], "<v>_max_abs_err",
    "<v>_max_rel_err" (|d| / max(1, |ref|), as recom's own check),
    or "<v>_error" (it raised or mismatched);
  per peer: "<peer>_best" (µs, its faster warm variant),
    "<peer>_best_variant", "<peer>_cold", "<peer>_cold_spread",
    or "<peer>_error" (its set-up raised);
  "error" when the workload itself could not be loaded}}}
"""
import argparse
import json
import math
import os
import statistics
import sys
import time
import traceback

import numpy as np
import torch
import torch.nn.functional as F

# Tolerance of the output check: fp32 sums of at most ~20 rows in [-1, 1).
RTOL = 1e-5
ATOL = 1e-5
# Each timed number: ROUNDS rounds of a median of N calls.
ROUNDS = 5
ROUND_S = 0.1
MIN_REPS = 10
MAX_REPS = 200
# Written before each cold call: 8x the H200's 60 MB L2.
FLUSH_BYTES = 512 << 20

REFERENCE_EVALUATOR = "recom reference evaluator"

TIMING = {
    "torch_eager": "CUDA events around one eager call: per-column embedding_bag + cat, Python dispatch included",
    "torch_graph": "CUDA events around one CUDA-graph replay of torch_eager",
    "torch_dim": "CUDA events around one eager call: per-dim embedding_bag + index_copy_, Python dispatch included",
    "torch_dim_graph": "CUDA events around one CUDA-graph replay of torch_dim",
    "jax_jit": "wall clock around the jitted call + block_until_ready: dispatch and synchronization included",
    "<peer>_cold": "the peer's best warm variant, L2 flushed (FLUSH_BYTES written, device synchronized) before each call, outside the timed region",
    "<key>": "median of ROUNDS round medians; <key>_spread: [min, max] of the round medians",
}


def load(dirname):
    """meta, tables (f32), ids, offsets (i64) and the expected output (f32, None when the dump has none)."""
    meta = json.load(open(os.path.join(dirname, "meta.json")))
    tables = np.fromfile(os.path.join(dirname, "tables.f32"), dtype=np.float32)
    ids = np.fromfile(os.path.join(dirname, "ids.i64"), dtype=np.int64)
    offsets = np.fromfile(os.path.join(dirname, "offsets.i64"), dtype=np.int64)
    path = os.path.join(dirname, "expected.f32")
    expected = np.fromfile(path, dtype=np.float32) if os.path.exists(path) else None
    return meta, tables, ids, offsets, expected


def index_dtype(meta):
    """The width of ids and offsets recom's kernel reads (32 when the dump predates index_bits)."""
    bits = meta.get("index_bits", 32)
    if bits not in (32, 64):
        raise ValueError(f"index_bits {bits}: expected 32 or 64")
    return bits, (np.int32 if bits == 32 else np.int64)


def narrow(a, dtype):
    """a (int64) as dtype, refusing values that do not fit."""
    info = np.iinfo(dtype)
    if a.size and (a.min() < info.min or a.max() > info.max):
        raise ValueError(f"values in [{a.min()}, {a.max()}] do not fit {np.dtype(dtype).name}")
    return a.astype(dtype)


def split(meta, tables, ids, offsets, dtype):
    """Per column, as numpy arrays: (table [rows, dim], ids, offsets [B+1]), ids and offsets as dtype."""
    batch = meta["batch"]
    cols = []
    id_start = 0
    for c, ((rows, dim, toff), n) in enumerate(zip(meta["tables"], meta["ids"])):
        t = tables[toff : toff + rows * dim].reshape(rows, dim)
        i = narrow(ids[id_start : id_start + n], dtype)
        o = narrow(offsets[c * (batch + 1) : (c + 1) * (batch + 1)], dtype)
        cols.append((t, i, o))
        id_start += n
    return cols


def to_device(cols, device="cuda"):
    """The columns as torch tensors on the device."""
    return [tuple(torch.from_numpy(np.ascontiguousarray(a)).to(device) for a in col) for col in cols]


def reference(meta, expected, cols):
    """The output every variant is checked against, [B, sum D] on the GPU, and where it comes from."""
    batch = meta["batch"]
    width = sum(dim for _, dim, _ in meta["tables"])
    if expected is None:
        return torch_eager(cols), "torch_eager"
    if expected.size != batch * width:
        raise ValueError(f"expected.f32 holds {expected.size} values, not B x sum D = {batch} x {width}")
    return torch.from_numpy(expected.reshape(batch, width)).cuda(), REFERENCE_EVALUATOR


def compare(out, ref):
    """(max_abs_err, max_rel_err, problem): problem is None when out passes.

    The relative error of an element is |out - ref| / max(1, |ref|), as in
    recom's own check; NaN against NaN and equal infinities match, any other
    non-finite pair is an infinite error. out passes when the shapes agree and
    every element has |out - ref| <= ATOL + RTOL * |ref|."""
    out = torch.as_tensor(out).to(ref.device)
    if tuple(out.shape) != tuple(ref.shape) or out.dtype != ref.dtype:
        return math.nan, math.nan, f"output {tuple(out.shape)} {out.dtype}, reference {tuple(ref.shape)} {ref.dtype}"
    if out.numel() == 0:
        return 0.0, 0.0, None
    same = (out == ref) | (torch.isnan(out) & torch.isnan(ref))
    diff = torch.where(same, torch.zeros_like(ref), (out - ref).abs())
    diff = torch.where(diff.isnan(), math.inf, diff)  # NaN against anything else
    rel = diff / ref.abs().clamp(min=1.0)
    rel = torch.where(rel.isnan(), math.inf, rel)  # inf / inf
    bad = (diff > ATOL + RTOL * ref.abs()) | torch.isinf(diff)
    max_abs, max_rel = float(diff.max()), float(rel.max())
    nbad = int(bad.sum())
    if nbad == 0:
        return max_abs, max_rel, None
    flat = int(bad.flatten().nonzero()[0])
    at = np.unravel_index(flat, tuple(ref.shape))
    return max_abs, max_rel, (
        f"{nbad} of {ref.numel()} values off by more than {ATOL:g} + {RTOL:g}|ref| "
        f"(max abs err {max_abs:.3g}, max rel err {max_rel:.3g}; first at {tuple(int(x) for x in at)}: "
        f"got {float(out.flatten()[flat])!r}, expected {float(ref.flatten()[flat])!r})"
    )


class Flush:
    """Evicts the L2 cache: writes FLUSH_BYTES of device memory (a new value
    each time) and waits until the device is idle."""

    def __init__(self):
        self.buf = torch.empty(FLUSH_BYTES // 4, dtype=torch.int32, device="cuda")
        self.count = 0

    def __call__(self):
        self.count += 1
        self.buf.fill_(self.count)
        torch.cuda.synchronize()


class Timer:
    """Times single calls: CUDA events around the call ("cuda"; the device is
    idle when the start event is recorded, so host-side dispatch that keeps
    it waiting counts) or the wall clock ("wall", for calls that synchronize
    themselves)."""

    def __init__(self, clock="cuda", flush=None):
        self.clock, self.flush = clock, flush
        if clock == "cuda":
            self.start = torch.cuda.Event(enable_timing=True)
            self.end = torch.cuda.Event(enable_timing=True)

    def call_us(self, fn):
        if self.flush is not None:
            self.flush()  # synchronizes: outside the timed region
        if self.clock == "wall":
            t = time.perf_counter()
            fn()
            return (time.perf_counter() - t) * 1e6
        self.start.record()
        fn()
        self.end.record()
        self.end.synchronize()
        return self.start.elapsed_time(self.end) * 1000.0


def measure(fn, clock="cuda", flush=None, warmup=3):
    """ROUNDS rounds of N timed calls of fn after `warmup` untimed ones, N
    chosen from the warm-up's pace so that a round takes about ROUND_S.
    Returns (median of the round medians, [min, max] of them), in µs."""
    timer = Timer(clock, flush)
    t = time.perf_counter()
    for _ in range(warmup):
        timer.call_us(fn)
    torch.cuda.synchronize()
    per_call = (time.perf_counter() - t) / warmup
    reps = min(MAX_REPS, max(MIN_REPS, int(ROUND_S / max(per_call, 1e-9))))
    medians = [statistics.median(timer.call_us(fn) for _ in range(reps)) for _ in range(ROUNDS)]
    return statistics.median(medians), [min(medians), max(medians)]


def copy_us():
    """Device-to-device copy of 1 GiB of f32: (bytes read + written, µs, [min, max] µs)."""
    a = torch.empty(1 << 28, dtype=torch.float32, device="cuda").uniform_()
    b = torch.empty_like(a)
    us, spread = measure(lambda: b.copy_(a))
    return 2 * a.numel() * 4, us, spread


def copy_bandwidth():
    """The copy bandwidth in bytes/s (read + written) and its [min, max] over the rounds."""
    moved, us, (lo, hi) = copy_us()
    torch.cuda.empty_cache()
    return moved / (us * 1e-6), [moved / (hi * 1e-6), moved / (lo * 1e-6)]


def capture(fn):
    """fn captured in a CUDA graph (after warm-up calls on a side stream, as
    capture needs): (graph, fn's output, which each replay rewrites)."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(2):
            fn()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = fn()
    torch.cuda.synchronize()
    return graph, out


class Variant:
    """One way of running a peer. `call` is what is timed; `result()` runs it
    once more and returns the output to check."""

    def __init__(self, key, call, result=None, clock="cuda"):
        self.key, self.call, self.clock = key, call, clock
        self.result = result or call


def eager(key, fn):
    return Variant(key, fn)


def graphed(key, fn):
    """fn captured in a CUDA graph; its check replays into an output first filled with NaN."""
    graph, out = capture(fn)

    def result():
        out.fill_(math.nan)
        graph.replay()
        torch.cuda.synchronize()
        return out

    return Variant(key, graph.replay, result)


def torch_eager(cols):
    return torch.cat([F.embedding_bag(i, t, o, mode="sum", include_last_offset=True) for t, i, o in cols], dim=1)


def build_per_dim(cols, batch):
    """Per distinct dim: that dim's tables concatenated, ids shifted into it,
    bags ordered (column, row). -> (plan, width), plan entries (table, ids,
    offsets [ncols*B + 1], member columns, dim, output column index). ids and
    offsets keep the columns' dtype, refused where the concatenation outgrows it."""
    groups = {}
    for c, (t, _, _) in enumerate(cols):
        groups.setdefault(t.shape[1], []).append(c)
    out_pos = []
    width = 0
    for t, _, _ in cols:
        out_pos.append(width)
        width += t.shape[1]
    plan = []
    for dim, members in groups.items():
        dtype = cols[members[0]][1].dtype
        limit = torch.iinfo(dtype).max
        table = torch.cat([cols[c][0] for c in members], dim=0)
        if table.shape[0] - 1 > limit:
            raise ValueError(f"dim {dim}: {table.shape[0]} concatenated rows do not fit {dtype}")
        row_base = 0
        ids, offs = [], []
        id_base = 0
        for c in members:
            t, i, o = cols[c]
            ids.append(i + row_base)
            offs.append(o[:-1] + id_base)
            row_base += t.shape[0]
            id_base += i.numel()
        if id_base > limit:
            raise ValueError(f"dim {dim}: {id_base} concatenated ids do not fit {dtype}")
        ids = torch.cat(ids)
        offs = torch.cat(offs + [torch.tensor([id_base], device=table.device, dtype=dtype)])
        # Output columns of this group in the final [B, width] layout.
        index = torch.cat([torch.arange(out_pos[c], out_pos[c] + dim, device=table.device) for c in members])
        plan.append((table, ids, offs, members, dim, index))
    return plan, width


def torch_per_dim(plan, batch, width):
    out = torch.empty(batch, width, device=plan[0][0].device)
    for table, ids, offs, members, dim, index in plan:
        bags = F.embedding_bag(ids, table, offs, mode="sum", include_last_offset=True)  # [ncols*B, dim]
        block = bags.view(len(members), batch, dim).permute(1, 0, 2).reshape(batch, len(members) * dim)
        out.index_copy_(1, index, block)
    return out


def jax_variant(np_cols, batch):
    """jax_jit, compiled on the columns (ids and segment ids of the columns' dtype)."""
    import jax
    import jax.numpy as jnp

    if np_cols and np_cols[0][1].dtype == np.int64:
        jax.config.update("jax_enable_x64", True)  # else JAX narrows int64 to int32
    tables = [jnp.asarray(t) for t, _, _ in np_cols]
    ids = [jnp.asarray(i) for _, i, _ in np_cols]
    segs = [jnp.asarray(np.repeat(np.arange(batch, dtype=i.dtype), np.diff(o))) for _, i, o in np_cols]

    @jax.jit
    def layer(tables, ids, segs):
        outs = [jax.ops.segment_sum(t[i], s, num_segments=batch) for t, i, s in zip(tables, ids, segs)]
        return jnp.concatenate(outs, axis=1)

    def call():
        return layer(tables, ids, segs).block_until_ready()

    return Variant("jax_jit", call, lambda: torch.from_numpy(np.array(call())), clock="wall")


def run_peer(r, failures, workload, peer, make_variants, ref, flush):
    """Builds a peer's variants, checks each against ref, times each warm and
    the fastest cold; records all in r and every failure in failures."""

    def fail(key, message):
        r[key] = message
        failures.append(f"{workload}: {key.removesuffix('_error')}: {message}")
        print(f"{workload}: {key}: {message}", file=sys.stderr, flush=True)

    try:
        variants = make_variants()
    except Exception as e:  # a peer failing must not lose the others
        traceback.print_exc()
        fail(f"{peer}_error", repr(e))
        return
    warm = {}
    for v in variants:
        try:
            max_abs, max_rel, problem = compare(v.result(), ref)
            r[f"{v.key}_max_abs_err"], r[f"{v.key}_max_rel_err"] = max_abs, max_rel
            if problem:
                fail(f"{v.key}_error", f"output differs from the reference: {problem}")
                continue
            r[v.key], r[f"{v.key}_spread"] = measure(v.call, v.clock)
            warm[v.key] = v
            print(f"{workload}: {v.key} {r[v.key]:.1f} us {r[v.key + '_spread']}", flush=True)
        except Exception as e:
            traceback.print_exc()
            fail(f"{v.key}_error", repr(e))
    if not warm:
        return
    best = min(warm, key=lambda k: r[k])
    r[f"{peer}_best"], r[f"{peer}_best_variant"] = r[best], best
    try:
        r[f"{peer}_cold"], r[f"{peer}_cold_spread"] = measure(warm[best].call, warm[best].clock, flush)
        print(f"{workload}: {peer}_cold ({best}) {r[peer + '_cold']:.1f} us {r[peer + '_cold_spread']}", flush=True)
    except Exception as e:
        traceback.print_exc()
        fail(f"{peer}_cold_error", repr(e))


def save_workload(results, name, r, path):
    """Records one workload's results, prints them and rewrites the JSON file
    (after every workload, so a run cut short keeps what it measured)."""
    results["workloads"][name] = r
    print(name, json.dumps(r), flush=True)
    json.dump(results, open(path, "w"), indent=1)


def finish(results, path):
    """Writes the JSON a last time; 1 (after saying why) when anything failed."""
    json.dump(results, open(path, "w"), indent=1)
    if results["failures"]:
        print(f"FAILED ({len(results['failures'])}), results in {path}:", file=sys.stderr)
        for f in results["failures"]:
            print(f"  {f}", file=sys.stderr)
        return 1
    return 0


def workload_names(dirname, only):
    return [n for n in sorted(os.listdir(dirname)) if os.path.isdir(os.path.join(dirname, n)) and only in (None, n)]


def run_workload(results, name, dirname, flush):
    """Loads one workload and runs every peer on it, into results["workloads"][name]."""
    r = results["workloads"][name] = {}
    try:
        meta, tables, ids, offsets, expected = load(dirname)
        batch = meta["batch"]
        bits, dtype = index_dtype(meta)
        np_cols = split(meta, tables, ids, offsets, dtype)
        cols = to_device(np_cols)
        ref, r["reference"] = reference(meta, expected, cols)
        r["id_bits"] = bits
    except Exception as e:
        traceback.print_exc()
        r["error"] = repr(e)
        results["failures"].append(f"{name}: {e!r}")
        return

    def torch_col():
        fn = lambda: torch_eager(cols)  # noqa: E731
        return [eager("torch_eager", fn), graphed("torch_graph", fn)]

    def torch_dim():
        plan, width = build_per_dim(cols, batch)
        fn = lambda: torch_per_dim(plan, batch, width)  # noqa: E731
        return [eager("torch_dim", fn), graphed("torch_dim_graph", fn)]

    def jax():
        return [jax_variant(np_cols, batch)]

    for peer, make in (("torch_col", torch_col), ("torch_dim", torch_dim), ("jax", jax)):
        run_peer(r, results["failures"], name, peer, make, ref, flush)
        torch.cuda.empty_cache()  # the peer's graphs and buffers, before JAX takes its share


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workloads", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    bw, bw_spread = copy_bandwidth()
    results = {
        "gpu": torch.cuda.get_device_name(0),
        "copy_bandwidth": bw,
        "copy_bandwidth_spread": bw_spread,
        "rounds": ROUNDS,
        "flush_bytes": FLUSH_BYTES,
        "rtol": RTOL,
        "atol": ATOL,
        "timing": TIMING,
        "failures": [],
        "workloads": {},
    }
    print(f"{results['gpu']}: copy bandwidth {bw / 1e12:.2f} TB/s", flush=True)
    flush = Flush()
    for name in workload_names(args.workloads, args.only):
        run_workload(results, name, os.path.join(args.workloads, name), flush)
        save_workload(results, name, results["workloads"][name], args.out)
        torch.cuda.empty_cache()
    return finish(results, args.out)


if __name__ == "__main__":
    sys.exit(main())
