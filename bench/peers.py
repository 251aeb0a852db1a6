"""Peer systems on the benchmark workloads, timed on the same GPU as recom.

Reads the workloads written by `recom-bench dump` (identical models and
batches to recom's) and times, per workload:
  torch_eager  one F.embedding_bag per column, then torch.cat
  torch_graph  the same, captured once in a CUDA graph and replayed
  torch_dim    one embedding_bag per distinct dim over concatenated tables
               (ids shifted into the concatenated table), then the column
               permutation into [B, sum D]
  jax_jit      jax.jit of per-column gather + segment_sum, then concatenate
and measures the device-to-device copy bandwidth (bytes read + written) that
gives the floor. Medians of CUDA-event-timed runs (JAX: wall clock around
block_until_ready). Writes one JSON file.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def load(dirname):
    meta = json.load(open(os.path.join(dirname, "meta.json")))
    tables = np.fromfile(os.path.join(dirname, "tables.f32"), dtype=np.float32)
    ids = np.fromfile(os.path.join(dirname, "ids.i64"), dtype=np.int64)
    offsets = np.fromfile(os.path.join(dirname, "offsets.i64"), dtype=np.int64)
    return meta, tables, ids, offsets


def cuda_median_us(fn, reps, warmup=5):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1000.0)
    return statistics.median(times)


def copy_bandwidth():
    n = 1 << 28  # 1 GiB of f32
    a = torch.empty(n, dtype=torch.float32, device="cuda").uniform_()
    b = torch.empty_like(a)
    us = cuda_median_us(lambda: b.copy_(a), 20)
    return 2 * a.numel() * 4 / (us * 1e-6)  # bytes/s, read + write


def columns(meta, tables, ids, offsets):
    """Per column: (table [rows, dim] on GPU, ids, offsets [B+1]) as torch tensors."""
    batch = meta["batch"]
    cols = []
    id_start = 0
    for c, ((rows, dim, toff), n) in enumerate(zip(meta["tables"], meta["ids"])):
        t = torch.from_numpy(tables[toff : toff + rows * dim]).view(rows, dim).cuda()
        i = torch.from_numpy(ids[id_start : id_start + n]).cuda()
        o = torch.from_numpy(offsets[c * (batch + 1) : (c + 1) * (batch + 1)]).cuda()
        cols.append((t, i, o))
        id_start += n
    return cols


def torch_eager(cols):
    return torch.cat([F.embedding_bag(i, t, o, mode="sum", include_last_offset=True) for t, i, o in cols], dim=1)


def build_per_dim(cols, batch):
    """Concatenated tables per dim; bags ordered (column, row) within a group."""
    groups = {}
    for c, (t, i, o) in enumerate(cols):
        groups.setdefault(t.shape[1], []).append(c)
    plan = []
    out_pos = []
    width = 0
    for c, (t, _, _) in enumerate(cols):
        out_pos.append(width)
        width += t.shape[1]
    for dim, members in groups.items():
        table = torch.cat([cols[c][0] for c in members], dim=0)
        row_base = 0
        ids, offs = [], []
        id_base = 0
        for c in members:
            t, i, o = cols[c]
            ids.append(i + row_base)
            offs.append(o[:-1] + id_base)
            row_base += t.shape[0]
            id_base += i.numel()
        ids = torch.cat(ids)
        offs = torch.cat(offs + [torch.tensor([id_base], device="cuda")])
        # Output columns of this group in the final [B, width] layout.
        index = torch.cat([torch.arange(out_pos[c], out_pos[c] + dim, device="cuda") for c in members])
        plan.append((table, ids, offs, len(members), dim, index))
    return plan, width


def torch_per_dim(plan, batch, width):
    out = torch.empty(batch, width, device="cuda")
    for table, ids, offs, ncols, dim, index in plan:
        bags = F.embedding_bag(ids, table, offs, mode="sum", include_last_offset=True)  # [ncols*B, dim]
        block = bags.view(ncols, batch, dim).permute(1, 0, 2).reshape(batch, ncols * dim)
        out.index_copy_(1, index, block)
    return out


def jax_case(cols, batch):
    import jax
    import jax.numpy as jnp

    tables = [jnp.asarray(t.cpu().numpy()) for t, _, _ in cols]
    ids = [jnp.asarray(i.cpu().numpy().astype(np.int32)) for _, i, _ in cols]
    segs = []
    for _, i, o in cols:
        o = o.cpu().numpy()
        segs.append(jnp.asarray(np.repeat(np.arange(batch, dtype=np.int32), np.diff(o))))

    @jax.jit
    def layer(tables, ids, segs):
        outs = [jax.ops.segment_sum(t[i], s, num_segments=batch) for t, i, s in zip(tables, ids, segs)]
        return jnp.concatenate(outs, axis=1)

    def run():
        return layer(tables, ids, segs).block_until_ready()

    out = run()
    for _ in range(3):
        run()
    return run, np.asarray(out)


def wall_median_us(fn, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e6)
    return statistics.median(times)


def save_workload(results, name, r, path):
    """Records one workload's results, prints them and rewrites the JSON file
    (after every workload, so a run cut short keeps what it measured)."""
    results["workloads"][name] = r
    print(name, json.dumps(r), flush=True)
    json.dump(results, open(path, "w"), indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workloads", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    results = {"gpu": torch.cuda.get_device_name(0), "copy_bandwidth": copy_bandwidth(), "workloads": {}}
    print(f"{results['gpu']}: copy bandwidth {results['copy_bandwidth'] / 1e12:.2f} TB/s", flush=True)
    for name in sorted(os.listdir(args.workloads)):
        if args.only and name != args.only:
            continue
        meta, tables, ids, offsets = load(os.path.join(args.workloads, name))
        batch = meta["batch"]
        cols = columns(meta, tables, ids, offsets)
        ncols = len(cols)
        slow_reps = 20 if ncols >= 1000 else 50
        r = {}
        try:
            ref = torch_eager(cols)
            r["torch_eager"] = cuda_median_us(lambda: torch_eager(cols), slow_reps)
            graph = torch.cuda.CUDAGraph()
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                torch_eager(cols)
            torch.cuda.current_stream().wait_stream(stream)
            with torch.cuda.graph(graph):
                static_out = torch_eager(cols)
            r["torch_graph"] = cuda_median_us(graph.replay, 100)
            assert torch.allclose(static_out, ref, rtol=1e-5, atol=1e-5)
            plan, width = build_per_dim(cols, batch)
            out = torch_per_dim(plan, batch, width)
            r["torch_dim_max_abs_diff"] = float((out - ref).abs().max())
            r["torch_dim"] = cuda_median_us(lambda: torch_per_dim(plan, batch, width), 100)
        except Exception as e:  # a peer failing must not lose the others
            r["torch_error"] = repr(e)
        try:
            run, out = jax_case(cols, batch)
            r["jax_max_abs_diff"] = float(np.abs(out - ref.cpu().numpy()).max())
            r["jax_jit"] = wall_median_us(run, slow_reps)
        except Exception as e:
            r["jax_error"] = repr(e)
        save_workload(results, name, r, args.out)
        del cols
        torch.cuda.empty_cache()


if __name__ == "__main__":
    sys.exit(main())
