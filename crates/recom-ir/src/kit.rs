//! Typed access to IRDL ops for recom's dialect crates.
//!
//! IRDL ops are dynamic: MLIR generates no C++ or Rust classes for them. This
//! crate gives each dialect crate what it needs to offer typed views
//! ([`op_view!`]), typed attribute access with errors that name the attribute
//! ([`AttrError`]), facts about tensor types ([`TensorInfo`]) and attribute
//! constructors for builders.
use melior::{
    ir::{
        attribute::{ArrayAttribute, BoolAttribute, DictionaryAttribute, IntegerAttribute, StringAttribute},
        operation::OperationLike,
        r#type::IntegerType,
        Attribute, AttributeLike, Identifier, Type, TypeLike,
    },
    Context,
};

/// A missing or ill-typed attribute.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("attribute '{attribute}' {problem}")]
pub struct AttrError {
    pub attribute: String,
    pub problem: String,
}

impl AttrError {
    pub fn new(attribute: &str, problem: impl Into<String>) -> Self {
        AttrError { attribute: attribute.to_string(), problem: problem.into() }
    }
}

/// Looks up an attribute by name on an op or in a dictionary.
pub trait AttrSource<'c> {
    fn get_attr(&self, name: &str) -> Option<Attribute<'c>>;
}

impl<'c: 'a, 'a, T: OperationLike<'c, 'a>> AttrSource<'c> for T {
    fn get_attr(&self, name: &str) -> Option<Attribute<'c>> {
        self.attribute(name).ok()
    }
}

/// A dictionary attribute seen as an attribute source.
pub struct Dict<'c>(pub DictionaryAttribute<'c>);

impl<'c> AttrSource<'c> for Dict<'c> {
    fn get_attr(&self, name: &str) -> Option<Attribute<'c>> {
        self.0.element_by_name(name)
    }
}

/// The text of an MLIR string reference. Unlike melior's `StringRef::as_str`,
/// accepts empty and null references; invalid UTF-8 is replaced.
pub fn text_of<'a>(raw: mlir_sys::MlirStringRef) -> std::borrow::Cow<'a, str> {
    if raw.data.is_null() || raw.length == 0 {
        return std::borrow::Cow::Borrowed("");
    }
    let bytes = unsafe { std::slice::from_raw_parts(raw.data as *const u8, raw.length) };
    String::from_utf8_lossy(bytes)
}

/// The text of an identifier (op name, file name), empty-safe.
pub fn identifier_text<'c>(id: Identifier<'c>) -> std::borrow::Cow<'c, str> {
    text_of(unsafe { mlir_sys::mlirIdentifierStr(id.to_raw()) })
}

fn required<'c>(src: &impl AttrSource<'c>, name: &str) -> Result<Attribute<'c>, AttrError> {
    src.get_attr(name).ok_or_else(|| AttrError::new(name, "is missing"))
}

pub fn str_attr<'c>(src: &impl AttrSource<'c>, name: &str) -> Result<std::borrow::Cow<'c, str>, AttrError> {
    let attr = required(src, name)?;
    string_value(attr).ok_or_else(|| AttrError::new(name, format!("must be a string, got {attr}")))
}

/// The value of a string attribute (empty-safe), `None` for other attributes.
pub fn string_value<'c>(attr: Attribute<'c>) -> Option<std::borrow::Cow<'c, str>> {
    unsafe { mlir_sys::mlirAttributeIsAString(attr.to_raw()) }
        .then(|| text_of(unsafe { mlir_sys::mlirStringAttrGetValue(attr.to_raw()) }))
}

pub fn i64_attr<'c>(src: &impl AttrSource<'c>, name: &str) -> Result<i64, AttrError> {
    let attr = required(src, name)?;
    IntegerAttribute::try_from(attr)
        .map(|i| i.value())
        .map_err(|_| AttrError::new(name, format!("must be an integer, got {attr}")))
}

pub fn bool_attr<'c>(src: &impl AttrSource<'c>, name: &str) -> Result<bool, AttrError> {
    let attr = required(src, name)?;
    BoolAttribute::try_from(attr)
        .map(|b| b.value())
        .map_err(|_| AttrError::new(name, format!("must be true or false, got {attr}")))
}

pub fn opt_i64_attr<'c>(src: &impl AttrSource<'c>, name: &str) -> Result<Option<i64>, AttrError> {
    match src.get_attr(name) {
        None => Ok(None),
        Some(_) => i64_attr(src, name).map(Some),
    }
}

pub fn opt_str_attr<'c>(src: &impl AttrSource<'c>, name: &str) -> Result<Option<std::borrow::Cow<'c, str>>, AttrError> {
    match src.get_attr(name) {
        None => Ok(None),
        Some(_) => str_attr(src, name).map(Some),
    }
}

pub fn array_attr<'c>(src: &impl AttrSource<'c>, name: &str) -> Result<ArrayAttribute<'c>, AttrError> {
    let attr = required(src, name)?;
    ArrayAttribute::try_from(attr).map_err(|_| AttrError::new(name, format!("must be an array, got {attr}")))
}

/// An array of strings, e.g. `["non_negative"]`.
pub fn str_array_attr<'c>(src: &impl AttrSource<'c>, name: &str) -> Result<Vec<std::borrow::Cow<'c, str>>, AttrError> {
    let array = array_attr(src, name)?;
    (0..array.len())
        .map(|i| {
            let e = array.element(i).expect("index in range");
            string_value(e).ok_or_else(|| AttrError::new(name, format!("element {i} must be a string, got {e}")))
        })
        .collect()
}

/// An array of dictionaries, e.g. per-column metadata.
pub fn dict_array_attr<'c>(src: &impl AttrSource<'c>, name: &str) -> Result<Vec<Dict<'c>>, AttrError> {
    let array = array_attr(src, name)?;
    (0..array.len())
        .map(|i| {
            let e = array.element(i).expect("index in range");
            DictionaryAttribute::try_from(e)
                .map(Dict)
                .map_err(|_| AttrError::new(name, format!("element {i} must be a dictionary, got {e}")))
        })
        .collect()
}

/// A dense array attribute (`array<T: ...>`) of one element kind.
fn dense_array_attr<'c, T>(
    src: &impl AttrSource<'c>,
    name: &str,
    kind: &str,
    is_a: unsafe extern "C" fn(mlir_sys::MlirAttribute) -> bool,
    element: unsafe extern "C" fn(mlir_sys::MlirAttribute, isize) -> T,
) -> Result<Vec<T>, AttrError> {
    let attr = required(src, name)?;
    let raw = attr.to_raw();
    unsafe {
        if !is_a(raw) {
            return Err(AttrError::new(name, format!("must be array<{kind}: ...>, got {attr}")));
        }
        let n = mlir_sys::mlirDenseArrayGetNumElements(raw);
        Ok((0..n).map(|i| element(raw, i)).collect())
    }
}

/// `array<f64: ...>`.
pub fn f64_array_attr<'c>(src: &impl AttrSource<'c>, name: &str) -> Result<Vec<f64>, AttrError> {
    dense_array_attr(src, name, "f64", mlir_sys::mlirAttributeIsADenseF64Array, mlir_sys::mlirDenseF64ArrayGetElement)
}

/// `array<i1: ...>`.
pub fn bool_array_attr<'c>(src: &impl AttrSource<'c>, name: &str) -> Result<Vec<bool>, AttrError> {
    dense_array_attr(src, name, "i1", mlir_sys::mlirAttributeIsADenseBoolArray, mlir_sys::mlirDenseBoolArrayGetElement)
}

/// `array<i32: ...>` (e.g. `operandSegmentSizes`).
pub fn i32_array_attr<'c>(src: &impl AttrSource<'c>, name: &str) -> Result<Vec<i32>, AttrError> {
    dense_array_attr(src, name, "i32", mlir_sys::mlirAttributeIsADenseI32Array, mlir_sys::mlirDenseI32ArrayGetElement)
}

// ---- constructors -------------------------------------------------------

pub fn named<'c>(context: &'c Context, name: &str, attr: impl Into<Attribute<'c>>) -> (Identifier<'c>, Attribute<'c>) {
    (Identifier::new(context, name), attr.into())
}

pub fn string<'c>(context: &'c Context, value: &str) -> Attribute<'c> {
    StringAttribute::new(context, value).into()
}

pub fn i64<'c>(context: &'c Context, value: i64) -> Attribute<'c> {
    IntegerAttribute::new(IntegerType::new(context, 64).into(), value).into()
}

pub fn boolean<'c>(context: &'c Context, value: bool) -> Attribute<'c> {
    BoolAttribute::new(context, value).into()
}

pub fn strings<'c>(context: &'c Context, values: &[&str]) -> Attribute<'c> {
    let elements: Vec<Attribute> = values.iter().map(|v| string(context, v)).collect();
    ArrayAttribute::new(context, &elements).into()
}

pub fn f64_array<'c>(context: &'c Context, values: &[f64]) -> Attribute<'c> {
    unsafe {
        Attribute::from_raw(mlir_sys::mlirDenseF64ArrayGet(context.to_raw(), values.len() as isize, values.as_ptr()))
    }
}

pub fn bool_array<'c>(context: &'c Context, values: &[bool]) -> Attribute<'c> {
    let ints: Vec<std::ffi::c_int> = values.iter().map(|&b| b as std::ffi::c_int).collect();
    unsafe { Attribute::from_raw(mlir_sys::mlirDenseBoolArrayGet(context.to_raw(), ints.len() as isize, ints.as_ptr())) }
}

pub fn i32_array<'c>(context: &'c Context, values: &[i32]) -> Attribute<'c> {
    unsafe { Attribute::from_raw(mlir_sys::mlirDenseI32ArrayGet(context.to_raw(), values.len() as isize, values.as_ptr())) }
}

pub fn dictionary<'c>(context: &'c Context, entries: &[(Identifier<'c>, Attribute<'c>)]) -> Attribute<'c> {
    DictionaryAttribute::new(context, entries).into()
}

// ---- types ----------------------------------------------------------------

/// Element types recom cares about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    F16,
    BF16,
    F32,
    F64,
    /// Signless or signed integer of the given width.
    Int(u32),
    Index,
    /// TensorFlow's string, `!tf.string` (an opaque type of the unregistered
    /// `tf` dialect): ids before hashing or a vocabulary lookup.
    Str,
    Other,
}

impl Elem {
    pub fn of(ty: Type) -> Self {
        let raw = ty.to_raw();
        unsafe {
            if mlir_sys::mlirTypeIsAF32(raw) {
                Elem::F32
            } else if mlir_sys::mlirTypeIsAF16(raw) {
                Elem::F16
            } else if mlir_sys::mlirTypeIsABF16(raw) {
                Elem::BF16
            } else if mlir_sys::mlirTypeIsAF64(raw) {
                Elem::F64
            } else if mlir_sys::mlirTypeIsAIndex(raw) {
                Elem::Index
            } else if mlir_sys::mlirTypeIsAInteger(raw) && !mlir_sys::mlirIntegerTypeIsUnsigned(raw) {
                Elem::Int(mlir_sys::mlirIntegerTypeGetWidth(raw))
            } else if mlir_sys::mlirTypeIsAOpaque(raw)
                && text_of(mlir_sys::mlirOpaqueTypeGetDialectNamespace(raw)) == "tf"
                && text_of(mlir_sys::mlirOpaqueTypeGetData(raw)) == "string"
            {
                Elem::Str
            } else {
                Elem::Other
            }
        }
    }

    /// The element type of a shaped type (ranked or not), `Other` for any
    /// other type.
    pub fn element_of(ty: Type) -> Self {
        unsafe {
            if mlir_sys::mlirTypeIsAShaped(ty.to_raw()) {
                Elem::of(Type::from_raw(mlir_sys::mlirShapedTypeGetElementType(ty.to_raw())))
            } else {
                Elem::Other
            }
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, Elem::F16 | Elem::BF16 | Elem::F32 | Elem::F64)
    }
}

/// Shape and element type of a ranked tensor; `None` dims are dynamic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    pub shape: Vec<Option<i64>>,
    pub elem: Elem,
}

impl TensorInfo {
    /// `None` unless `ty` is a ranked tensor.
    pub fn of(ty: Type) -> Option<Self> {
        let raw = ty.to_raw();
        unsafe {
            if !mlir_sys::mlirTypeIsARankedTensor(raw) {
                return None;
            }
            let rank = mlir_sys::mlirShapedTypeGetRank(raw) as isize;
            let shape = (0..rank)
                .map(|i| {
                    (!mlir_sys::mlirShapedTypeIsDynamicDim(raw, i)).then(|| mlir_sys::mlirShapedTypeGetDimSize(raw, i))
                })
                .collect();
            Some(TensorInfo { shape, elem: Elem::of(Type::from_raw(mlir_sys::mlirShapedTypeGetElementType(raw))) })
        }
    }

    pub fn rank(&self) -> usize {
        self.shape.len()
    }
}

/// Returns whether `ty` is an integer type of one of `widths`.
pub fn is_int(ty: Type, widths: &[u32]) -> bool {
    matches!(Elem::of(ty), Elem::Int(w) if widths.contains(&w))
}

/// Declares a typed view over an operation of one name:
/// `op_view!(LookupOp, "emb.lookup")` gives `LookupOp::wrap(op) -> Option<Self>`,
/// `.op()` and `NAME`.
#[macro_export]
macro_rules! op_view {
    ($(#[$doc:meta])* $view:ident, $name:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $view<'c, 'a>(melior::ir::operation::OperationRef<'c, 'a>);

        impl<'c, 'a> $view<'c, 'a> {
            /// The operation name.
            pub const NAME: &'static str = $name;

            /// The view, if `op` is a `
            #[doc = $name]
            /// `.
            pub fn wrap(op: melior::ir::operation::OperationRef<'c, 'a>) -> Option<Self> {
                use melior::ir::operation::OperationLike;
                ($crate::kit::identifier_text(op.name()) == $name).then_some(Self(op))
            }

            /// The underlying operation.
            pub fn op(&self) -> melior::ir::operation::OperationRef<'c, 'a> {
                self.0
            }

            fn operand(&self, index: usize) -> melior::ir::Value<'c, 'a> {
                use melior::ir::operation::OperationLike;
                self.0.operand(index).expect(concat!("IRDL guarantees the operands of ", $name))
            }

            #[allow(dead_code)]
            fn result(&self) -> melior::ir::Value<'c, 'a> {
                use melior::ir::operation::OperationLike;
                self.0.result(0).expect(concat!("IRDL guarantees the result of ", $name)).into()
            }
        }
    };
}

/// Declares an enum written as a string attribute: `as_str`, `ALL`,
/// `FromStr` (with an error listing the accepted words) and `Display`.
#[macro_export]
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [&'static str] = &[$($text),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("'{s}' is not one of {}", Self::ALL.join(", "))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}
