//! The MLIR C-API calls melior does not wrap, as safe functions: recom's
//! other crates do not depend on `mlir-sys` at all, so every raw call is in
//! `recom-ir` (here, in [`crate::kit`]'s attribute and type readers, and in
//! the shim's FFI).
use melior::{
    ir::{
        operation::{OperationLike, OperationRef},
        Attribute, AttributeLike, Identifier, Location, Module, Operation, Type, TypeLike, Value, ValueLike,
    },
    Context, ContextRef,
};

fn string_ref(text: &str) -> mlir_sys::MlirStringRef {
    mlir_sys::MlirStringRef { data: text.as_ptr() as *const _, length: text.len() }
}

// ---- uses -------------------------------------------------------------------

/// The operations using `value`, one entry per use (in use-list order).
pub fn users<'c: 'a, 'a>(value: Value<'c, 'a>) -> Vec<OperationRef<'c, 'a>> {
    let mut out = Vec::new();
    unsafe {
        let mut operand = mlir_sys::mlirValueGetFirstUse(value.to_raw());
        while !mlir_sys::mlirOpOperandIsNull(operand) {
            out.push(OperationRef::from_raw(mlir_sys::mlirOpOperandGetOwner(operand)));
            operand = mlir_sys::mlirOpOperandGetNextUse(operand);
        }
    }
    out
}

pub fn has_uses(value: Value) -> bool {
    unsafe { !mlir_sys::mlirOpOperandIsNull(mlir_sys::mlirValueGetFirstUse(value.to_raw())) }
}

/// Number of uses of `value`.
pub fn use_count(value: Value) -> usize {
    users(value).len()
}

/// Every use of `of` now uses `with`.
pub fn replace_all_uses(of: Value, with: Value) {
    unsafe { mlir_sys::mlirValueReplaceAllUsesOfWith(of.to_raw(), with.to_raw()) }
}

/// The operation whose region holds `value` (an argument's block's parent,
/// or a result's owner's block's parent).
pub fn function_of<'c: 'a, 'a>(value: Value<'c, 'a>) -> Option<OperationRef<'c, 'a>> {
    let raw = unsafe {
        let block = if mlir_sys::mlirValueIsABlockArgument(value.to_raw()) {
            mlir_sys::mlirBlockArgumentGetOwner(value.to_raw())
        } else {
            mlir_sys::mlirOperationGetBlock(mlir_sys::mlirOpResultGetOwner(value.to_raw()))
        };
        if block.ptr.is_null() {
            return None;
        }
        mlir_sys::mlirBlockGetParentOperation(block)
    };
    (!raw.ptr.is_null()).then(|| unsafe { OperationRef::from_raw(raw) })
}

// ---- operations -------------------------------------------------------------

/// Erases `op` (which must have no uses left) from its block and frees it.
///
/// # Safety
/// No other reference to `op` may be used afterwards.
pub unsafe fn erase(op: OperationRef) {
    unsafe { mlir_sys::mlirOperationDestroy(op.to_raw()) }
}

/// A deep copy of `op`, not inserted anywhere.
pub fn clone_operation<'c>(op: OperationRef<'c, '_>) -> Operation<'c> {
    unsafe { Operation::from_raw(mlir_sys::mlirOperationClone(op.to_raw())) }
}

/// Every attribute of `op` (inherent and discardable), by name.
pub fn attributes<'c>(op: OperationRef<'c, '_>) -> Vec<(String, Attribute<'c>)> {
    (0..op.attribute_count())
        .map(|i| {
            let raw = unsafe { mlir_sys::mlirOperationGetAttribute(op.to_raw(), i as isize) };
            let name = crate::kit::text_of(unsafe { mlir_sys::mlirIdentifierStr(raw.name) }).into_owned();
            (name, unsafe { Attribute::from_raw(raw.attribute) })
        })
        .collect()
}

/// The name of a `NameLoc` (a TensorFlow node's name after import).
pub fn location_name(location: Location) -> Option<String> {
    unsafe {
        let raw = location.to_raw();
        mlir_sys::mlirLocationIsAName(raw)
            .then(|| crate::kit::text_of(mlir_sys::mlirIdentifierStr(mlir_sys::mlirLocationNameGetName(raw))).into_owned())
    }
}

// ---- types ------------------------------------------------------------------

/// `tensor<shape x element>`; -1 (or `i64::MIN`) dims are dynamic.
pub fn ranked_tensor<'c>(shape: &[i64], element: Type<'c>) -> Type<'c> {
    let dims: Vec<i64> = shape.iter().map(|&d| if d < 0 { i64::MIN } else { d }).collect();
    unsafe {
        Type::from_raw(mlir_sys::mlirRankedTensorTypeGet(
            dims.len() as isize,
            dims.as_ptr(),
            element.to_raw(),
            mlir_sys::mlirAttributeGetNull(),
        ))
    }
}

/// `tensor<* x element>`.
pub fn unranked_tensor(element: Type) -> Type {
    unsafe { Type::from_raw(mlir_sys::mlirUnrankedTensorTypeGet(element.to_raw())) }
}

/// `vector<shape x element>`.
pub fn vector<'c>(shape: &[i64], element: Type<'c>) -> Type<'c> {
    unsafe { Type::from_raw(mlir_sys::mlirVectorTypeGet(shape.len() as isize, shape.as_ptr(), element.to_raw())) }
}

/// `!dialect.data` of an unregistered dialect (TensorFlow's `!tf.string`).
pub fn opaque_type<'c>(context: &'c Context, dialect: &str, data: &str) -> Type<'c> {
    unsafe { Type::from_raw(mlir_sys::mlirOpaqueTypeGet(context.to_raw(), string_ref(dialect), string_ref(data))) }
}

pub fn f16(context: &Context) -> Type<'_> {
    unsafe { Type::from_raw(mlir_sys::mlirF16TypeGet(context.to_raw())) }
}

pub fn bf16(context: &Context) -> Type<'_> {
    unsafe { Type::from_raw(mlir_sys::mlirBF16TypeGet(context.to_raw())) }
}

/// The element type of a shaped type.
pub fn element_type(ty: Type) -> Option<Type> {
    unsafe { mlir_sys::mlirTypeIsAShaped(ty.to_raw()).then(|| Type::from_raw(mlir_sys::mlirShapedTypeGetElementType(ty.to_raw()))) }
}

/// The width of an integer type.
pub fn integer_width(ty: Type) -> Option<u32> {
    unsafe { mlir_sys::mlirTypeIsAInteger(ty.to_raw()).then(|| mlir_sys::mlirIntegerTypeGetWidth(ty.to_raw())) }
}

// ---- attributes -------------------------------------------------------------

/// The type of a typed attribute.
pub fn attribute_type(attr: Attribute) -> Type {
    unsafe { Type::from_raw(mlir_sys::mlirAttributeGetType(attr.to_raw())) }
}

pub fn is_unit(attr: Attribute) -> bool {
    unsafe { mlir_sys::mlirAttributeIsAUnit(attr.to_raw()) }
}

/// The integers of a dense elements attribute of i64, i32 or i1.
pub fn dense_ints(attr: Attribute) -> Option<Vec<i64>> {
    let raw = attr.to_raw();
    unsafe {
        if !mlir_sys::mlirAttributeIsADenseElements(raw) {
            return None;
        }
        let width = integer_width(element_type(attribute_type(attr))?)?;
        let n = mlir_sys::mlirElementsAttrGetNumElements(raw);
        (0..n)
            .map(|i| match width {
                64 => Some(mlir_sys::mlirDenseElementsAttrGetInt64Value(raw, i as isize)),
                32 => Some(mlir_sys::mlirDenseElementsAttrGetInt32Value(raw, i as isize) as i64),
                1 => Some(mlir_sys::mlirDenseElementsAttrGetBoolValue(raw, i as isize) as i64),
                _ => None,
            })
            .collect()
    }
}

/// The one float of a one-element dense f32 attribute.
pub fn dense_f32_scalar(attr: Attribute) -> Option<f32> {
    let raw = attr.to_raw();
    unsafe {
        if !mlir_sys::mlirAttributeIsADenseElements(raw) || mlir_sys::mlirElementsAttrGetNumElements(raw) != 1 {
            return None;
        }
        let element = element_type(attribute_type(attr))?;
        mlir_sys::mlirTypeIsAF32(element.to_raw()).then(|| mlir_sys::mlirDenseElementsAttrGetFloatValue(raw, 0))
    }
}

/// Every value of a dense f32 elements attribute (a splat repeated).
pub fn dense_f32s(attr: Attribute) -> Option<Vec<f32>> {
    let raw = attr.to_raw();
    unsafe {
        if !mlir_sys::mlirAttributeIsADenseElements(raw) {
            return None;
        }
        let element = element_type(attribute_type(attr))?;
        if !mlir_sys::mlirTypeIsAF32(element.to_raw()) {
            return None;
        }
        let n = usize::try_from(mlir_sys::mlirElementsAttrGetNumElements(raw)).ok()?;
        let splat = mlir_sys::mlirDenseElementsAttrIsSplat(raw);
        Some((0..n).map(|i| mlir_sys::mlirDenseElementsAttrGetFloatValue(raw, if splat { 0 } else { i as isize })).collect())
    }
}

/// Values of a dense elements attribute, by element type.
pub enum DenseValues<'v> {
    F32(&'v [f32]),
    F64(&'v [f64]),
    I32(&'v [i32]),
    I64(&'v [i64]),
    Bool(&'v [bool]),
}

/// A dense elements attribute of type `ty`; `None` unless `ty` is a static
/// shape holding as many elements as `values`.
pub fn dense_elements<'c>(ty: Type<'c>, values: DenseValues) -> Option<Attribute<'c>> {
    let raw = ty.to_raw();
    let len = match values {
        DenseValues::F32(v) => v.len(),
        DenseValues::F64(v) => v.len(),
        DenseValues::I32(v) => v.len(),
        DenseValues::I64(v) => v.len(),
        DenseValues::Bool(v) => v.len(),
    };
    unsafe {
        if !mlir_sys::mlirTypeIsAShaped(raw) || !mlir_sys::mlirShapedTypeHasStaticShape(raw) {
            return None;
        }
        let rank = mlir_sys::mlirShapedTypeGetRank(raw) as isize;
        let elements = (0..rank).try_fold(1i64, |n, i| n.checked_mul(mlir_sys::mlirShapedTypeGetDimSize(raw, i)));
        if elements != Some(len as i64) {
            return None;
        }
    }
    unsafe {
        Some(Attribute::from_raw(match values {
            DenseValues::F32(v) => mlir_sys::mlirDenseElementsAttrFloatGet(raw, v.len() as isize, v.as_ptr()),
            DenseValues::F64(v) => mlir_sys::mlirDenseElementsAttrDoubleGet(raw, v.len() as isize, v.as_ptr()),
            DenseValues::I32(v) => mlir_sys::mlirDenseElementsAttrInt32Get(raw, v.len() as isize, v.as_ptr()),
            DenseValues::I64(v) => mlir_sys::mlirDenseElementsAttrInt64Get(raw, v.len() as isize, v.as_ptr()),
            DenseValues::Bool(v) => {
                let ints: Vec<std::ffi::c_int> = v.iter().map(|&b| b as std::ffi::c_int).collect();
                mlir_sys::mlirDenseElementsAttrBoolGet(raw, ints.len() as isize, ints.as_ptr())
            }
        }))
    }
}

/// The symbol a `FlatSymbolRefAttr` names.
pub fn flat_symbol(attr: Attribute) -> Option<String> {
    unsafe {
        mlir_sys::mlirAttributeIsAFlatSymbolRef(attr.to_raw())
            .then(|| crate::kit::text_of(mlir_sys::mlirFlatSymbolRefAttrGetValue(attr.to_raw())).into_owned())
    }
}

/// The leaf of a `SymbolRefAttr` (`@module::@kernel` → `kernel`).
pub fn symbol_leaf(attr: Attribute) -> Option<String> {
    unsafe {
        mlir_sys::mlirAttributeIsASymbolRef(attr.to_raw())
            .then(|| crate::kit::text_of(mlir_sys::mlirSymbolRefAttrGetLeafReference(attr.to_raw())).into_owned())
    }
}

/// The binary (PTX text) of a `#gpu.object`.
pub fn gpu_object(attr: Attribute) -> Option<String> {
    unsafe {
        mlir_sys::mlirAttributeIsAGPUObjectAttr(attr.to_raw())
            .then(|| crate::kit::text_of(mlir_sys::mlirGPUObjectAttrGetObject(attr.to_raw())).into_owned())
    }
}

/// `affine_map<()[s0] -> (s0 ceildiv divisor)>`.
pub fn ceildiv_map(context: &Context, divisor: i64) -> Attribute<'_> {
    unsafe {
        let s0 = mlir_sys::mlirAffineSymbolExprGet(context.to_raw(), 0);
        let d = mlir_sys::mlirAffineConstantExprGet(context.to_raw(), divisor);
        let mut exprs = [mlir_sys::mlirAffineCeilDivExprGet(s0, d)];
        Attribute::from_raw(mlir_sys::mlirAffineMapAttrGet(mlir_sys::mlirAffineMapGet(context.to_raw(), 0, 1, 1, exprs.as_mut_ptr())))
    }
}

/// The identifier's text.
pub fn identifier(id: Identifier) -> String {
    crate::kit::identifier_text(id).into_owned()
}

/// The context an operation lives in, as a plain reference for builders.
pub fn context_of<'c>(context: &ContextRef<'c>) -> &'c Context {
    unsafe { context.to_ref() }
}

// ---- the JIT ----------------------------------------------------------------

/// MLIR's ExecutionEngine, owned. (melior's wrapper neither reports a failed
/// creation nor survives one: it would look up and destroy a null.)
pub struct ExecutionEngine(mlir_sys::MlirExecutionEngine);

impl ExecutionEngine {
    /// JIT-compiles `module` (lowered to the LLVM dialect); `None` if LLVM
    /// could not.
    pub fn new(module: &Module, opt_level: i32) -> Option<Self> {
        let raw = unsafe { mlir_sys::mlirExecutionEngineCreate(module.to_raw(), opt_level, 0, std::ptr::null(), false, false) };
        (!raw.ptr.is_null()).then_some(ExecutionEngine(raw))
    }

    /// The address of symbol `name`, null if absent.
    pub fn lookup(&self, name: &str) -> *mut std::ffi::c_void {
        unsafe { mlir_sys::mlirExecutionEngineLookup(self.0, string_ref(name)) }
    }
}

impl Drop for ExecutionEngine {
    fn drop(&mut self) {
        unsafe { mlir_sys::mlirExecutionEngineDestroy(self.0) }
    }
}

// The engine is only read (symbol lookups) after creation.
unsafe impl Send for ExecutionEngine {}
unsafe impl Sync for ExecutionEngine {}

/// `value` with its borrow of the IR cut loose (rewrite callbacks make
/// values through a rewriter borrowed only for the call).
///
/// # Safety
/// The value's operation and context must outlive every use of the result.
pub unsafe fn unbind<'c, 'b>(value: Value<'_, '_>) -> Value<'c, 'b> {
    unsafe { Value::from_raw(value.to_raw()) }
}

/// `value` as a block argument. melior's `TryFrom` prints the value into its
/// error when it is not one, which costs a print of the whole enclosing
/// function: matchers that ask this of every value must not use it.
pub fn block_argument<'c, 'a>(value: melior::ir::Value<'c, 'a>) -> Option<melior::ir::block::BlockArgument<'c, 'a>> {
    use melior::ir::ValueLike;
    if value.is_block_argument() {
        melior::ir::block::BlockArgument::try_from(value).ok()
    } else {
        None
    }
}

/// `value` as an operation result (see [`block_argument`] for why not
/// melior's `TryFrom`).
pub fn op_result<'c, 'a>(value: melior::ir::Value<'c, 'a>) -> Option<melior::ir::operation::OperationResult<'c, 'a>> {
    use melior::ir::ValueLike;
    if value.is_operation_result() {
        melior::ir::operation::OperationResult::try_from(value).ok()
    } else {
        None
    }
}
