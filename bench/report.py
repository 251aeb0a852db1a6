"""Merges recom-bench's and peers.py's results (and, when given,
gather_floor.py's yardstick) into markdown tables for one recom variant:

  1. the kernel: floors, the Triton gather-sum (warm and cold), recom's
     kernel (warm and cold), the best peer (warm and cold) and the ratios
     between them;
  2. the request: recom's kernel, the PCIe time of its bytes, whole requests,
     and request / (kernel + PCIe) (the issue's acceptance: at most 2);
  3. every peer variant, warm, and each peer's best variant cold.

A timed number with a spread prints as `median (min–max)` of its rounds.
Keys missing from older results print as "-"; a peer that ran and failed
prints "failed" (peers.py then also exited non-zero).

    python3 bench/report.py recom-<variant>.json peers.json [gather_floor.json]
"""
import json
import sys

# Peers and their variants as peers.py names them; the variants in the order
# of table 3's columns.
PEERS = {"torch_col": ("torch_eager", "torch_graph"), "torch_dim": ("torch_dim", "torch_dim_graph"), "jax": ("jax_jit",)}
VARIANT_TITLES = {
    "torch_eager": "torch eager",
    "torch_graph": "torch graph",
    "torch_dim": "torch per-dim",
    "torch_dim_graph": "torch per-dim graph",
    "jax_jit": "JAX jit",
}
PEER_TITLES = {"torch_col": "torch per-column", "torch_dim": "torch per-dim", "jax": "JAX"}


def num(x):
    return f"{x:.0f}" if abs(x) >= 1000 else f"{x:.1f}"


def timed(x, spread=None):
    """`14.7 (14.5–15.1)`, `14.7` without a spread, `-` without a number."""
    if x is None:
        return "-"
    if spread:
        return f"{num(x)} ({num(spread[0])}–{num(spread[1])})"
    return num(x)


def ratio(a, b, digits=2):
    return f"{a / b:.{digits}f}x" if a is not None and b else "-"


def table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def best_peer(p):
    """(µs, spread, variant) of the fastest warm peer variant and the same
    for the fastest cold one (None where absent); results from before
    peers.py recorded `<peer>_best` are read from the variants' keys."""
    warm = [(p[f"{peer}_best"], p.get(f"{p[f'{peer}_best_variant']}_spread"), p[f"{peer}_best_variant"]) for peer in PEERS if f"{peer}_best" in p]
    if not warm:
        warm = [(p[v], p.get(f"{v}_spread"), v) for vs in PEERS.values() for v in vs if v in p]
    cold = [(p[f"{peer}_cold"], p.get(f"{peer}_cold_spread"), p[f"{peer}_best_variant"]) for peer in PEERS if f"{peer}_cold" in p]
    pick = lambda xs: min(xs, key=lambda x: x[0]) if xs else (None, None, None)  # noqa: E731
    return pick(warm), pick(cold)


def peer_cell(p, key, peer):
    """A peer's timed key; "failed" when it, its peer's set-up or (for a cold
    key) every variant of its peer failed; "-" when not run."""
    if key in p:
        return timed(p[key], p.get(f"{key}_spread"))
    legacy = "torch_error" if peer.startswith("torch") else "jax_error"  # older peers.json
    errors = [f"{key}_error", f"{peer}_error", legacy, "error"]
    if key == f"{peer}_cold":
        errors += [f"{v}_error" for v in PEERS[peer]]
    return "failed" if any(e in p for e in errors) else "-"


def main():
    recom = {r["workload"]: r for r in json.load(open(sys.argv[1]))}
    peers = json.load(open(sys.argv[2]))
    # The Triton gather-sum with every id of a bag in flight: not a peer, a
    # yardstick for what this GPU's memory system gives such gathers.
    yard = json.load(open(sys.argv[3]))["workloads"] if len(sys.argv) > 3 else {}
    bw = peers["copy_bandwidth"]
    print(f"GPU: {peers['gpu']}; measured copy bandwidth {bw / 1e12:.2f} TB/s (read + write)")
    if "rounds" in peers:
        print(f"Timed numbers: median of {peers['rounds']} rounds' medians (min–max of the rounds); "
              f"cold: L2 flushed ({peers['flush_bytes'] >> 20} MiB written) before each call.")
    print()

    # 1. The kernel. "distinct floor": the floor counting each distinct table
    # row once (what DRAM must serve when L2 catches every repeat).
    rows = []
    for name, r in recom.items():
        p = peers["workloads"].get(name, {})
        y = yard.get(name, {})
        floor = r["bytes"] / bw * 1e6
        distinct = r["distinct_bytes"] / bw * 1e6 if "distinct_bytes" in r else None
        kernel, kernel_cold = r["kernel_us"], r.get("kernel_cold_us")
        tri, tri_cold = y.get("best_us"), y.get("best_cold_us")
        (best, best_spread, best_name), (cold, cold_spread, cold_name) = best_peer(p)
        rows.append([
            name,
            timed(floor),
            timed(distinct),
            timed(tri, y.get("best_spread")) + (f" BB{y['best_bb']}" if "best_bb" in y else ""),
            timed(tri_cold, y.get("best_cold_spread")),
            timed(kernel, r.get("kernel_spread_us")),
            timed(kernel_cold, r.get("kernel_cold_spread_us")),
            timed(best, best_spread) + (f" {best_name}" if best_name else ""),
            timed(cold, cold_spread) + (f" {cold_name}" if cold_name else ""),
            ratio(kernel, floor),
            ratio(kernel, tri),
            ratio(kernel_cold, tri_cold),
            ratio(best, kernel, 1),
            ratio(cold, kernel_cold, 1),
            f"{r['max_rel_err']:.1e}" if "max_rel_err" in r else "-",
        ])
    table(["workload", "floor µs", "distinct floor µs", "Triton gather-sum µs", "Triton cold µs",
           "recom kernel µs", "recom kernel cold µs", "best peer µs", "best peer cold µs",
           "recom kernel / floor", "recom kernel / Triton", "recom cold / Triton cold",
           "best peer / recom kernel", "best peer cold / recom cold", "max rel err vs reference"], rows)

    # 2. The request: recom's request against its kernel plus the time its
    # bytes take on PCIe at the measured copy rates.
    rows = []
    for name, r in recom.items():
        kernel, pcie, request = r["kernel_us"], r.get("pcie_us"), r.get("request_us")
        gbps = lambda k: f"{r[k]:.1f}" if k in r else "-"  # noqa: E731
        nbytes = lambda k: f"{r[k]:,}" if k in r else "-"  # noqa: E731
        rows.append([
            name,
            timed(kernel, r.get("kernel_spread_us")),
            timed(pcie),
            gbps("h2d_gbps"),
            gbps("d2h_gbps"),
            nbytes("input_bytes"),
            nbytes("output_bytes"),
            timed(r.get("stage_us")),
            timed(r.get("h2d_us")),
            timed(r.get("d2h_us")),
            timed(request),
            timed(r.get("request_lent_us")),
            ratio(request, kernel + pcie) if pcie is not None else "-",
            ratio(r["request_lent_us"], kernel + pcie) if pcie is not None and "request_lent_us" in r else "-",
        ])
    # stage: validate + pack + shape program on the host; up/down: the
    # request's own bytes, one page-locked copy each way (with its latency).
    table(["workload", "recom kernel µs", "PCIe µs", "H2D GB/s", "D2H GB/s", "input bytes", "output bytes",
           "stage µs", "up µs", "down µs", "recom request µs", "output lent µs",
           "request / (kernel + PCIe) (≤ 2)", "lent / (kernel + PCIe)"], rows)

    # 3. The peers, every variant warm and each peer's best variant cold.
    variants = [v for vs in PEERS.values() for v in vs]
    rows = []
    for name in recom:
        p = peers["workloads"].get(name, {})
        errs = [p[f"{v}_max_rel_err"] for v in variants if f"{v}_max_rel_err" in p]
        rows.append(
            [name, p.get("reference", "-"), str(p.get("id_bits", "-"))]
            + [peer_cell(p, v, peer) for peer, vs in PEERS.items() for v in vs]
            + [peer_cell(p, f"{peer}_cold", peer) + (f" ({p[peer + '_best_variant']})" if f"{peer}_cold" in p else "") for peer in PEERS]
            + [f"{max(errs):.1e}" if errs else "-"]
        )
    table(["workload", "peers' reference", "id bits"] + [f"{VARIANT_TITLES[v]} µs" for v in variants]
          + [f"{PEER_TITLES[peer]} cold µs" for peer in PEERS] + ["peers' max rel err"], rows)
    for f in peers.get("failures", []):
        print(f"peer failure: {f}")
    for name, y in yard.items():
        for key, v in y.items():
            if isinstance(v, dict) and "error" in v:
                print(f"Triton gather-sum failure: {name}: {key}: {v['error']}")
        if "error" in y:
            print(f"Triton gather-sum failure: {name}: {y['error']}")


if __name__ == "__main__":
    sys.exit(main())
