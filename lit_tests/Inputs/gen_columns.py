"""Writes an emb model with N columns (one lookup each, tables of mixed dims,
every fourth column filtered, every fifth weighted) feeding one concat.
Usage: python3 gen_columns.py N"""
import sys

n = int(sys.argv[1])
dims = [8, 16, 32, 64]
args, body, outs = [], [], []
width = 0
for c in range(n):
    d = dims[c % 4]
    rows = 100 + c
    width += d
    args += [f"%ids{c}: tensor<?xi64>", f"%off{c}: tensor<?xi64>"]
    body.append(f'  %t{c} = "emb.table"() {{name = "t{c}"}} : () -> tensor<{rows}x{d}xf32>')
    ids = f"%ids{c}"
    if c % 4 == 3:
        body.append(f'  %f{c} = "emb.range_filter"(%ids{c}) {{lo = 0 : i64, hi = {rows} : i64, on_out_of_range = "drop"}} : (tensor<?xi64>) -> tensor<?xi64>')
        ids = f"%f{c}"
    if c % 5 == 4:
        args.append(f"%w{c}: tensor<?xf32>")
        body.append(f'  %l{c} = "emb.lookup"(%t{c}, {ids}, %off{c}, %w{c}) {{combiner = "mean", on_out_of_range = "error"}} : (tensor<{rows}x{d}xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) -> tensor<?x?xf32>')
    else:
        body.append(f'  %l{c} = "emb.lookup"(%t{c}, {ids}, %off{c}) {{combiner = "sum", on_out_of_range = "error"}} : (tensor<{rows}x{d}xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>')
    outs.append(f"%l{c}")
print(f"func.func @columns_{n}({', '.join(args)}) -> tensor<?x{width}xf32> {{")
print("\n".join(body))
types = ", ".join(["tensor<?x?xf32>"] * n)
print(f'  %out = "emb.concat"({", ".join(outs)}) : ({types}) -> tensor<?x{width}xf32>')
print(f"  return %out : tensor<?x{width}xf32>")
print("}")
