//! The CPU path against the reference evaluator: hundreds of seeded random
//! models (all combiners, weights, dims 1..=256, shared tables, filters,
//! every out-of-range policy, empty rows and columns, duplicate, negative and
//! too-large ids, raw integers hashed in the kernel, B = 1..=4096), compiled through recom-default and the
//! loop kernel, JIT-compiled and run.
use crate::model_ir::{module_for, table_name};
use recom_reference::{
    evaluate,
    synthetic::{random_case, random_case_with},
    EvalError, Model,
};
use recom::{
    compile::compile_with,
    cpu::CpuExecutable,
    runtime::plan::RunError, abi::request::ColumnInput,
};
use std::collections::HashMap;

fn tables_by_name(model: &Model) -> HashMap<String, Vec<f32>> {
    model.tables.iter().enumerate().map(|(i, t)| (table_name(i), t.data.clone())).collect()
}

/// Compiled with the hashes of i64 and string ids in the kernel: these
/// tests feed the kernel's column inputs directly, so a hashed column's raw
/// values must reach it (the default pipeline hashes in the host program,
/// which the corpus and serve tests run).
fn compile_cpu(context: &melior::Context, model: &Model) -> CpuExecutable {
    compile_cpu_with(context, model, KERNEL_TRANSFORMS)
}

const KERNEL_TRANSFORMS: &str = "id-transforms=kernel";

fn compile_cpu_with(context: &melior::Context, model: &Model, options: &str) -> CpuExecutable {
    let mut module = module_for(context, model, "model");
    let compiled =
        compile_with(context, &mut module, options).unwrap_or_else(|e| panic!("compile: {e}\n{}", module.as_operation()));
    CpuExecutable::new(context, compiled.kernel_module, compiled.plan).unwrap_or_else(|e| panic!("JIT: {e}"))
}

/// Largest |a - b| / max(1, |b|), NaN-aware and length-checked.
fn max_rel_err(a: &[f32], b: &[f32]) -> f64 {
    recom_reference::compare(a, b).unwrap_or_else(|e| panic!("output: {e}")).max_rel
}

#[test]
fn random_models_match_the_reference() {
    let context = recom::create_context().unwrap();
    let mut worst = 0f64;
    let mut elements = 0usize;
    // Columns per kernel transform kind (each must be exercised).
    let mut transforms: std::collections::BTreeMap<String, usize> = Default::default();
    for seed in 0..300u64 {
        // Every tenth case gets a large batch.
        let max_batch = if seed % 10 == 0 { 4096 } else { 64 };
        let (model, inputs) = random_case(seed, 12, max_batch);
        let expected = evaluate(&model, &inputs).unwrap();
        let executable = compile_cpu(&context, &model);
        // Every transform runs in the kernel; the host only lays a bucketized
        // column's dense input out as raw entries.
        let steps: Vec<&str> = executable.plan().host.steps.iter().map(|s| s.op.kind()).collect();
        assert!(steps.iter().all(|&k| k == "FloatEntries"), "seed {seed}: host steps {steps:?}");
        for c in &executable.plan().columns {
            if let Some(t) = &c.transform {
                *transforms.entry(format!("{:?}", recom::abi::kernel::TransformKind::of(t))).or_default() += 1;
            }
        }
        let tables = executable.plan().bind_tables(&tables_by_name(&model)).unwrap();
        let got = executable.run(&tables, &inputs).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        // The CPU JIT sums in the reference's order: bit for bit, as the
        // README and docs/design.md claim (NaN-aware).
        let err = max_rel_err(&got, &expected);
        assert!(err == 0.0, "seed {seed}: max rel err {err}");
        worst = worst.max(err);
        elements += got.len();
    }
    println!("300 random models, {elements} output values, max rel err {worst:e}; transformed columns {transforms:?}");
    assert_eq!(transforms.len(), 5, "every transform kind is exercised: {transforms:?}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Random models at the edges (too-large ids in `error` columns, NaN /
    /// ±inf / −0.0 weights, besides everything `random_case` draws), with
    /// seeds and sizes drawn by proptest (shrinking towards fewer columns
    /// and rows): the CPU kernel answers as the reference does, bit for bit
    /// (NaN where it has NaN), or both refuse the batch for the same id.
    #[test]
    fn hostile_random_models_match_the_reference(seed in proptest::prelude::any::<u64>(), columns in 1usize..10, batch in 1usize..200) {
        let context = recom::create_context().unwrap();
        let (model, inputs) = random_case_with(seed, columns, batch, true);
        let executable = compile_cpu(&context, &model);
        let tables = executable.plan().bind_tables(&tables_by_name(&model)).unwrap();
        match (evaluate(&model, &inputs), executable.run(&tables, &inputs)) {
            (Ok(want), Ok(got)) => {
                let diff = recom_reference::compare(&got, &want).map_err(proptest::test_runner::TestCaseError::fail)?;
                proptest::prop_assert!(diff.max_rel == 0.0, "max rel err {} at {}: {} vs {}", diff.max_rel, diff.worst, got[diff.worst], want[diff.worst]);
            }
            // Both refuse; the kernel (threads racing) may name another
            // offending id than the reference's first, but a real one.
            (Err(EvalError::IdOutOfRange { .. }), Err(RunError::IdOutOfRange { column, id, rows, .. })) => {
                let table_rows = model.tables[model.columns[column].table].rows;
                let rules = &model.columns[column];
                let named = inputs[column].ids.iter().map(|&raw| rules.transform.as_ref().map_or(raw, |t| t.apply(raw, inputs[column].bytes.as_deref().unwrap_or_default()))).map(|i| rules.filter.map_or(i, |f| f.apply(i)));
                proptest::prop_assert!(rows == table_rows && id >= rows as i64 && named.clone().any(|i| i == id), "column {column}: id {id} of {rows} rows");
                proptest::prop_assert_eq!(model.columns[column].on_out_of_range, recom_reference::OutOfRange::Error);
            }
            (want, got) => proptest::prop_assert!(false, "reference {:?} vs CPU {:?}", want.map(|_| ()), got.map(|_| ())),
        }
    }
}

/// Every schedule variant computes the same function (the default one is
/// covered above).
#[test]
fn schedule_variants_match_the_reference() {
    let context = recom::create_context().unwrap();
    for (i, options) in [
        "elements-per-item=1",
        "elements-per-item=3 rows-per-item=2",
        "rows-per-item=5 ids-per-iteration=1",
        "elements-per-item=8 rows-per-item=16 ids-per-iteration=3",
        "ids-per-iteration=8",
        "prefetch-ids=false",
        "prefetch-ids=false ids-per-iteration=3 elements-per-item=8",
        "ids-per-iteration=1 rows-per-item=3",
    ]
        .iter()
        .enumerate()
    {
        for seed in 1000 + 20 * i as u64..1000 + 20 * (i as u64 + 1) {
            let (model, inputs) = random_case(seed, 8, 100);
            let expected = evaluate(&model, &inputs).unwrap();
            let executable = compile_cpu_with(&context, &model, &format!("{options} {KERNEL_TRANSFORMS}"));
            let tables = executable.plan().bind_tables(&tables_by_name(&model)).unwrap();
            let got = executable.run(&tables, &inputs).unwrap();
            assert_eq!(max_rel_err(&got, &expected), 0.0, "{options}, seed {seed}");
        }
    }
}

#[test]
fn out_of_range_ids_are_errors_naming_column_row_and_id() {
    use recom_reference::{Column, Combiner, OutOfRange, Table};
    let context = recom::create_context().unwrap();
    let model = Model {
        tables: vec![Table { rows: 4, dim: 2, data: (0..8).map(|i| i as f32).collect() }],
        columns: vec![
            Column { table: 0, combiner: Combiner::Sum, weighted: false, filter: None, on_out_of_range: OutOfRange::Drop, transform: None },
            Column { table: 0, combiner: Combiner::Mean, weighted: false, filter: None, on_out_of_range: OutOfRange::Error, transform: None },
        ],
    };
    let executable = compile_cpu(&context, &model);
    let tables = executable.plan().bind_tables(&tables_by_name(&model)).unwrap();
    let input = |ids: &[i64], offsets: &[i64]| ColumnInput { ids: ids.to_vec(), offsets: offsets.to_vec(), weights: None, bytes: None };
    // Column 0 drops id 9; column 1 must fail on it, at row 1.
    let ok = executable.run(&tables, &[input(&[9, 1], &[0, 1, 2]), input(&[0, 3], &[0, 1, 2])]).unwrap();
    assert_eq!(ok, vec![0., 0., 0., 1., 2., 3., 6., 7.]);
    let err = executable.run(&tables, &[input(&[1], &[0, 0, 1]), input(&[0, 2, 9], &[0, 1, 3])]).unwrap_err();
    assert_eq!(err, RunError::IdOutOfRange { column: 1, row: 1, id: 9, rows: 4 });
    assert_eq!(
        err.to_string(),
        "column 1, row 1: id 9 is not a row of its 4-row table (on_out_of_range = \"error\")"
    );
}

/// Ids past 32 bits reach a kernel that reads i32 ids clamped: each must
/// meet the fate its true value gets (dropped, filtered, replaced by the
/// default, reported under its own value), as with 64-bit ids.
#[test]
fn ids_past_32_bits_keep_their_fate_in_a_32_bit_kernel() {
    use recom_reference::{Column, Combiner, Filter, OutOfRange, Table};
    let context = recom::create_context().unwrap();
    let column = |combiner, filter, on_out_of_range| Column { table: 0, combiner, weighted: false, filter, on_out_of_range, transform: None };
    let model = Model {
        tables: vec![Table { rows: 6, dim: 3, data: (0..18).map(|i| i as f32 * 0.5).collect() }],
        columns: vec![
            column(Combiner::Sum, None, OutOfRange::Drop),
            column(Combiner::Mean, None, OutOfRange::Default(2)),
            column(Combiner::Sqrtn, Some(Filter { lo: 1, hi: 5, default: Some(4) }), OutOfRange::Error),
            column(Combiner::Sum, Some(Filter { lo: 0, hi: 6, default: None }), OutOfRange::Drop),
            column(Combiner::Sum, None, OutOfRange::Error),
        ],
    };
    let narrow = compile_cpu(&context, &model);
    assert_eq!(narrow.plan().index_bits, 32);
    let wide = compile_cpu_with(&context, &model, "index-bits=64 id-transforms=kernel");
    assert_eq!(wide.plan().index_bits, 64);
    let tables = narrow.plan().bind_tables(&tables_by_name(&model)).unwrap();
    let far = [i64::MAX, 1 << 40, i64::from(i32::MAX) + 1, i64::from(i32::MAX), i64::from(i32::MIN), i64::from(i32::MIN) - 1, -(1 << 40), i64::MIN];
    let mut ids: Vec<i64> = far.to_vec();
    ids.extend([3, 0, 5]);
    let offsets = vec![0, 3, 8, 11];
    let mut inputs: Vec<ColumnInput> = (0..4).map(|_| ColumnInput { ids: ids.clone(), offsets: offsets.clone(), weights: None, bytes: None }).collect();
    // The reporting column gets only the negative ones (dropped).
    inputs.push(ColumnInput { ids: vec![i64::MIN, 2, -(1 << 40), i64::from(i32::MIN) - 1, 5], offsets: vec![0, 2, 2, 5], weights: None, bytes: None });
    let expected = evaluate(&model, &inputs).unwrap();
    assert_eq!(narrow.run(&tables, &inputs).unwrap(), expected);
    assert_eq!(wide.run(&tables, &inputs).unwrap(), expected);
    // An id past 2^31 in a column that reports: named by its own value.
    let mut bad = inputs.clone();
    bad[4] = ColumnInput { ids: vec![1, i64::from(i32::MAX) + 1], offsets: vec![0, 0, 2, 2], weights: None, bytes: None };
    let reference = evaluate(&model, &bad).unwrap_err().to_string();
    let err = narrow.run(&tables, &bad).unwrap_err();
    assert_eq!(err, RunError::IdOutOfRange { column: 4, row: 1, id: i64::from(i32::MAX) + 1, rows: 6 });
    assert!(reference.contains("2147483648"), "{reference}");
}

/// Raw integer ids hashed inside the kernel (an absorbed `emb.hash_bucket`):
/// every decimal length 1..=20, both sides of each length change, the i64
/// limits — each id alone in its row, so a wrong hash shows as a wrong row —
/// bit-exact with TensorFlow's AsString + StringToHashBucketFast
/// (`recom_abi::hash`), under a filter and every out-of-range policy.
#[test]
fn integer_ids_are_hashed_in_the_kernel_as_tensorflow_hashes_them() {
    use recom_reference::{Column, Combiner, Filter, IdTransform, OutOfRange, Table};
    let context = recom::create_context().unwrap();
    let rows = 1000;
    let column = |buckets, filter, on_out_of_range| Column {
        table: 0,
        combiner: Combiner::Sum,
        weighted: false,
        filter,
        on_out_of_range,
        transform: Some(IdTransform::IntHashBucket { buckets }),
    };
    let model = Model {
        tables: vec![Table { rows, dim: 4, data: (0..4 * rows).map(|i| i as f32).collect() }],
        columns: vec![
            column(1000, None, OutOfRange::Error),
            column(997, Some(Filter { lo: 100, hi: 900, default: Some(107) }), OutOfRange::Error),
            column(5000, None, OutOfRange::Default(3)),
            column(1, None, OutOfRange::Drop),
        ],
    };
    let executable = compile_cpu(&context, &model);
    let plan = executable.plan();
    assert_eq!(plan.index_bits, 64, "raw values need 64-bit ids");
    assert!(plan.host.steps.is_empty(), "the hash runs in the kernel, not on the host: {:?}", plan.host.steps);
    assert!(plan.columns.iter().all(|c| c.transform.is_some()));
    let mut values: Vec<i64> = vec![0, -1, 1, 9, -9, i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 1];
    for k in 1..19 {
        let p = 10i64.pow(k);
        values.extend([p - 1, p, p + 1, -(p - 1), -p, -(p + 1)]);
    }
    let offsets: Vec<i64> = (0..=values.len() as i64).collect();
    let inputs: Vec<ColumnInput> = (0..4).map(|_| ColumnInput { ids: values.clone(), offsets: offsets.clone(), weights: None, bytes: None }).collect();
    let tables = plan.bind_tables(&tables_by_name(&model)).unwrap();
    let expected = evaluate(&model, &inputs).unwrap();
    let got = executable.run(&tables, &inputs).unwrap();
    assert_eq!(got, expected);
    // Row r of column 0 is table row hash(values[r]) % 1000.
    for (r, &v) in values.iter().enumerate() {
        let row = recom::abi::hash::int_to_hash_bucket(v, 1000) as usize;
        assert_eq!(got[r * 16], (4 * row) as f32, "value {v}");
    }
    // A hashed id past the table (5000 buckets, 1000 rows) under the error
    // policy is named by its hashed value.
    let mut model = model;
    model.columns[2].on_out_of_range = OutOfRange::Error;
    let executable = compile_cpu(&context, &model);
    let tables = executable.plan().bind_tables(&tables_by_name(&model)).unwrap();
    let far = values.iter().copied().find(|&v| recom::abi::hash::int_to_hash_bucket(v, 5000) >= 1000).unwrap();
    let mut bad = inputs.clone();
    bad[2] = ColumnInput { ids: vec![far], offsets: vec![0; values.len()].into_iter().chain([1]).collect(), weights: None, bytes: None };
    bad[2].offsets[0] = 0;
    let err = executable.run(&tables, &bad).unwrap_err();
    let id = recom::abi::hash::int_to_hash_bucket(far, 5000);
    assert_eq!(err, RunError::IdOutOfRange { column: 2, row: values.len() - 1, id, rows });
}

/// String ids hashed inside the kernel (an absorbed `emb.hash_bucket` of
/// strings): every length 0..=200 — each FarmHash length class, both sides
/// of each boundary, the 64-byte loop and its multiples of 64 — and UTF-8,
/// one string per row, bit-exact with TensorFlow's StringToHashBucketFast
/// (`recom_abi::hash`, itself checked against TensorFlow's fingerprints).
#[test]
fn strings_are_hashed_in_the_kernel_as_tensorflow_hashes_them() {
    use recom_reference::{Column, Combiner, IdTransform, OutOfRange, Table};
    let context = recom::create_context().unwrap();
    let rows = 1009;
    let column = |buckets, on_out_of_range| Column {
        table: 0,
        combiner: Combiner::Sum,
        weighted: false,
        filter: None,
        on_out_of_range,
        transform: Some(IdTransform::StrHashBucket { buckets }),
    };
    let model = Model {
        tables: vec![Table { rows, dim: 4, data: (0..4 * rows).map(|i| i as f32).collect() }],
        columns: vec![column(1009, OutOfRange::Error), column(4000, OutOfRange::Drop), column(1, OutOfRange::Error)],
    };
    let executable = compile_cpu(&context, &model);
    let plan = executable.plan();
    assert_eq!(plan.index_bits, 64);
    assert!(plan.host.steps.is_empty(), "the hash runs in the kernel: {:?}", plan.host.steps);
    let mut texts: Vec<Vec<u8>> = (0..=200usize).map(|n| (0..n).map(|i| ((7 * i + n) % 251) as u8).collect()).collect();
    texts.extend(["é", "漢字", "", " ", "UNK"].map(|t| t.as_bytes().to_vec()));
    let (refs, bytes) = recom::abi::request::string_refs(&texts).unwrap();
    let offsets: Vec<i64> = (0..=texts.len() as i64).collect();
    let inputs: Vec<ColumnInput> = (0..3).map(|_| ColumnInput { ids: refs.clone(), offsets: offsets.clone(), weights: None, bytes: Some(bytes.clone()) }).collect();
    let tables = plan.bind_tables(&tables_by_name(&model)).unwrap();
    let expected = evaluate(&model, &inputs).unwrap();
    let got = executable.run(&tables, &inputs).unwrap();
    assert_eq!(got, expected);
    for (r, text) in texts.iter().enumerate() {
        let row = recom::abi::hash::string_to_hash_bucket(text, 1009) as usize;
        assert_eq!(got[r * 12], (4 * row) as f32, "string of {} bytes", text.len());
    }
    // A reference outside the column's bytes is refused before the kernel runs.
    let mut bad = inputs.clone();
    bad[1].ids[3] = recom::abi::request::string_ref(bytes.len() - 1, 2);
    let err = executable.run(&tables, &bad).unwrap_err().to_string();
    assert!(err.contains("column 1: string reference 3") && err.contains("lies outside"), "{err}");
}

#[test]
fn bad_requests_are_rejected_before_the_kernel_runs() {
    let context = recom::create_context().unwrap();
    let (model, inputs) = random_case(5, 3, 8);
    let executable = compile_cpu(&context, &model);
    let tables = executable.plan().bind_tables(&tables_by_name(&model)).unwrap();
    // Offsets that run past the ids.
    let mut bad = inputs.clone();
    let last = bad[0].offsets.len() - 1;
    bad[0].offsets[last] += 5;
    assert!(matches!(executable.run(&tables, &bad), Err(RunError::Input(_))));
    // Offsets that decrease.
    let mut bad = inputs.clone();
    bad[0].offsets = vec![0, 2, 1, bad[0].ids.len() as i64];
    assert!(executable.run(&tables, &bad).unwrap_err().to_string().contains("decrease"));
    // Too few columns, wrong table buffer size, a missing table.
    assert!(matches!(executable.run(&tables, &inputs[1..]), Err(RunError::Input(_))));
    assert!(matches!(executable.run(&tables[1..], &inputs), Err(RunError::Table { .. })));
    assert!(executable.plan().bind_tables(&HashMap::new()).is_err());
}

/// Requests large enough to be cut into chunks of work items run on all
/// cores: the result is still the reference's, bit for bit, and an
/// out-of-range id in a late chunk is still reported with its column and row.
#[test]
fn chunked_requests_match_the_reference_and_report_errors() {
    use recom_reference::{
        synthetic::{workload, WorkloadSpec},
        OutOfRange,
    };
    let context = recom::create_context().unwrap();
    // 60 columns of dims 8-64 over 256 rows: hundreds of work items x 256 rows.
    let (mut model, mut inputs) = workload(&WorkloadSpec::standard(60, 256, 3, 11));
    let executable = compile_cpu(&context, &model);
    let tables = executable.plan().bind_tables(&tables_by_name(&model)).unwrap();
    let items = executable.plan().items.len() / recom::abi::kernel::ITEM_FIELDS;
    assert!(items * 256 >= 1 << 14, "{items} items: too small to be cut up");
    let got = executable.run(&tables, &inputs).unwrap();
    assert_eq!(got, evaluate(&model, &inputs).unwrap());

    // The last column errors on out-of-range ids: put one in row 200.
    let last = model.columns.len() - 1;
    model.columns[last].on_out_of_range = OutOfRange::Error;
    let executable = compile_cpu(&context, &model);
    let rows = model.tables[model.columns[last].table].rows as i64;
    let input = &mut inputs[last];
    let at = input.offsets[200] as usize;
    if input.offsets[201] as usize == at {
        // Row 200 is empty: give it one id.
        input.ids.insert(at, rows + 3);
        input.offsets[201..].iter_mut().for_each(|o| *o += 1);
    } else {
        input.ids[at] = rows + 3;
    }
    let err = executable.run(&tables, &inputs).unwrap_err();
    assert_eq!(err, RunError::IdOutOfRange { column: last, row: 200, id: rows + 3, rows: rows as usize });
}

/// Weights at TensorFlow's edges (issue 14): NaN, zero, negative and
/// infinite weights in every combiner, the reference and the CPU kernel
/// agree bit for bit (NaN-aware): mean and sqrtn drop ids whose weight is
/// not > 0 (NaN included), sum multiplies through.
#[test]
fn edge_weights_match_the_reference() {
    use recom_reference::{Column, Combiner, OutOfRange, Table};
    let context = recom::create_context().unwrap();
    let column = |combiner| Column { table: 0, combiner, weighted: true, filter: None, on_out_of_range: OutOfRange::Drop, transform: None };
    let model = Model {
        tables: vec![Table { rows: 4, dim: 3, data: (0..12).map(|i| i as f32 - 5.5).collect() }],
        columns: vec![column(Combiner::Sum), column(Combiner::Mean), column(Combiner::Sqrtn)],
    };
    let executable = compile_cpu(&context, &model);
    let tables = executable.plan().bind_tables(&tables_by_name(&model)).unwrap();
    let weights = [f32::NAN, 0.0, -1.5, 2.0, f32::INFINITY, -0.0, 0.25, f32::NAN];
    let ids = [0, 1, 2, 3, 1, 2, 3, 0];
    // Rows: [NaN, 0, -1.5], [2, inf], [-0.0], [0.25, NaN], [] (empty).
    let offsets = [0, 3, 5, 6, 8, 8];
    let input = ColumnInput { ids: ids.to_vec(), offsets: offsets.to_vec(), weights: Some(weights.to_vec()), bytes: None };
    let inputs = vec![input.clone(), input.clone(), input];
    let expected = evaluate(&model, &inputs).unwrap();
    let got = executable.run(&tables, &inputs).unwrap();
    assert_eq!(max_rel_err(&got, &expected), 0.0, "got {got:?}\nexpected {expected:?}");
    // The sum of a row with a NaN weight is NaN; mean of [0.25 (x row 3), NaN] is row 3.
    assert!(got[0].is_nan());
    let width = 9;
    assert_eq!(&got[3 * width + 3..3 * width + 6], &model.tables[0].data[9..12]);
}
