"""Run a frozen model in TensorFlow on an npz batch (recom's layout): python3 runtf.py model.pb batch.npz out1,out2"""
import numpy as np, tensorflow as tf, sys
tf.compat.v1.disable_v2_behavior()
def run(pb, npz, outs):
    gd=tf.compat.v1.GraphDef(); gd.ParseFromString(open(pb,'rb').read())
    g=tf.Graph()
    with g.as_default(): tf.import_graph_def(gd,name='')
    z=np.load(npz); fd={}
    names={n.name for n in gd.node}
    for k in z.keys():
        if not k.startswith('in.') or k.endswith('.utf8') or k.endswith('.offsets'): continue
        parts=k[3:].split('.')
        nm = parts[0] if len(parts)==1 else parts[0]+'/'+parts[1]
        if nm not in names: nm=k[3:].replace('.','/')
        v=z[k]
        if v.dtype.kind=='S':
            fl=z[k+'.utf8'].tobytes(); off=z[k+'.offsets']
            v=np.array([fl[off[i]:off[i+1]] for i in range(len(off)-1)],dtype=object).reshape(v.shape)
        fd[g.get_tensor_by_name(nm+':0')]=v
    s=tf.compat.v1.Session(graph=g)
    s.run(g.get_operation_by_name('init_all_tables'))
    return s.run([g.get_tensor_by_name(o+':0') for o in outs],fd)
if __name__=='__main__':
    r=run(sys.argv[1],sys.argv[2],sys.argv[3].split(','))
    for v in r: print(v.shape, np.isnan(v).sum(), v.reshape(v.shape[0],-1)[:3,:4])
