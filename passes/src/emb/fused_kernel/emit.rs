//! A tiny IR emitter the kernel builder appends ops with: one typed method
//! per op the kernel uses (each op's name is written once, here).
use melior::{
    dialect::arith::{CmpfPredicate, CmpiPredicate},
    ir::{
        attribute::{FloatAttribute, IntegerAttribute},
        operation::{OperationBuilder},
        r#type::{IntegerType, MemRefType},
        Attribute, Block, BlockLike, Identifier, Location, RegionLike, ShapedTypeLike, Type, TypeLike, Value,
        ValueLike,
    },
    Context,
};


/// A tiny emitter: appends ops to one block and returns their results.
pub(crate) struct Emit<'c, 'b> {
    pub(crate) context: &'c Context,
    pub(crate) location: Location<'c>,
    pub(crate) block: &'b Block<'c>,
}

impl<'c, 'b> Emit<'c, 'b> {
    fn op(&self, name: &str, operands: &[Value<'c, '_>], attrs: &[(&str, Attribute<'c>)], results: Option<&[Type<'c>]>) -> Option<Value<'c, 'b>> {
        let attrs: Vec<(Identifier<'c>, Attribute<'c>)> =
            attrs.iter().map(|(n, a)| (Identifier::new(self.context, n), *a)).collect();
        let mut builder = OperationBuilder::new(name, self.location).add_operands(operands).add_attributes(&attrs);
        builder = match results {
            Some(types) => builder.add_results(types),
            None => builder.enable_result_type_inference(),
        };
        let op = self.block.append_operation(builder.build().unwrap_or_else(|e| panic!("building {name}: {e}")));
        op.result(0).ok().map(Into::into)
    }
    fn v(&self, name: &str, operands: &[Value<'c, '_>]) -> Value<'c, 'b> {
        self.op(name, operands, &[], None).expect("one result")
    }
    pub(crate) fn index(&self, value: i64) -> Value<'c, 'b> {
        let t = Type::index(self.context);
        self.op("arith.constant", &[], &[("value", IntegerAttribute::new(t, value).into())], Some(&[t])).unwrap()
    }
    pub(crate) fn i64(&self, value: i64) -> Value<'c, 'b> {
        let t: Type = IntegerType::new(self.context, 64).into();
        self.op("arith.constant", &[], &[("value", IntegerAttribute::new(t, value).into())], Some(&[t])).unwrap()
    }
    pub(crate) fn f32(&self, value: f64) -> Value<'c, 'b> {
        let t = Type::float32(self.context);
        self.op("arith.constant", &[], &[("value", FloatAttribute::new(self.context, t, value).into())], Some(&[t])).unwrap()
    }
    pub(crate) fn cmpi(&self, predicate: CmpiPredicate, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        let t = IntegerType::new(self.context, 64).into();
        let p = IntegerAttribute::new(t, predicate as i64).into();
        self.op("arith.cmpi", &[a, b], &[("predicate", p)], Some(&[IntegerType::new(self.context, 1).into()])).unwrap()
    }
    pub(crate) fn cmpf(&self, predicate: CmpfPredicate, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        let t = IntegerType::new(self.context, 64).into();
        let p = IntegerAttribute::new(t, predicate as i64).into();
        self.op("arith.cmpf", &[a, b], &[("predicate", p)], Some(&[IntegerType::new(self.context, 1).into()])).unwrap()
    }
    pub(crate) fn select(&self, c: Value<'c, '_>, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.select", &[c, a, b])
    }
    pub(crate) fn to_index(&self, v: Value<'c, '_>) -> Value<'c, 'b> {
        self.op("arith.index_cast", &[v], &[], Some(&[Type::index(self.context)])).unwrap()
    }
    pub(crate) fn to_i64(&self, v: Value<'c, '_>) -> Value<'c, 'b> {
        self.op("arith.index_cast", &[v], &[], Some(&[IntegerType::new(self.context, 64).into()])).unwrap()
    }
    /// A load with its natural alignment stated: without it, the NVPTX
    /// backend splits each i64 load into two 32-bit loads.
    pub(crate) fn load(&self, memref: Value<'c, '_>, indices: &[Value<'c, '_>]) -> Value<'c, 'b> {
        let mut operands = vec![memref];
        operands.extend_from_slice(indices);
        let element = MemRefType::try_from(memref.r#type()).expect("a memref").element();
        let bytes = match IntegerType::try_from(element) {
            Ok(t) => i64::from(t.width() / 8),
            Err(_) if element.is_f32() => 4,
            Err(_) => 8,
        };
        let alignment = IntegerAttribute::new(IntegerType::new(self.context, 64).into(), bytes).into();
        self.op("memref.load", &operands, &[("alignment", alignment)], Some(&[element]))
            .expect("one result")
    }
    /// An id or offset as i64: the packed buffers hold i32 or i64.
    pub(crate) fn load_index(&self, memref: Value<'c, '_>, index: Value<'c, '_>) -> Value<'c, 'b> {
        let value = self.load(memref, &[index]);
        let i64t: Type = IntegerType::new(self.context, 64).into();
        if value.r#type() == i64t {
            value
        } else {
            self.op("arith.extsi", &[value], &[], Some(&[i64t])).unwrap()
        }
    }
    pub(crate) fn meta(&self, meta: Value<'c, '_>, base: Value<'c, '_>, field: usize) -> Value<'c, 'b> {
        let at = self.v("arith.addi", &[base, self.index(field as i64)]);
        self.load(meta, &[at])
    }
    pub(crate) fn vec4(&self) -> Type<'c> {
        recom_ir::ext::vector(&[4], Type::float32(self.context))
    }
    pub(crate) fn splat(&self, scalar: Value<'c, '_>) -> Value<'c, 'b> {
        self.op("vector.broadcast", &[scalar], &[], Some(&[self.vec4()])).unwrap()
    }
    /// Four consecutive floats at `index`, which is 16-byte aligned (rows are
    /// padded to multiples of 4 and items start at multiples of 4).
    pub(crate) fn load4(&self, memref: Value<'c, '_>, index: Value<'c, '_>) -> Value<'c, 'b> {
        let alignment = IntegerAttribute::new(IntegerType::new(self.context, 64).into(), 16).into();
        self.op("vector.load", &[memref, index], &[("alignment", alignment)], Some(&[self.vec4()])).unwrap()
    }
    /// Two consecutive i64 of row `row` of a `[n, 8]` i64 memref, starting at
    /// column `column` (even): one 16-byte load.
    pub(crate) fn load_i64x2(&self, memref: Value<'c, '_>, row: Value<'c, '_>, column: i64) -> Value<'c, 'b> {
        let i64t: Type = IntegerType::new(self.context, 64).into();
        let vec2 = recom_ir::ext::vector(&[2], i64t);
        let alignment = IntegerAttribute::new(i64t, 16).into();
        self.op("vector.load", &[memref, row, self.index(column)], &[("alignment", alignment)], Some(&[vec2])).unwrap()
    }
    pub(crate) fn extract_i64(&self, vector: Value<'c, '_>, lane: i64) -> Value<'c, 'b> {
        let position = melior::ir::attribute::DenseI64ArrayAttribute::new(self.context, &[lane]).into();
        let i64t: Type = IntegerType::new(self.context, 64).into();
        self.op("vector.extract", &[vector], &[("static_position", position)], Some(&[i64t])).unwrap()
    }
    pub(crate) fn extract(&self, vector: Value<'c, '_>, lane: i64) -> Value<'c, 'b> {
        let position = melior::ir::attribute::DenseI64ArrayAttribute::new(self.context, &[lane]).into();
        self.op("vector.extract", &[vector], &[("static_position", position)], Some(&[Type::float32(self.context)]))
            .unwrap()
    }
    pub(crate) fn yield_(&self, values: &[Value<'c, '_>]) {
        self.op("scf.yield", values, &[], Some(&[]));
    }
    pub(crate) fn reduce(&self) {
        self.op("scf.reduce", &[], &[], Some(&[]));
    }
    pub(crate) fn addi(&self, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.addi", &[a, b])
    }
    pub(crate) fn subi(&self, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.subi", &[a, b])
    }
    /// An i1 as an i64 0 or 1.
    pub(crate) fn bool_to_i64(&self, v: Value<'c, '_>) -> Value<'c, 'b> {
        self.op("arith.extui", &[v], &[], Some(&[IntegerType::new(self.context, 64).into()])).unwrap()
    }
    pub(crate) fn muli(&self, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.muli", &[a, b])
    }
    pub(crate) fn andi(&self, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.andi", &[a, b])
    }
    pub(crate) fn ori(&self, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.ori", &[a, b])
    }
    pub(crate) fn shli(&self, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.shli", &[a, b])
    }
    pub(crate) fn shrui(&self, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.shrui", &[a, b])
    }
    pub(crate) fn xori(&self, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.xori", &[a, b])
    }
    pub(crate) fn minsi(&self, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.minsi", &[a, b])
    }
    pub(crate) fn maxsi(&self, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.maxsi", &[a, b])
    }
    /// Byte `index` of an i8 memref, zero-extended to i64.
    pub(crate) fn load_byte(&self, memref: Value<'c, '_>, index: Value<'c, '_>) -> Value<'c, 'b> {
        let byte = self.load(memref, &[index]);
        self.op("arith.extui", &[byte], &[], Some(&[IntegerType::new(self.context, 64).into()])).unwrap()
    }
    /// `scf.if` with one i64 result: each branch ends by yielding it.
    pub(crate) fn if_else(&self, cond: Value<'c, '_>, then: impl FnOnce(&Emit<'c, '_>), otherwise: impl FnOnce(&Emit<'c, '_>)) -> Value<'c, 'b> {
        let (then_block, else_block) = (Block::new(&[]), Block::new(&[]));
        then(&Emit { context: self.context, location: self.location, block: &then_block });
        otherwise(&Emit { context: self.context, location: self.location, block: &else_block });
        let (then_region, else_region) = (melior::ir::Region::new(), melior::ir::Region::new());
        then_region.append_block(then_block);
        else_region.append_block(else_block);
        let op = self.block.append_operation(
            OperationBuilder::new("scf.if", self.location)
                .add_operands(&[cond])
                .add_results(&[IntegerType::new(self.context, 64).into()])
                .add_regions([then_region, else_region])
                .build()
                .expect("scf.if"),
        );
        op.result(0).expect("one result").into()
    }
    /// `func.call @callee(args) -> i64`.
    pub(crate) fn call(&self, callee: &str, args: &[Value<'c, '_>]) -> Value<'c, 'b> {
        let callee = melior::ir::attribute::FlatSymbolRefAttribute::new(self.context, callee).into();
        self.op("func.call", args, &[("callee", callee)], Some(&[IntegerType::new(self.context, 64).into()])).unwrap()
    }
    pub(crate) fn divui(&self, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.divui", &[a, b])
    }
    pub(crate) fn remui(&self, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.remui", &[a, b])
    }
    pub(crate) fn divf(&self, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.divf", &[a, b])
    }
    pub(crate) fn addf(&self, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.addf", &[a, b])
    }
    pub(crate) fn mulf(&self, a: Value<'c, '_>, b: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("arith.mulf", &[a, b])
    }
    pub(crate) fn sqrt(&self, x: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("math.sqrt", &[x])
    }
    /// Dimension `index` of a memref.
    pub(crate) fn dim(&self, memref: Value<'c, '_>, index: Value<'c, '_>) -> Value<'c, 'b> {
        self.v("memref.dim", &[memref, index])
    }
    pub(crate) fn store(&self, value: Value<'c, '_>, memref: Value<'c, '_>, indices: &[Value<'c, '_>]) {
        let mut operands = vec![value, memref];
        operands.extend_from_slice(indices);
        self.op("memref.store", &operands, &[], Some(&[]));
    }
    /// An unsigned atomic max of `value` into `memref[indices]`.
    pub(crate) fn atomic_max_unsigned(&self, value: Value<'c, '_>, memref: Value<'c, '_>, indices: &[Value<'c, '_>]) {
        // arith::AtomicRMWKind::maxu
        let kind = IntegerAttribute::new(IntegerType::new(self.context, 64).into(), 7).into();
        let mut operands = vec![value, memref];
        operands.extend_from_slice(indices);
        self.op("memref.atomic_rmw", &operands, &[("kind", kind)], Some(&[value.r#type()]));
    }
    /// `name` (a cast: arith.bitcast, arith.trunci, arith.extf, ...) of `v` to `to`.
    pub(crate) fn cast(&self, name: &str, v: Value<'c, '_>, to: Type<'c>) -> Value<'c, 'b> {
        self.op(name, &[v], &[], Some(&[to])).unwrap()
    }
    /// Element `at` (an i64) of the i64 memref `meta`.
    pub(crate) fn word(&self, meta: Value<'c, '_>, at: Value<'c, '_>) -> Value<'c, 'b> {
        self.load(meta, &[self.to_index(at)])
    }
    /// `scf.for` from `lower` to `upper` (index values, step 1) carrying
    /// `inits`: `body` gets the induction variable and the carried values
    /// and returns the next ones; the loop's results are the last.
    pub(crate) fn for_loop(
        &self,
        lower: Value<'c, '_>,
        upper: Value<'c, '_>,
        inits: &[Value<'c, '_>],
        body: impl for<'x> FnOnce(&Emit<'c, 'x>, Value<'c, 'x>, &[Value<'c, 'x>]) -> Vec<Value<'c, 'x>>,
    ) -> Vec<Value<'c, 'b>> {
        self.for_loop_by(lower, upper, self.index(1), inits, body)
    }
    /// [`Self::for_loop`] with step `step` (an index value).
    pub(crate) fn for_loop_by(
        &self,
        lower: Value<'c, '_>,
        upper: Value<'c, '_>,
        step: Value<'c, '_>,
        inits: &[Value<'c, '_>],
        body: impl for<'x> FnOnce(&Emit<'c, 'x>, Value<'c, 'x>, &[Value<'c, 'x>]) -> Vec<Value<'c, 'x>>,
    ) -> Vec<Value<'c, 'b>> {
        let types: Vec<Type> = inits.iter().map(|v| v.r#type()).collect();
        let mut args = vec![(Type::index(self.context), self.location)];
        args.extend(types.iter().map(|&t| (t, self.location)));
        let block = Block::new(&args);
        {
            let l = Emit { context: self.context, location: self.location, block: &block };
            let iv: Value = block.argument(0).unwrap().into();
            let carried: Vec<Value> = (1..block.argument_count()).map(|i| block.argument(i).unwrap().into()).collect();
            let next = body(&l, iv, &carried);
            l.yield_(&next);
        }
        let region = melior::ir::Region::new();
        region.append_block(block);
        let mut operands = vec![lower, upper, step];
        operands.extend_from_slice(inits);
        let op = self.block.append_operation(
            OperationBuilder::new("scf.for", self.location)
                .add_operands(&operands)
                .add_results(&types)
                .add_regions([region])
                .build()
                .expect("scf.for"),
        );
        (0..types.len()).map(|i| op.result(i).expect("a loop result").into()).collect()
    }
    /// `affine.apply` of `map` (an affine map attribute) to `operands`.
    pub(crate) fn apply(&self, map: Attribute<'c>, operands: &[Value<'c, '_>]) -> Value<'c, 'b> {
        self.op("affine.apply", operands, &[("map", map)], Some(&[Type::index(self.context)])).unwrap()
    }
}
