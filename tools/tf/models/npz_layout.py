"""recom's npz batch layout, written once for every generator here: `in.<name>` per input (a
graph name's `/` as `.`), strings also as `.utf8` (the bytes, joined) and `.offsets` (int64 [n + 1]),
and `out.<name>` per TensorFlow output."""
import numpy as np


def key(name):
    return name.replace("/", ".")


def put_input(arrs, name, value):
    """Input `name` (numpy array; strings as an object array of bytes)."""
    k = key(name)
    value = np.asarray(value)
    if value.dtype != object:
        arrs[f"in.{k}"] = value
        return
    flat = list(value.reshape(-1))
    arrs[f"in.{k}"] = np.array(flat, dtype="S").reshape(value.shape)
    arrs[f"in.{k}.utf8"] = np.frombuffer(b"".join(flat), np.uint8) if flat else np.zeros(0, np.uint8)
    arrs[f"in.{k}.offsets"] = np.cumsum([0] + [len(v) for v in flat]).astype(np.int64)


def put_output(arrs, name, value):
    arrs[f"out.{key(name)}"] = value
