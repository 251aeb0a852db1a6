//! Generates the Rust messages (prost-build) from TensorFlow's own message
//! definitions — `data/tensorflow.fds`, the FileDescriptorSet of
//! `tensorflow/core/framework/graph.proto` and `op_def.proto` with every file
//! they import, dumped from TensorFlow 2.21 by `tools/tf/dump_tf_defs.py` — and
//! keeps the set for text-format parsing (prost-reflect). No protoc.
use prost::Message;
use std::{env, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=data/tensorflow.fds");
    let bytes = std::fs::read("data/tensorflow.fds").expect("data/tensorflow.fds is readable");
    let descriptors = prost_types::FileDescriptorSet::decode(bytes.as_slice()).expect("data/tensorflow.fds decodes");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("graph_descriptors.bin"), &bytes).expect("descriptor set written");
    // A tensor's raw content (tables: up to gigabytes) is a `bytes::Bytes`:
    // decoding a GraphDef from a memory-mapped file slices it instead of
    // copying, and the importer's weights share it with the graph.
    prost_build::Config::new()
        .btree_map(["."])
        .bytes([".tensorflow.TensorProto.tensor_content"])
        .compile_fds(descriptors)
        .expect("Rust messages generated");
}
