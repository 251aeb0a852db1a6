"""Merges recom-bench's and peers.py's results (and, when given,
gather_floor.py's yardstick) into one table (markdown).

    python3 bench/report.py recom-<variant>.json peers.json [gather_floor.json]
"""
import json
import sys

recom = {r["workload"]: r for r in json.load(open(sys.argv[1]))}
peers = json.load(open(sys.argv[2]))
# The Triton gather-sum with every id of a bag in flight: not a peer, a
# yardstick for what this GPU's memory system gives such gathers.
yard = json.load(open(sys.argv[3]))["workloads"] if len(sys.argv) > 3 else {}
bw = peers["copy_bandwidth"]
print(f"GPU: {peers['gpu']}; measured copy bandwidth {bw / 1e12:.2f} TB/s (read + write)")
print()
# "distinct floor": the same, counting each distinct table row once (what DRAM
# must serve when the L2 cache catches every repeat); absent in older results.
print("| workload | floor µs | distinct floor µs | Triton gather-sum µs | recom kernel µs | recom request µs | output lent µs | torch eager | torch graph | torch per-dim | JAX jit | best peer / recom kernel | recom kernel / floor | recom kernel / Triton gather-sum | max rel err vs reference |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for name, r in recom.items():
    p = peers["workloads"].get(name, {})
    floor = r["bytes"] / bw * 1e6
    distinct = f"{r['distinct_bytes'] / bw * 1e6:.1f}" if "distinct_bytes" in r else "-"
    lent = f"{r['request_lent_us']:.1f}" if "request_lent_us" in r else "-"
    peer_times = [p[k] for k in ("torch_eager", "torch_graph", "torch_dim", "jax_jit") if k in p]
    best = min(peer_times) if peer_times else float("nan")
    # "failed": the peer ran and raised (its error is in the JSON); "-": not run for this workload.
    cell = lambda k: f"{p[k]:.1f}" if k in p else ("failed" if p else "-")
    ratio = f"{best / r['kernel_us']:.1f}x" if peer_times else "-"
    y = yard.get(name, {}).get("best_us")
    y_cell, y_ratio = (f"{y:.1f}", f"{r['kernel_us'] / y:.2f}x") if y else ("-", "-")
    print(
        f"| {name} | {floor:.1f} | {distinct} | {y_cell} | {r['kernel_us']:.1f} | {r['request_us']:.1f} | {lent} | {cell('torch_eager')} | {cell('torch_graph')} | "
        f"{cell('torch_dim')} | {cell('jax_jit')} | {ratio} | {r['kernel_us'] / floor:.2f}x | {y_ratio} | {r['max_rel_err']:.1e} |"
    )
