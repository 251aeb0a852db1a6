//! `StringToHashBucketFast` as recom computes it (FarmHash Fingerprint64 mod
//! N, `recom_abi::hash::string_to_hash_bucket`) against TensorFlow's own
//! output: the tiny model's hashed column `a` (100 buckets, dim 4, sum),
//! recomputed from the batch's strings and the frozen table, must equal
//! the first 4 columns TensorFlow wrote for every batch.
use recom_tf::{proto::attr_value::Value, read_graph, DataType};

#[macro_use]
mod common;
use common::corpus;

fn array<T: npyz::Deserialize>(npz: &mut npyz::npz::NpzArchive<std::io::BufReader<std::fs::File>>, name: &str) -> Vec<T> {
    npz.by_name(name).unwrap().unwrap_or_else(|| panic!("{name} missing")).into_vec().unwrap()
}

#[test]
fn hashed_column_matches_tensorflow_bit_for_bit() {
    require_corpus!("hashed_column_matches_tensorflow_bit_for_bit");
    let graph = read_graph(&corpus().join("tiny/model.pb")).unwrap();
    let table_node = graph.node.iter().find(|n| n.name == "input_layer/a_embedding/embedding_weights").unwrap();
    let Some(Value::Tensor(tensor)) = table_node.attr["value"].value.as_ref() else { panic!("no table value") };
    assert_eq!(tensor.dtype, DataType::DtFloat as i32);
    let table: Vec<f32> = if tensor.tensor_content.is_empty() {
        tensor.float_val.clone()
    } else {
        tensor.tensor_content.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect()
    };
    assert_eq!(table.len(), 400);
    let mut checked = 0;
    for batch in [1, 37, 512] {
        let path = corpus().join(format!("tiny/batch_b{batch}.npz"));
        let mut npz = npyz::npz::NpzArchive::open(&path).unwrap();
        let indices: Vec<i64> = array(&mut npz, "in.a.indices");
        let utf8: Vec<u8> = array(&mut npz, "in.a.values.utf8");
        let offsets: Vec<i64> = array(&mut npz, "in.a.values.offsets");
        let expected: Vec<f32> = array(&mut npz, "out.input_layer_output");
        let width = expected.len() / batch;
        let mut got = vec![0f32; batch * 4];
        for (k, pair) in indices.chunks_exact(2).enumerate() {
            let value = &utf8[offsets[k] as usize..offsets[k + 1] as usize];
            let bucket = recom_abi::hash::string_to_hash_bucket(value, 100) as usize;
            let row = pair[0] as usize;
            for d in 0..4 {
                got[row * 4 + d] += table[bucket * 4 + d];
            }
        }
        for row in 0..batch {
            for d in 0..4 {
                let (g, e) = (got[row * 4 + d], expected[row * width + d]);
                assert!((g - e).abs() <= 1e-6 * e.abs().max(1.0), "batch {batch}, row {row}, dim {d}: {g} vs TensorFlow {e}");
                checked += 1;
            }
        }
    }
    assert!(checked > 2000);
}
