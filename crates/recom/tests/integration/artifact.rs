//! Artifacts are untrusted input: each field the kernel or the host program
//! trusts, tampered with, is an error naming the field when the artifact is
//! read — never a panic or an out-of-bounds access later.
use crate::model_ir::module_for;
use recom::{
    compile::compile,
    gpu::{compile_ptx, GpuOptions},
    runtime::plan::Artifact,
};
use recom_reference::synthetic::random_case;
use serde_json::{json, Value};

/// A real artifact (plan + PTX) of a random model with a weighted column.
fn artifact() -> Value {
    let context = recom::create_context().unwrap();
    let (model, _) = random_case(6, 6, 16);
    let mut module = module_for(&context, &model, "model");
    let compiled = compile(&context, &mut module).unwrap();
    let gpu = compile_ptx(&context, compiled.kernel_module, &GpuOptions::default()).unwrap();
    serde_json::from_str(&Artifact { plan: compiled.plan, gpu: vec![gpu], cpu: None, weights: None, host_graph: None, summary: None }.to_json()).unwrap()
}

fn read(value: &Value) -> Result<Artifact, String> {
    Artifact::from_json(&value.to_string())
}

#[test]
fn tampered_artifacts_are_errors_naming_the_field() {
    let original = artifact();
    if let Err(e) = read(&original) {
        panic!("the untampered artifact reads: {e}");
    }
    let cases: Vec<(&str, Box<dyn Fn(&mut Value)>)> = vec![
        ("plan.tables[0].rows: 50 x 0 is not a table", Box::new(|a| a["plan"]["tables"][0]["dim"] = json!(0))),
        ("plan.tables[0].pitch: 1 is not the dim", Box::new(|a| a["plan"]["tables"][0]["pitch"] = json!(1))),
        ("plan.tables[0].rows: 18446744073709551615 rows", Box::new(|a| a["plan"]["tables"][0]["rows"] = json!(u64::MAX))),
        ("overlaps table", Box::new(|a| a["plan"]["tables"][1]["offset"] = a["plan"]["tables"][0]["offset"].clone())),
        ("plan.columns[0].table: 99 is not one of", Box::new(|a| a["plan"]["columns"][0]["table"] = json!(99))),
        ("plan.width:", Box::new(|a| a["plan"]["width"] = json!(3))),
        ("plan.per_item: 64 is not in [1, 8]", Box::new(|a| a["plan"]["per_item"] = json!(64))),
        ("plan.index_bits: 16", Box::new(|a| a["plan"]["index_bits"] = json!(16))),
        ("plan.columns_meta:", Box::new(|a| a["plan"]["columns_meta"].as_array_mut().unwrap().pop().map(drop).unwrap_or(()))),
        // A column table that says another kind or a hash the column does not have.
        (
            "plan.columns_meta[0]: does not match plan.columns",
            Box::new(|a| {
                let columns = a["plan"]["columns"].as_array().unwrap().len() as i64;
                let kind = a["plan"]["columns_meta"][4].as_i64().unwrap();
                a["plan"]["columns_meta"][4] = json!((kind + 1) % columns);
            }),
        ),
        ("plan.columns_meta[0]: does not match plan.columns", Box::new(|a| a["plan"]["columns_meta"][5] = json!(3))),
        (
            "plan.columns[0].transform: 0 buckets",
            Box::new(|a| {
                a["plan"]["columns"][0]["transform"] = json!({"kind": "int_hash_bucket", "buckets": 0});
                a["plan"]["transform_kernel"] = json!("k__transform_ids");
                a["plan"]["index_bits"] = json!(64);
            }),
        ),
        (
            "plan.columns_meta[0]: does not match plan.columns",
            Box::new(|a| {
                a["plan"]["columns"][0]["transform"] = json!({"kind": "int_hash_bucket", "buckets": 7});
                a["plan"]["transform_kernel"] = json!("k__transform_ids");
                a["plan"]["index_bits"] = json!(64);
            }),
        ),
        // Raw values without the pass that transforms them, or the pass without any.
        (
            "plan.transform_kernel: missing: a column transforms its raw values",
            Box::new(|a| {
                a["plan"]["columns"][0]["transform"] = json!({"kind": "int_hash_bucket", "buckets": 7});
                a["plan"]["index_bits"] = json!(64);
            }),
        ),
        ("plan.transform_kernel: no column transforms its raw values", Box::new(|a| a["plan"]["transform_kernel"] = json!("k__transform_ids"))),
        // A vocabulary whose keys repeat, boundaries out of order.
        (
            "plan.columns[0].transform: a key appears twice",
            Box::new(|a| {
                a["plan"]["columns"][0]["transform"] = json!({"kind": "vocabulary", "keys": {"I64": [3, 3]}, "default": -1, "oov_buckets": 0});
                a["plan"]["transform_kernel"] = json!("k__transform_ids");
                a["plan"]["index_bits"] = json!(64);
            }),
        ),
        (
            "plan.columns[0].transform: bucket boundaries are not strictly increasing",
            Box::new(|a| {
                a["plan"]["columns"][0]["transform"] = json!({"kind": "bucketize", "boundaries": [1.0, 0.5]});
                a["plan"]["transform_kernel"] = json!("k__transform_ids");
                a["plan"]["index_bits"] = json!(64);
            }),
        ),
        (
            "plan.columns[0].transform: needs 64-bit ids",
            Box::new(|a| {
                a["plan"]["columns"][0]["transform"] = json!({"kind": "int_hash_bucket", "buckets": 7});
                a["plan"]["columns_meta"][5] = json!(7);
                a["plan"]["transform_kernel"] = json!("k__transform_ids");
                a["plan"]["index_bits"] = json!(32);
            }),
        ),
        ("plan.items: ", Box::new(|a| a["plan"]["items"].as_array_mut().unwrap().push(json!(0)))),
        ("plan.items[0].column", Box::new(|a| a["plan"]["items"][0] = json!(1000))),
        ("plan.items[0].table_base", Box::new(|a| a["plan"]["items"][1] = json!(1i64 << 40))),
        ("plan.items[0].valid", Box::new(|a| a["plan"]["items"][5] = json!(99))),
        ("plan.items[0].pitch", Box::new(|a| a["plan"]["items"][3] = json!(1i64 << 20))),
        ("plan.items[0].out_base", Box::new(|a| a["plan"]["items"][2] = json!(1i64 << 30))),
        // Two valid records swapped: every record passes alone, the order does not.
        (
            "plan.items: the work items are not those",
            Box::new(|a| {
                let items = a["plan"]["items"].as_array_mut().unwrap();
                for k in 0..8 {
                    items.swap(k, 8 + k);
                }
            }),
        ),
        ("plan.host: host step 0", Box::new(|a| a["plan"]["host"]["steps"] = json!([{"op": {"HashBucket": {"buckets": 0}}, "operands": [{"Feed": 0}]}]))),
        ("plan.host: column 0 reads", Box::new(|a| a["plan"]["host"]["columns"][0]["ids"] = json!({"Feed": 999}))),
        ("plan.host.columns: ", Box::new(|a| a["plan"]["host"]["columns"].as_array_mut().unwrap().pop().map(drop).unwrap_or(()))),
        ("plan.shapes: shape program expression 0", Box::new(|a| a["plan"]["shapes"]["exprs"][0] = json!(format!("{}s0{}", "(".repeat(3000), ")".repeat(3000))))),
        ("plan.shapes.symbols[0]", Box::new(|a| a["plan"]["shapes"]["symbols"][0] = json!({"IdsLen": 77}))),
        ("gpu.ptx: has no .entry", Box::new(|a| a["gpu"][0]["ptx"] = json!(".version 8.0"))),
        ("gpu.threads", Box::new(|a| a["gpu"][0]["threads"] = json!(100))),
        (
            "gpu.transform: present, but the plan has no transform pass",
            Box::new(|a| a["gpu"][0]["transform"] = json!({"ptx": ".entry t(", "entry": "t", "params": ["Ids", "Offsets", "Items", "Columns"]})),
        ),
        ("gpu.params", Box::new(|a| a["gpu"][0]["params"] = json!(["Ids", "Tables"]))),
        ("plan.kernel: is empty", Box::new(|a| a["plan"]["kernel"] = json!(""))),
        ("plan.kernel: names a kernel for no columns", Box::new(|a| a["plan"]["columns"] = json!([]))),
        (
            "plan.columns: empty, but the plan has tables",
            Box::new(|a| {
                a["plan"]["columns"] = json!([]);
                a["plan"]["kernel"] = json!("");
            }),
        ),
        ("format: 'recom-artifact/1' is not a format", Box::new(|a| a["format"] = json!("recom-artifact/1"))),
        (
            "plan.dense: steps[0]: weight 0 does not exist",
            Box::new(|a| {
                a["plan"]["dense"] = json!({"weights": [], "steps": [{"op": "linear", "input": "embedding", "weight": 0, "bias": null,
                    "activation": "relu", "transpose_weight": false, "width": 4}]})
            }),
        ),
        (
            "plan.dense: steps[0]: expr: unknown function",
            Box::new(|a| a["plan"]["dense"] = json!({"weights": [], "steps": [{"op": "map", "inputs": ["embedding"], "expr": "evil(x0)", "width": 1}]})),
        ),
        ("plan.outputs[0]: step 3 does not exist", Box::new(|a| a["plan"]["outputs"] = json!([{"name": "y", "source": {"step": 3}, "shape": [-1, 1]}]))),
        ("plan.outputs[0]: 'y' of shape [-1, 2] does not hold", Box::new(|a| a["plan"]["outputs"] = json!([{"name": "y", "source": "embedding", "shape": [-1, 2]}]))),
        ("format: missing", Box::new(|a| drop(a.as_object_mut().unwrap().remove("format")))),
    ];
    let mut wrong = Vec::new();
    for (expected, tamper) in cases {
        let mut tampered = original.clone();
        tamper(&mut tampered);
        match read(&tampered) {
            Err(err) if err.starts_with("invalid artifact: ") && err.contains(expected) => {}
            other => wrong.push(format!("expected an error with '{expected}', got: {other:?}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Not JSON, not an artifact.
    assert!(Artifact::from_json("{").unwrap_err().starts_with("not a recom artifact"));
    let format = recom::runtime::plan::ARTIFACT_FORMAT;
    assert!(Artifact::from_json(&format!("{{\"format\": \"{format}\", \"plan\": 1}}")).unwrap_err().starts_with("not a recom artifact"));
    assert!(Artifact::from_json("{\"format\": 7}").unwrap_err().starts_with("not a recom artifact"));
}

/// The benchmark's plain sum-pooling models compile to a kernel that reads
/// no column table (outlining drops unused buffers): its artifact is valid.
/// (The check once demanded every buffer and refused these on the GPU.)
#[test]
fn kernels_without_optional_buffers_read() {
    let context = recom::create_context().unwrap();
    let spec = recom_reference::synthetic::WorkloadSpec::standard(8, 16, 3, 7);
    let (model, _) = recom_reference::synthetic::workload(&spec);
    let mut module = module_for(&context, &model, "model");
    let compiled = compile(&context, &mut module).unwrap();
    let gpu = compile_ptx(&context, compiled.kernel_module, &GpuOptions::default()).unwrap();
    assert!(!gpu.params.contains(&recom::abi::kernel::Buffer::Columns), "{:?}", gpu.params);
    let text = Artifact { plan: compiled.plan, gpu: vec![gpu], cpu: None, weights: None, host_graph: None, summary: None }.to_json();
    if let Err(e) = Artifact::from_json(&text) {
        panic!("a sum-pooling artifact reads: {e}");
    }
}

/// A plan placed on GPUs (`recom compile --gpus`) carries its placement,
/// checked when read: every table once, rows covered, memory respected.
#[test]
fn sharded_plans_are_checked_when_read() {
    let mut original = artifact();
    let plan: recom::runtime::plan::Plan = serde_json::from_value(original["plan"].clone()).unwrap();
    let loads = plan.table_loads(&[]);
    let biggest = loads.iter().map(|l| l.bytes()).max().unwrap();
    // Memory for a bit more than half the biggest table: it is split by rows.
    let sharding = recom::abi::shard::plan(&loads, 3, biggest / 2 + 1024).unwrap();
    assert!(sharding.tables.iter().any(|(_, p)| matches!(p, recom::abi::shard::Placement::Rows { .. })), "{sharding:?}");
    original["plan"]["sharding"] = serde_json::to_value(&sharding).unwrap();
    let read_back = read(&original).unwrap_or_else(|e| panic!("the sharded artifact reads: {e}"));
    assert_eq!(read_back.plan.sharding.as_ref(), Some(&sharding));
    let cases: Vec<(&str, Box<dyn Fn(&mut Value)>)> = vec![
        ("plan.sharding: 0 placements", Box::new(|a| a["plan"]["sharding"]["tables"] = json!([]))),
        ("on GPU 9 of 3", Box::new(|a| a["plan"]["sharding"]["tables"][0][1] = json!({"kind": "whole", "gpu": 9}))),
        ("plan.sharding: GPU", Box::new(|a| a["plan"]["sharding"]["memory_bytes"] = json!(1))),
        ("plan.sharding: placement of 'nope'", Box::new(|a| a["plan"]["sharding"]["tables"][0][0] = json!("nope"))),
        (
            "plan.sharding: '",
            Box::new(|a| {
                let name = a["plan"]["tables"][0]["name"].clone();
                a["plan"]["sharding"]["tables"][0] = json!([name, {"kind": "rows", "parts": [{"gpu": 0, "begin": 0, "end": 1}]}]);
            }),
        ),
    ];
    let mut wrong = Vec::new();
    for (expected, tamper) in cases {
        let mut tampered = original.clone();
        tamper(&mut tampered);
        match read(&tampered) {
            Err(err) if err.contains(expected) => {}
            other => wrong.push(format!("expected an error with '{expected}', got: {other:?}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
