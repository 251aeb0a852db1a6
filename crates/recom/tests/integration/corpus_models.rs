//! The corpus's TensorFlow models end to end on the CPU path: import the
//! frozen GraphDef, raise it (`recom-tf-raise`), compile (`recom-default`),
//! JIT the kernel, feed each batch's placeholders through the host program,
//! and compare with TensorFlow's `input_layer_output` (max abs err <= 1e-6).
use melior::pass::PassManager;
use recom::{compile::compile, cpu::CpuExecutable, import::import_graph};
use recom::runtime::host::{Feed, FeedType};
use std::{collections::HashMap, path::PathBuf};

fn corpus() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(dir.is_dir(), "the corpus is missing at {} (shared/ must sit beside the checkout)", dir.display());
    dir
}

type Npz = npyz::npz::NpzArchive<std::io::BufReader<std::fs::File>>;

fn array<T: npyz::Deserialize>(npz: &mut Npz, name: &str) -> (Vec<usize>, Vec<T>) {
    let npy = npz.by_name(name).unwrap().unwrap_or_else(|| panic!("{name} missing from the batch"));
    let shape = npy.shape().iter().map(|&d| d as usize).collect();
    (shape, npy.into_vec().unwrap())
}

/// The feed for input `name` from a batch file (`in.<name with / as .>`).
fn feed(npz: &mut Npz, name: &str, dtype: FeedType) -> Feed {
    let key = format!("in.{}", name.replace('/', "."));
    match dtype {
        FeedType::I64 => {
            let (shape, data) = array::<i64>(npz, &key);
            Feed::I64 { shape, data }
        }
        FeedType::F32 => {
            let (shape, data) = array::<f32>(npz, &key);
            Feed::F32 { shape, data }
        }
        FeedType::Str => {
            let (_, utf8) = array::<u8>(npz, &format!("{key}.utf8"));
            let (_, offsets) = array::<i64>(npz, &format!("{key}.offsets"));
            let data: Vec<Vec<u8>> = offsets.windows(2).map(|w| utf8[w[0] as usize..w[1] as usize].to_vec()).collect();
            // The shape from the fixed-width array's header (e.g. [B, 2] for a dense input).
            let npy = npz.by_name(&key).unwrap().unwrap_or_else(|| panic!("{key} missing from the batch"));
            let shape = npy.shape().iter().map(|&d| d as usize).collect();
            Feed::Str { shape, data }
        }
    }
}

/// Max abs error of recom's CPU output against TensorFlow's, per batch.
fn run_model(model: &str, batches_of: &str) -> Vec<(usize, f32)> {
    let context = recom::create_context().unwrap();
    let graph = recom_tf::read_graph(&corpus().join(model).join("model.pb")).unwrap();
    let imported = import_graph(&context, &graph, &format!("{model}/model.pb"), "graph", &["input_layer_output"]).unwrap();
    let mut module = imported.module;
    let pm = PassManager::new(&context);
    recom::add_pipeline(&pm, "builtin.module(recom-tf-raise)").unwrap();
    assert!(pm.run(&mut module).is_ok(), "{model}: recom-tf-raise failed");
    let compiled = compile(&context, &mut module).unwrap_or_else(|e| panic!("{model}: {e}"));
    let executable = CpuExecutable::new(&context, compiled.kernel_module, compiled.plan).unwrap();
    let plan = executable.plan();
    let tables: HashMap<String, Vec<f32>> = plan
        .tables
        .iter()
        // Synthetic identity tables (indicator, numeric columns) are the runtime's.
        .filter(|slot| !slot.name.starts_with(recom::runtime::plan::IDENTITY_TABLE_PREFIX))
        .map(|slot| {
            let tensor = &imported.weights[&slot.name];
            let recom_tf::tensor::Values::F32(values) = recom_tf::tensor::values(tensor).unwrap() else {
                panic!("{model}: table {} is not float", slot.name)
            };
            (slot.name.clone(), values)
        })
        .collect();
    let packed = plan.bind_tables(&tables).unwrap();
    let mut errors = Vec::new();
    for batch in [1, 37, 512] {
        let mut npz = Npz::open(corpus().join(batches_of).join(format!("batch_b{batch}.npz"))).unwrap();
        let feeds: Vec<Feed> = plan.feeds.iter().map(|spec| feed(&mut npz, &spec.name, spec.dtype)).collect();
        let got = executable.run_feeds(&packed, &feeds).unwrap_or_else(|e| panic!("{model}, B = {batch}: {e}"));
        let (_, expected) = array::<f32>(&mut npz, "out.input_layer_output");
        assert_eq!(got.len(), expected.len(), "{model}, B = {batch}: output size");
        let err = got.iter().zip(&expected).map(|(g, e)| (g - e).abs()).fold(0f32, f32::max);
        assert!(err <= 1e-6, "{model}, B = {batch}: max abs err {err:e} vs TensorFlow");
        errors.push((batch, err));
    }
    errors
}

#[test]
fn tiny_models_reproduce_tensorflow() {
    for (model, batches) in [("tiny", "tiny"), ("tiny_legacy", "tiny")] {
        let errors = run_model(model, batches);
        println!("{model}: max abs err vs TensorFlow per batch {errors:?}");
    }
}

#[test]
fn medium_models_reproduce_tensorflow() {
    for (model, batches) in [("medium", "medium"), ("medium_legacy", "medium")] {
        let errors = run_model(model, batches);
        println!("{model}: max abs err vs TensorFlow per batch {errors:?}");
    }
}
