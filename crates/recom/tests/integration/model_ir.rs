//! A reference [`Model`](recom_reference::Model) written as `emb` IR: the way
//! tests and the benchmark feed the compiler the same model the oracle
//! evaluates.
//!
//! `func.func @<name>(ids_0, offsets_0, [weights_0], ids_1, ...) -> tensor<?xΣDxf32>`
//! with tables named `table_<i>`, a range filter per filtered column, one
//! lookup per column and one concat.
use melior::{
    dialect::func,
    ir::{
        attribute::{StringAttribute, TypeAttribute},
        r#type::FunctionType,
        Block, BlockLike, Location, Module, Region, RegionLike, Type, Value,
    },
    Context,
};
use recom_emb::{self as emb, IdTransform, LookupInputs};
use recom_reference::Model;

/// The name of table `i` in IR built by [`module_for`].
pub fn table_name(i: usize) -> String {
    format!("table_{i}")
}

fn ty<'c>(context: &'c Context, text: &str) -> Type<'c> {
    Type::parse(context, text).expect("valid builtin type")
}

/// The model as a module with one function, `name`.
pub fn module_for<'c>(context: &'c Context, model: &Model, name: &str) -> Module<'c> {
    let location = Location::new(context, &format!("{name}.model"), 1, 1);
    let module = Module::new(location);
    let ids_t = ty(context, "tensor<?xi64>");
    let weights_t = ty(context, "tensor<?xf32>");
    let lookup_t = ty(context, "tensor<?x?xf32>");
    let out_t = ty(context, &format!("tensor<?x{}xf32>", model.width()));
    let mut arg_types = Vec::new();
    for column in &model.columns {
        // A string column's raw ids are TensorFlow strings (a type of the
        // unregistered `tf` dialect, as the importer makes them).
        let raw_t = match &column.transform {
            Some(t) if t.takes_strings() => {
                context.set_allow_unregistered_dialects(true);
                ty(context, "tensor<?x!tf.string>")
            }
            // A bucketized column's dense input (the test feeds the column's
            // raw entries, as emb.float_entries makes them).
            Some(IdTransform::Bucketize { .. }) => ty(context, "tensor<?x1xf32>"),
            _ => ids_t,
        };
        arg_types.extend([raw_t, ids_t]);
        if column.weighted {
            arg_types.push(weights_t);
        }
    }
    let block = Block::new(&arg_types.iter().map(|&t| (t, location)).collect::<Vec<_>>());
    let tables: Vec<Value> = model
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let table_t = ty(context, &format!("tensor<{}x{}xf32>", t.rows, t.dim));
            block.append_operation(emb::table(context, location, &table_name(i), table_t)).result(0).unwrap().into()
        })
        .collect();
    let mut arg = 0;
    let mut outputs = Vec::new();
    for (c, column) in model.columns.iter().enumerate() {
        let column_location = Location::new(context, &format!("{name}.model"), c + 2, 1);
        let mut ids: Value = block.argument(arg).unwrap().into();
        let offsets: Value = block.argument(arg + 1).unwrap().into();
        let weights = column.weighted.then(|| block.argument(arg + 2).unwrap().into());
        arg += if column.weighted { 3 } else { 2 };
        match &column.transform {
            Some(IdTransform::IntHashBucket { buckets } | IdTransform::StrHashBucket { buckets }) => {
                ids = block
                    .append_operation(emb::hash_bucket(context, column_location, ids, *buckets as i64, ids_t))
                    .result(0)
                    .unwrap()
                    .into();
            }
            Some(IdTransform::Vocabulary { keys, default, oov_buckets, first, oov_base }) => {
                use melior::ir::operation::OperationMutLike;
                let mut op = emb::vocabulary(context, column_location, ids, keys, *default, *oov_buckets as i64, ids_t);
                if *first != 0 {
                    op.set_attribute("first_id", melior::ir::attribute::IntegerAttribute::new(ty(context, "i64"), *first).into());
                }
                if let Some(base) = oov_base {
                    op.set_attribute("oov_base", melior::ir::attribute::IntegerAttribute::new(ty(context, "i64"), *base).into());
                }
                ids = block.append_operation(op).result(0).unwrap().into();
            }
            Some(IdTransform::Bucketize { boundaries }) => {
                let results = [ty(context, "tensor<?x2xi64>"), ids_t, ty(context, "tensor<2xi64>")];
                ids = block.append_operation(emb::bucketized_sparse(context, column_location, ids, boundaries, results)).result(1).unwrap().into();
            }
            None => {}
        }
        if let Some(f) = column.filter {
            ids = block
                .append_operation(emb::range_filter(context, column_location, ids, f, ids_t))
                .result(0)
                .unwrap()
                .into();
        }
        let lookup = block.append_operation(emb::lookup(
            context,
            column_location,
            LookupInputs { table: tables[column.table], ids, row_offsets: offsets, weights },
            column.combiner,
            column.on_out_of_range,
            lookup_t,
        ));
        outputs.push(lookup.result(0).unwrap().into());
    }
    let concat = block.append_operation(emb::concat(location, &outputs, out_t));
    block.append_operation(func::r#return(&[concat.result(0).unwrap().into()], location));
    let region = Region::new();
    region.append_block(block);
    module.body().append_operation(func::func(
        context,
        StringAttribute::new(context, name),
        TypeAttribute::new(FunctionType::new(context, &arg_types, &[out_t]).into()),
        region,
        &[],
        location,
    ));
    module
}
