//! Ops declared as data: one [`OpDef`] per op gives its IRDL definition
//! (generated, see [`IrdlDialect::irdl`]), its documentation and its
//! verifier hook, so an op of a recom dialect is declared in one place (its
//! dialect crate's `ops/<group>.rs`, beside its typed view and builder).
use melior::ir::operation::OperationRef;
use std::fmt::Write;

/// What a type position accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeC {
    /// Any `tensor<...>` (element types and ranks are the verifier's).
    Tensor,
    /// `index`.
    Index,
    /// Any type.
    Any,
}

/// How many values a position takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    Single,
    Optional,
    Variadic,
}

/// An operand or result position.
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    pub name: &'static str,
    pub ty: TypeC,
    pub arity: Arity,
}

impl Slot {
    pub const fn tensor(name: &'static str) -> Self {
        Slot { name, ty: TypeC::Tensor, arity: Arity::Single }
    }
    pub const fn optional(self) -> Self {
        Slot { arity: Arity::Optional, ..self }
    }
    pub const fn variadic(self) -> Self {
        Slot { arity: Arity::Variadic, ..self }
    }
    pub const fn of(name: &'static str, ty: TypeC) -> Self {
        Slot { name, ty, arity: Arity::Single }
    }
}

/// What a required attribute accepts (optional attributes are not declared
/// to IRDL; the verifier hook checks them).
#[derive(Clone, Copy, Debug)]
pub enum AttrC {
    Integer,
    String,
    Array,
    DenseArray,
    Any,
    /// One of these strings.
    OneOf(&'static [&'static str]),
}

/// A required attribute.
#[derive(Clone, Copy, Debug)]
pub struct AttrSlot {
    pub name: &'static str,
    pub constraint: AttrC,
}

impl AttrSlot {
    pub const fn new(name: &'static str, constraint: AttrC) -> Self {
        AttrSlot { name, constraint }
    }
}

/// The semantic checks IRDL cannot express, run by `recom-verify`: `Err`
/// is the message after `'<op>' op `; warnings (legal but almost certainly
/// unintended IR) are pushed, worded the same way.
pub type Verify = fn(OperationRef, &mut Vec<String>) -> Result<(), String>;

/// Known bounds of an integer result (MLIR's InferIntRangeInterface, in
/// small): `None` ends are unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct IntBounds {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// The bounds of result `n` of an op, where its semantics fix them.
pub type IntRange = fn(OperationRef, usize) -> Option<IntBounds>;

/// What a host-side op is in the runtime's host program: its
/// [`HostOp`](recom_host::HostOp) from its attributes (`Err`: the
/// message after `'<op>' op `).
pub type HostHook = fn(OperationRef) -> Result<recom_host::HostOp, String>;

/// One op of an IRDL dialect.
#[derive(Clone, Copy, Debug)]
pub struct OpDef {
    /// The full name, `dialect.op`.
    pub name: &'static str,
    /// What the op means: printed as the comment above its IRDL definition.
    pub doc: &'static str,
    pub operands: &'static [Slot],
    pub results: &'static [Slot],
    pub attributes: &'static [AttrSlot],
    pub verify: Verify,
    /// The value-range interface, for ops whose integer results have
    /// bounds by definition (hashes, bucket indices, filtered ids).
    pub int_range: Option<IntRange>,
    /// For ops that run on the host: the step of the runtime's host program
    /// they become (the plan translation dispatches on it).
    pub host: Option<HostHook>,
}

/// A verifier hook for ops IRDL checks completely.
pub fn no_checks(_: OperationRef, _: &mut Vec<String>) -> Result<(), String> {
    Ok(())
}

impl OpDef {
    /// The name without the dialect prefix.
    pub fn short_name(&self) -> &'static str {
        self.name.split_once('.').map_or(self.name, |(_, op)| op)
    }

    fn write_irdl(&self, out: &mut String) {
        for line in self.doc.trim_end().lines() {
            let _ = writeln!(out, "  //{}{line}", if line.is_empty() { "" } else { " " });
        }
        let _ = writeln!(out, "  irdl.operation @{} {{", self.short_name());
        // One constraint value per position: an IRDL constraint value binds
        // one type, so positions never share one.
        let type_constraint = |prefix: &str, slot: &Slot, out: &mut String| {
            let c = match slot.ty {
                TypeC::Tensor => "irdl.base \"!builtin.tensor\"",
                TypeC::Index => "irdl.is index",
                TypeC::Any => "irdl.any",
            };
            let _ = writeln!(out, "    %{prefix}_{} = {c}", slot.name);
        };
        for slot in self.operands {
            type_constraint("in", slot, out);
        }
        for slot in self.results {
            type_constraint("out", slot, out);
        }
        for attr in self.attributes {
            let value = format!("%attr_{}", attr.name);
            let c = match attr.constraint {
                AttrC::Integer => "irdl.base \"#builtin.integer\"".to_string(),
                AttrC::String => "irdl.base \"#builtin.string\"".to_string(),
                AttrC::Array => "irdl.base \"#builtin.array\"".to_string(),
                AttrC::DenseArray => "irdl.base \"#builtin.dense_array\"".to_string(),
                AttrC::Any => "irdl.any".to_string(),
                AttrC::OneOf(words) => {
                    let mut choices = Vec::new();
                    for word in words {
                        let choice = format!("{value}_{word}");
                        let _ = writeln!(out, "    {choice} = irdl.is \"{word}\"");
                        choices.push(choice);
                    }
                    format!("irdl.any_of({})", choices.join(", "))
                }
            };
            let _ = writeln!(out, "    {value} = {c}");
        }
        if !self.attributes.is_empty() {
            let list: Vec<String> = self.attributes.iter().map(|a| format!("\"{0}\" = %attr_{0}", a.name)).collect();
            let _ = writeln!(out, "    irdl.attributes {{ {} }}", list.join(", "));
        }
        let positions = |prefix: &str, slots: &[Slot]| -> String {
            slots
                .iter()
                .map(|s| {
                    let arity = match s.arity {
                        Arity::Single => "",
                        Arity::Optional => "optional ",
                        Arity::Variadic => "variadic ",
                    };
                    format!("{0}: {arity}%{prefix}_{0}", s.name)
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.operands.is_empty() {
            let _ = writeln!(out, "    irdl.operands({})", positions("in", self.operands));
        }
        if !self.results.is_empty() {
            let _ = writeln!(out, "    irdl.results({})", positions("out", self.results));
        }
        out.push_str("  }\n");
    }
}

/// A dialect defined in IRDL and loaded at run time.
#[derive(Clone, Copy, Debug)]
pub struct IrdlDialect {
    pub name: &'static str,
    /// What the dialect is: the comment at the top of its IRDL text.
    pub doc: &'static str,
    pub ops: &'static [&'static [OpDef]],
}

impl IrdlDialect {
    /// Every op, in declaration order.
    pub fn all_ops(&self) -> impl Iterator<Item = &'static OpDef> + '_ {
        self.ops.iter().flat_map(|group| group.iter())
    }

    /// The op called `name` (`dialect.op`).
    pub fn op(&self, name: &str) -> Option<&'static OpDef> {
        self.all_ops().find(|op| op.name == name)
    }

    /// The IRDL module defining the dialect, generated from the ops'
    /// declarations. `dialects/<name>.irdl.mlir` holds a copy for readers
    /// (a test keeps it current).
    pub fn irdl(&self) -> String {
        let mut out = String::new();
        for line in self.doc.trim_end().lines() {
            let _ = writeln!(out, "//{}{line}", if line.is_empty() { "" } else { " " });
        }
        let _ = writeln!(out, "irdl.dialect @{} {{", self.name);
        for (i, op) in self.all_ops().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            op.write_irdl(&mut out);
        }
        out.push_str("}\n");
        out
    }

    /// An op whose registration shows the dialect is loaded.
    pub fn probe(&self) -> Option<&'static str> {
        self.all_ops().next().map(|op| op.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPS: &[OpDef] = &[OpDef {
        name: "toy.pick",
        doc: "Picks one.\n\nattrs: how",
        operands: &[Slot::tensor("x"), Slot::tensor("w").optional(), Slot::of("rest", TypeC::Any).variadic()],
        results: &[Slot::of("out", TypeC::Index)],
        attributes: &[AttrSlot::new("how", AttrC::OneOf(&["a", "b"])), AttrSlot::new("n", AttrC::Integer)],
        verify: no_checks,
        int_range: None,
        host: None,
    }];
    const TOY: IrdlDialect = IrdlDialect { name: "toy", doc: "The toy dialect.", ops: &[OPS] };

    #[test]
    fn irdl_text() {
        assert_eq!(
            TOY.irdl(),
            r##"// The toy dialect.
irdl.dialect @toy {
  // Picks one.
  //
  // attrs: how
  irdl.operation @pick {
    %in_x = irdl.base "!builtin.tensor"
    %in_w = irdl.base "!builtin.tensor"
    %in_rest = irdl.any
    %out_out = irdl.is index
    %attr_how_a = irdl.is "a"
    %attr_how_b = irdl.is "b"
    %attr_how = irdl.any_of(%attr_how_a, %attr_how_b)
    %attr_n = irdl.base "#builtin.integer"
    irdl.attributes { "how" = %attr_how, "n" = %attr_n }
    irdl.operands(x: %in_x, w: optional %in_w, rest: variadic %in_rest)
    irdl.results(out: %out_out)
  }
}
"##
        );
        assert_eq!(TOY.op("toy.pick").map(|o| o.short_name()), Some("pick"));
        assert_eq!(TOY.probe(), Some("toy.pick"));
    }
}
