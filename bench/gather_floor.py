"""A practical floor for the benchmark workloads: what a plain gather-and-sum
kernel with every id of a bag in flight at once reaches on this GPU.

Not a peer (the spine issue names the peers; see peers.py) but a yardstick
for recom's kernel: one Triton kernel per distinct dim over the concatenated
tables (like torch per-dim), each program taking BB bags, loading all their
ids as one [BB, MAXL] tile and all their rows as one [BB, MAXL, D] tile
(masked lanes are not loaded), summing over the ids and storing straight
into the [B, sum D] output. Ids and offsets have the width recom's kernel
reads (meta.json's index_bits, 32 when absent), widened only to form
addresses. The launches are replayed in one CUDA graph.

For each BB of 8/16/32/64: the output of a replay (into a buffer first
filled with NaN) is checked against the reference as in peers.py (the recom
reference evaluator's expected.f32, else torch's per-column embedding_bag),
then the replay is timed warm (CUDA events, median of ROUNDS round medians
and their spread; see peers.py); the best BB is also timed cold (L2 flushed
before each replay, outside the timed region).

    python3 bench/gather_floor.py --workloads DIR --out gather_floor.json [--only WORKLOAD]

JSON: {"gpu", "triton", "rounds", "flush_bytes", "rtol", "atol", "failures",
"workloads": {name: {"reference", "id_bits",
  "bb<N>": {"us", "spread", "max_abs_err", "max_rel_err"} or {..., "error"},
  "best_bb", "best_us", "best_spread", "best_cold_us", "best_cold_spread"
  (or "best_cold_error"), "error" when the workload could not be loaded}}}.
Exits 1, after writing the JSON, when any BB failed or mismatched.
"""
import argparse
import math
import os
import sys
import traceback

import torch
import triton
import triton.language as tl

sys.path.insert(0, os.path.dirname(__file__))
import peers  # noqa: E402  (same loading, checking and timing as the peers)


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
    # Ids are read at their width; the row's element offset is 64-bit.
    rid = tl.load(ids + at, mask=present, other=0).to(tl.int64)
    d = tl.arange(0, D)
    rows = tl.load(table + rid[:, :, None] * D + d[None, None, :], mask=present[:, :, None], other=0.0)
    acc = tl.sum(rows, axis=1)
    member = g // batch
    r = g - member * batch
    pos = tl.load(outpos + member, mask=live, other=0)
    tl.store(out + r[:, None].to(tl.int64) * width + pos[:, None] + d[None, :], acc, mask=live[:, None])


def build(cols, batch):
    """Per distinct dim: (table, ids, offsets, output column of each member,
    bags, dim, MAXL = the longest bag rounded up to a power of two)."""
    plan, width = peers.build_per_dim(cols, batch)
    out_pos, w = [], 0
    for t, _, _ in cols:
        out_pos.append(w)
        w += t.shape[1]
    groups = []
    for table, ids, offs, members, dim, _ in plan:
        maxl = int((offs[1:] - offs[:-1]).max().item())
        pos = torch.tensor([out_pos[c] for c in members], device="cuda", dtype=torch.int32)
        groups.append((table, ids, offs, pos, len(members) * batch, dim, triton.next_power_of_2(max(maxl, 1))))
    return groups, width


def run(groups, out, batch, width, bb):
    for table, ids, offs, pos, nbags, dim, maxl in groups:
        # At most 8192 gathered floats per program (64 per thread): more spills.
        b = min(bb, 1 << (max(1, 8192 // (maxl * dim)).bit_length() - 1))
        grid = (triton.cdiv(nbags, b),)
        bag_sum[grid](table, ids, offs, pos, out, nbags, batch, width, D=dim, MAXL=maxl, BB=b, num_warps=4)


def graph_for(groups, batch, width, bb):
    """The launches for one BB (compiled first, outside capture) in a CUDA
    graph: (graph, its output)."""
    out = torch.empty(batch, width, device="cuda")
    run(groups, out, batch, width, bb)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        run(groups, out, batch, width, bb)
    return graph, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workloads", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    results = {
        "gpu": torch.cuda.get_device_name(0),
        "triton": triton.__version__,
        "rounds": peers.ROUNDS,
        "flush_bytes": peers.FLUSH_BYTES,
        "rtol": peers.RTOL,
        "atol": peers.ATOL,
        "failures": [],
        "workloads": {},
    }
    flush = peers.Flush()

    def fail(r, key, name, what, e):
        r[key] = e
        results["failures"].append(f"{name}: {what}: {e}")
        print(f"{name}: {what}: {e}", file=sys.stderr, flush=True)

    for name in peers.workload_names(args.workloads, args.only):
        r = {}
        try:
            meta, tables, ids, offsets, expected = peers.load(os.path.join(args.workloads, name))
            batch = meta["batch"]
            r["id_bits"], dtype = peers.index_dtype(meta)
            cols = peers.to_device(peers.split(meta, tables, ids, offsets, dtype))
            ref, r["reference"] = peers.reference(meta, expected, cols)
            groups, width = build(cols, batch)
        except Exception as e:
            traceback.print_exc()
            fail(r, "error", name, "set-up", repr(e))
            peers.save_workload(results, name, r, args.out)
            continue
        graphs = {}
        for bb in (8, 16, 32, 64):
            v = r[f"bb{bb}"] = {}
            try:
                graph, out = graph_for(groups, batch, width, bb)
                out.fill_(math.nan)
                graph.replay()
                v["max_abs_err"], v["max_rel_err"], problem = peers.compare(out, ref)
                if problem:
                    fail(v, "error", name, f"Triton BB {bb}", f"output differs from the reference: {problem}")
                    continue
                v["us"], v["spread"] = peers.measure(graph.replay)
                graphs[bb] = graph
                print(f"{name}: BB {bb} {v['us']:.1f} us {v['spread']}", flush=True)
            except Exception as e:
                traceback.print_exc()
                fail(v, "error", name, f"Triton BB {bb}", repr(e))
        if graphs:
            best = min(graphs, key=lambda bb: r[f"bb{bb}"]["us"])
            r["best_bb"] = best
            r["best_us"], r["best_spread"] = r[f"bb{best}"]["us"], r[f"bb{best}"]["spread"]
            try:
                r["best_cold_us"], r["best_cold_spread"] = peers.measure(graphs[best].replay, flush=flush)
                print(f"{name}: BB {best} cold {r['best_cold_us']:.1f} us {r['best_cold_spread']}", flush=True)
            except Exception as e:
                traceback.print_exc()
                fail(r, "best_cold_error", name, f"Triton BB {best} cold", repr(e))
        peers.save_workload(results, name, r, args.out)
        del cols, ref, groups, graphs
        torch.cuda.empty_cache()
    return peers.finish(results, args.out)


if __name__ == "__main__":
    sys.exit(main())
