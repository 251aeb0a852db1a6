//! Sharded evaluation equals unsharded evaluation, bit for bit, over random
//! models (hostile ones included: NaN/inf weights, ids past their tables)
//! and random placements on 1-8 GPUs, table-wise and row-wise.
use recom_abi::shard::{plan, Placement};
use recom_reference::{evaluate, sharded, synthetic::random_case_with};

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn sharded_equals_unsharded_on_random_models_and_plans() {
    let (mut row_wise, mut whole, mut errors) = (0, 0, 0);
    for seed in 0..300u64 {
        let (model, inputs) = random_case_with(seed, 12, 40, seed % 2 == 1);
        let names: Vec<String> = (0..model.tables.len()).map(|t| format!("t{t}")).collect();
        let ids_per_row: Vec<f64> = inputs.iter().map(|i| i.ids.len() as f64 / (i.offsets.len().max(2) - 1) as f64).collect();
        let loads = sharded::loads(&model, &names, &ids_per_row);
        let total: u64 = loads.iter().map(|l| l.bytes()).sum();
        let gpus = 1 + (seed % 8) as usize;
        // From roomy to tight: tight memory forces row-wise splits.
        // (plus a row's worth: rows are not split across GPUs)
        let widest = loads.iter().map(|l| l.row_bytes).max().unwrap_or(0);
        let memory = (total / gpus as u64 + 1) * [400, 150, 105][(seed % 3) as usize] / 100 + widest;
        let plan = match plan(&loads, gpus, memory) {
            Ok(p) => p,
            Err(e) => panic!("seed {seed}: {e}"),
        };
        plan.check(&loads).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        for (_, p) in &plan.tables {
            match p {
                Placement::Whole { .. } => whole += 1,
                Placement::Rows { .. } => row_wise += 1,
            }
        }
        let shards = sharded::shards(&model, &names, &plan).unwrap();
        let want = evaluate(&model, &inputs);
        let got = sharded::evaluate_sharded(&model, &names, &plan, &shards, &inputs);
        match (&want, &got) {
            (Ok(w), Ok(g)) => assert_eq!(bits(w), bits(g), "seed {seed}: outputs differ"),
            (Err(w), Err(g)) => {
                assert_eq!(w, g, "seed {seed}: errors differ");
                errors += 1;
            }
            _ => panic!("seed {seed}: unsharded {want:?} vs sharded {got:?}"),
        }
    }
    // The cases that matter occurred.
    assert!(row_wise > 50 && whole > 300 && errors > 10, "row-wise {row_wise}, whole {whole}, errors {errors}");
}
