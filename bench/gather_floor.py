"""A practical floor for the benchmark workloads: what a plain gather-and-sum
kernel with every id of a bag in flight at once reaches on this GPU.

Not a peer (the spine issue names the peers; see peers.py) but a yardstick
for recom's kernel: one Triton kernel per distinct dim over the concatenated
tables (like torch per-dim), each program taking BB bags, loading all their
ids as one [BB, MAXL] tile and all their rows as one [BB, MAXL, D] tile
(masked lanes are not loaded), summing over the ids and storing straight
into the [B, sum D] output. The launches are replayed in one CUDA graph.
Its output is checked against torch's embedding_bag.

    python3 bench/gather_floor.py --workloads DIR --out gather_floor.json
"""
import argparse
import json
import os
import sys

import torch
import triton
import triton.language as tl

sys.path.insert(0, os.path.dirname(__file__))
import peers  # noqa: E402  (same loading and timing as the peers)


@triton.jit
def bag_sum(table, ids, offs, outpos, out, nbags, batch, width,
            D: tl.constexpr, MAXL: tl.constexpr, BB: tl.constexpr):
    g = tl.program_id(0) * BB + tl.arange(0, BB)
    live = g < nbags
    start = tl.load(offs + g, mask=live, other=0)
    end = tl.load(offs + g + 1, mask=live, other=0)
    j = tl.arange(0, MAXL)
    at = start[:, None] + j[None, :]
    present = (at < end[:, None]) & live[:, None]
    rid = tl.load(ids + at, mask=present, other=0)
    d = tl.arange(0, D)
    rows = tl.load(table + rid[:, :, None] * D + d[None, None, :], mask=present[:, :, None], other=0.0)
    acc = tl.sum(rows, axis=1)
    member = g // batch
    r = g - member * batch
    pos = tl.load(outpos + member, mask=live, other=0)
    tl.store(out + r[:, None].to(tl.int64) * width + pos[:, None] + d[None, :], acc, mask=live[:, None])


def build(cols, batch):
    plan, width = peers.build_per_dim(cols, batch)
    out_pos, w = [], 0
    for t, _, _ in cols:
        out_pos.append(w)
        w += t.shape[1]
    groups = []
    members_by_dim = {}
    for c, (t, _, _) in enumerate(cols):
        members_by_dim.setdefault(t.shape[1], []).append(c)
    for (table, ids, offs, ncols, dim, _), members in zip(plan, members_by_dim.values()):
        assert len(members) == ncols
        maxl = int((offs[1:] - offs[:-1]).max().item())
        pos = torch.tensor([out_pos[c] for c in members], device="cuda", dtype=torch.int64)
        groups.append((table, ids, offs, pos, ncols * batch, dim, triton.next_power_of_2(max(maxl, 1))))
    return groups, width


def run(groups, out, batch, width, bb):
    for table, ids, offs, pos, nbags, dim, maxl in groups:
        # At most 8192 gathered floats per program (64 per thread): more spills.
        b = min(bb, 1 << (max(1, 8192 // (maxl * dim)).bit_length() - 1))
        grid = (triton.cdiv(nbags, b),)
        bag_sum[grid](table, ids, offs, pos, out, nbags, batch, width, D=dim, MAXL=maxl, BB=b, num_warps=4)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workloads", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    results = {"gpu": torch.cuda.get_device_name(0), "triton": triton.__version__, "workloads": {}}
    for name in sorted(os.listdir(args.workloads)):
        if args.only and name != args.only:
            continue
        meta, tables, ids, offsets = peers.load(os.path.join(args.workloads, name))
        batch = meta["batch"]
        cols = peers.columns(meta, tables, ids, offsets)
        ref = peers.torch_eager(cols)
        groups, width = build(cols, batch)
        r = {}
        for bb in (8, 16, 32, 64):
            out = torch.zeros(batch, width, device="cuda")
            run(groups, out, batch, width, bb)
            err = float((out - ref).abs().max())
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                run(groups, out, batch, width, bb)
            r[f"bb{bb}"] = {"us": peers.cuda_median_us(graph.replay, 200), "max_abs_diff": err}
        r["best_us"] = min(v["us"] for v in r.values())
        peers.save_workload(results, name, r, args.out)
        del cols
        torch.cuda.empty_cache()


if __name__ == "__main__":
    sys.exit(main())
