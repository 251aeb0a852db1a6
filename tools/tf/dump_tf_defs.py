# Dumps, from an installed TensorFlow, (1) the FileDescriptorSet of
# GraphDef and OpDef with every file they import, and (2) every registered
# op's OpDef as a binary OpList.
import sys
from google.protobuf import descriptor_pb2
from tensorflow.core.framework import graph_pb2, op_def_pb2
from tensorflow.python.framework import op_def_registry
import tensorflow as tf  # registers the ops

out = sys.argv[1]
fds = descriptor_pb2.FileDescriptorSet()
seen = set()
def add(fd):
    if fd.name in seen:
        return
    for dep in fd.dependencies:
        add(dep)
    seen.add(fd.name)
    proto = descriptor_pb2.FileDescriptorProto()
    fd.CopyToProto(proto)
    fds.file.append(proto)
add(graph_pb2.DESCRIPTOR)
add(op_def_pb2.DESCRIPTOR)
open(out + "/tensorflow.fds", "wb").write(fds.SerializeToString())
print("files:", [f.name for f in fds.file])
ops = op_def_registry.get_registered_ops() if hasattr(op_def_registry, "get_registered_ops") else None
if ops is None:
    from tensorflow.python.framework import c_api_util
    from tensorflow.python.client import pywrap_tf_session as c_api
    buf = c_api.TF_GetAllOpList()
    data = c_api.TF_GetBuffer(buf)
    oplist = op_def_pb2.OpList(); oplist.ParseFromString(data)
else:
    oplist = op_def_pb2.OpList(); oplist.op.extend(sorted(ops.values(), key=lambda o: o.name))
oplist.op.sort(key=lambda o: o.name)
open(out + "/ops.binpb", "wb").write(oplist.SerializeToString())
print("ops:", len(oplist.op), "bytes", len(oplist.SerializeToString()), "tf", tf.__version__)
