"""Prints `module { <func.func @NAME ...> }` from printed MLIR on stdin: the
loop kernel alone, as the GPU pipelines expect it (the compiler does the
same in recom::compile). Usage: extract_func.py NAME < module.mlir"""
import sys

name = sys.argv[1]
lines = sys.stdin.read().splitlines()
start = next(i for i, l in enumerate(lines) if l.lstrip().startswith(f"func.func @{name}("))
depth, out = 0, []
for line in lines[start:]:
    out.append(line)
    depth += line.count("{") - line.count("}")
    if depth == 0:
        break
# Attribute aliases (#map = ...) the function may use.
for line in lines:
    if line.startswith("#"):
        print(line)
print("module {")
print("\n".join(out))
print("}")
