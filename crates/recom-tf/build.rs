//! Compiles `proto/graph.proto` without protoc (protox), generates the Rust
//! messages (prost-build) and keeps the descriptor set for text-format parsing.
use std::{env, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=proto/graph.proto");
    let descriptors = protox::compile(["graph.proto"], ["proto"]).expect("proto/graph.proto compiles");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("graph_descriptors.bin"), prost::Message::encode_to_vec(&descriptors))
        .expect("descriptor set written");
    prost_build::Config::new().btree_map(["."]).compile_fds(descriptors).expect("Rust messages generated");
}
