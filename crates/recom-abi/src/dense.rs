//! The dense part of a model — what its outputs compute from the embedding
//! layer and the dense inputs (MLP layers, heads) — as data: the `dense`
//! dialect's vocabulary ([`Activation`], [`Reduction`], elementwise
//! expressions [`Expr`]) and the program the runtime executes
//! ([`DenseProgram`]).
//!
//! Every value of a dense program is batch-major: `[B, width]` row-major
//! f32, B the request's batch. Weights are constants of any shape; an
//! elementwise expression broadcasts a `[width]` or `[1]` weight over the
//! rows, and a `[B, 1]` value over the columns.
use serde::{Deserialize, Serialize};
use std::fmt;

/// The activation a `dense.linear` applies after its bias (an epilogue).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    None,
    Relu,
}

impl Activation {
    pub const NAMES: &'static [&'static str] = &["none", "relu"];
    pub fn as_str(self) -> &'static str {
        match self {
            Activation::None => "none",
            Activation::Relu => "relu",
        }
    }
}

impl std::str::FromStr for Activation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Activation::None),
            "relu" => Ok(Activation::Relu),
            _ => Err(format!("unknown activation '{s}' (expected none or relu)")),
        }
    }
}

/// A reduction over the last axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reduction {
    Sum,
    Mean,
}

impl Reduction {
    pub const NAMES: &'static [&'static str] = &["sum", "mean"];
    pub fn as_str(self) -> &'static str {
        match self {
            Reduction::Sum => "sum",
            Reduction::Mean => "mean",
        }
    }
}

impl std::str::FromStr for Reduction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sum" => Ok(Reduction::Sum),
            "mean" => Ok(Reduction::Mean),
            _ => Err(format!("unknown reduction '{s}' (expected sum or mean)")),
        }
    }
}

/// An elementwise function, with TensorFlow's semantics for f32.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Func {
    Add,
    Sub,
    Mul,
    Div,
    Max,
    Min,
    Neg,
    Abs,
    Relu,
    Sigmoid,
    Tanh,
    /// Round half to even (TensorFlow's `Round`).
    Round,
    Square,
    Sqrt,
    Rsqrt,
    Exp,
    Log,
}

impl Func {
    /// Every function with its name in the expression text and its arity.
    pub const ALL: &'static [(Func, &'static str, usize)] = &[
        (Func::Add, "add", 2),
        (Func::Sub, "sub", 2),
        (Func::Mul, "mul", 2),
        (Func::Div, "div", 2),
        (Func::Max, "max", 2),
        (Func::Min, "min", 2),
        (Func::Neg, "neg", 1),
        (Func::Abs, "abs", 1),
        (Func::Relu, "relu", 1),
        (Func::Sigmoid, "sigmoid", 1),
        (Func::Tanh, "tanh", 1),
        (Func::Round, "round", 1),
        (Func::Square, "square", 1),
        (Func::Sqrt, "sqrt", 1),
        (Func::Rsqrt, "rsqrt", 1),
        (Func::Exp, "exp", 1),
        (Func::Log, "log", 1),
    ];

    pub fn name(self) -> &'static str {
        Func::ALL.iter().find(|(f, _, _)| *f == self).map(|(_, n, _)| *n).expect("every function is listed")
    }
    pub fn arity(self) -> usize {
        Func::ALL.iter().find(|(f, _, _)| *f == self).map(|(_, _, a)| *a).expect("every function is listed")
    }
    pub fn by_name(name: &str) -> Option<Func> {
        Func::ALL.iter().find(|(_, n, _)| *n == name).map(|(f, _, _)| *f)
    }

    /// The function on one element.
    pub fn apply(self, a: f32, b: f32) -> f32 {
        match self {
            Func::Add => a + b,
            Func::Sub => a - b,
            Func::Mul => a * b,
            Func::Div => a / b,
            // TensorFlow's Maximum/Minimum propagate NaN.
            Func::Max => {
                if a.is_nan() || b.is_nan() {
                    f32::NAN
                } else {
                    a.max(b)
                }
            }
            Func::Min => {
                if a.is_nan() || b.is_nan() {
                    f32::NAN
                } else {
                    a.min(b)
                }
            }
            Func::Neg => -a,
            Func::Abs => a.abs(),
            Func::Relu => {
                if a > 0.0 {
                    a
                } else if a.is_nan() {
                    a
                } else {
                    0.0
                }
            }
            Func::Sigmoid => 1.0 / (1.0 + (-a).exp()),
            Func::Tanh => a.tanh(),
            Func::Round => a.round_ties_even(),
            Func::Square => a * a,
            Func::Sqrt => a.sqrt(),
            Func::Rsqrt => 1.0 / a.sqrt(),
            Func::Exp => a.exp(),
            Func::Log => a.ln(),
        }
    }
}

/// An elementwise expression over a map's inputs `x0, x1, ...` and f32
/// literals, e.g. `relu(add(x0, x1))`. Text form = [`Expr::parse`] /
/// `Display`, as stored in `dense.map`'s `expr` attribute and in plans.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Input(usize),
    Const(f32),
    Call(Func, Vec<Expr>),
}

/// Nesting deeper than this is refused (expressions come from files).
pub const MAX_EXPR_DEPTH: usize = 256;

impl Expr {
    pub fn call(f: Func, args: Vec<Expr>) -> Expr {
        Expr::Call(f, args)
    }

    /// Parses the text form; errors name the byte offset.
    pub fn parse(text: &str) -> Result<Expr, String> {
        let mut p = Parser { s: text.as_bytes(), at: 0 };
        let e = p.expr(0)?;
        p.space();
        if p.at != p.s.len() {
            return Err(format!("unexpected '{}' at offset {}", &text[p.at..].chars().next().unwrap_or(' '), p.at));
        }
        Ok(e)
    }

    /// The largest input index used, plus one.
    pub fn inputs(&self) -> usize {
        match self {
            Expr::Input(i) => i + 1,
            Expr::Const(_) => 0,
            Expr::Call(_, args) => args.iter().map(Expr::inputs).max().unwrap_or(0),
        }
    }

    /// `self` with input `i` replaced by `with(i)`.
    pub fn substitute(&self, with: &dyn Fn(usize) -> Expr) -> Expr {
        match self {
            Expr::Input(i) => with(*i),
            Expr::Const(c) => Expr::Const(*c),
            Expr::Call(f, args) => Expr::Call(*f, args.iter().map(|a| a.substitute(with)).collect()),
        }
    }

    /// The value at one element, from the inputs' values there.
    pub fn eval(&self, inputs: &[f32]) -> f32 {
        match self {
            Expr::Input(i) => inputs[*i],
            Expr::Const(c) => *c,
            Expr::Call(f, args) => {
                let a = args[0].eval(inputs);
                let b = args.get(1).map_or(0.0, |b| b.eval(inputs));
                f.apply(a, b)
            }
        }
    }

    /// Postfix form for fast evaluation: see [`Postfix`].
    pub fn postfix(&self) -> Postfix {
        fn go(e: &Expr, out: &mut Vec<Instr>) {
            match e {
                Expr::Input(i) => out.push(Instr::Input(*i)),
                Expr::Const(c) => out.push(Instr::Const(*c)),
                Expr::Call(f, args) => {
                    for a in args {
                        go(a, out);
                    }
                    out.push(Instr::Call(*f));
                }
            }
        }
        let mut code = Vec::new();
        go(self, &mut code);
        Postfix { code }
    }
}

/// One step of a [`Postfix`] program.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Instr {
    Input(usize),
    Const(f32),
    Call(Func),
}

/// An expression as a stack program, evaluated over whole rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Postfix {
    pub code: Vec<Instr>,
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Input(i) => write!(f, "x{i}"),
            // `{:?}` prints the shortest text that reads back to the same f32.
            Expr::Const(c) if c.is_nan() => write!(f, "nan"),
            Expr::Const(c) if c.is_infinite() => write!(f, "{}", if *c > 0.0 { "inf" } else { "-inf" }),
            Expr::Const(c) => write!(f, "{c:?}"),
            Expr::Call(func, args) => {
                write!(f, "{}(", func.name())?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{a}")?;
                }
                write!(f, ")")
            }
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn space(&mut self) {
        while self.at < self.s.len() && self.s[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }
    fn word(&mut self) -> &str {
        let start = self.at;
        while self.at < self.s.len() && (self.s[self.at].is_ascii_alphanumeric() || b"._-+".contains(&self.s[self.at])) {
            // A sign only starts a literal or follows an exponent.
            if b"-+".contains(&self.s[self.at]) && self.at > start && !matches!(self.s[self.at - 1], b'e' | b'E') {
                break;
            }
            self.at += 1;
        }
        std::str::from_utf8(&self.s[start..self.at]).unwrap_or("")
    }
    fn expr(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > MAX_EXPR_DEPTH {
            return Err(format!("nested deeper than {MAX_EXPR_DEPTH} calls at offset {}", self.at));
        }
        self.space();
        let start = self.at;
        let word = self.word().to_string();
        if word.is_empty() {
            return Err(format!("expected an input, a number or a function at offset {start}"));
        }
        self.space();
        if self.s.get(self.at) == Some(&b'(') {
            self.at += 1;
            let f = Func::by_name(&word).ok_or_else(|| format!("unknown function '{word}' at offset {start}"))?;
            let mut args = Vec::new();
            loop {
                args.push(self.expr(depth + 1)?);
                self.space();
                match self.s.get(self.at) {
                    Some(b',') => self.at += 1,
                    Some(b')') => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(format!("expected ',' or ')' at offset {}", self.at)),
                }
            }
            if args.len() != f.arity() {
                return Err(format!("'{word}' takes {} argument(s), got {} at offset {start}", f.arity(), args.len()));
            }
            return Ok(Expr::Call(f, args));
        }
        if let Some(n) = word.strip_prefix('x').and_then(|n| n.parse::<usize>().ok()) {
            if n >= 1 << 16 {
                return Err(format!("input x{n} at offset {start} is out of range"));
            }
            return Ok(Expr::Input(n));
        }
        match word.as_str() {
            "nan" => Ok(Expr::Const(f32::NAN)),
            "inf" => Ok(Expr::Const(f32::INFINITY)),
            "-inf" => Ok(Expr::Const(f32::NEG_INFINITY)),
            _ => word.parse::<f32>().map(Expr::Const).map_err(|_| format!("'{word}' at offset {start} is not an input, a number or a function")),
        }
    }
}

/// Where a dense step's operand comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operand {
    /// The fused embedding layer's `[B, ΣD]` output.
    Embedding,
    /// A model input (an f32 feed, `[B, ...]`), by index into the plan's feeds.
    Feed(usize),
    /// A value the host program computes (`[B, width]` f32: a part of the
    /// head recom runs on the host), by index into the host program's values.
    Host(usize),
    /// A weight, by index into [`DenseProgram::weights`].
    Weight(usize),
    /// The result of an earlier step.
    Step(usize),
}

/// A constant of the dense program; its values are in the artifact's
/// weights file under `name`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightSpec {
    pub name: String,
    pub shape: Vec<usize>,
}

impl WeightSpec {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One step; its result is `[B, width]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum Step {
    /// `activation(input · W + bias)`: W is `[K, N]` (`[N, K]` transposed),
    /// bias `[N]`.
    Linear { input: Operand, weight: usize, bias: Option<usize>, activation: Activation, transpose_weight: bool, width: usize },
    /// An elementwise expression over `inputs` (`x<i>` = `inputs[i]`).
    Map { inputs: Vec<Operand>, expr: String, width: usize },
    /// The inputs side by side (the last axis).
    Concat { inputs: Vec<Operand>, width: usize },
    /// A reduction over each row.
    Reduce { input: Operand, reduction: Reduction, width: usize },
}

impl Step {
    pub fn width(&self) -> usize {
        match self {
            Step::Linear { width, .. } | Step::Map { width, .. } | Step::Concat { width, .. } | Step::Reduce { width, .. } => *width,
        }
    }
    pub fn operands(&self) -> Vec<Operand> {
        match self {
            Step::Linear { input, weight, bias, .. } => {
                let mut v = vec![*input, Operand::Weight(*weight)];
                v.extend(bias.map(Operand::Weight));
                v
            }
            Step::Map { inputs, .. } | Step::Concat { inputs, .. } => inputs.clone(),
            Step::Reduce { input, .. } => vec![*input],
        }
    }
}

/// One output of the model: where it comes from and its shape (`-1` = the batch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputSpec {
    pub name: String,
    pub source: Operand,
    pub shape: Vec<i64>,
}

/// How the GPU multiplies in linear layers (the CPU always computes in fp32).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// IEEE fp32 products and sums: TensorFlow's CPU results.
    #[default]
    Fp32,
    /// Inputs rounded to TF32 (10-bit mantissa) on tensor cores, fp32 sums.
    Tf32,
    /// Inputs rounded to bf16 (7-bit mantissa) on tensor cores, fp32 sums.
    Bf16,
}

impl Precision {
    pub const NAMES: &'static [&'static str] = &["fp32", "tf32", "bf16"];
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Tf32 => "tf32",
            Precision::Bf16 => "bf16",
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "fp32" => Ok(Precision::Fp32),
            "tf32" => Ok(Precision::Tf32),
            "bf16" => Ok(Precision::Bf16),
            _ => Err(format!("unknown precision '{s}' (expected fp32, tf32 or bf16)")),
        }
    }
}

/// The dense part of a model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DenseProgram {
    pub weights: Vec<WeightSpec>,
    pub steps: Vec<Step>,
    /// The GEMMs' precision on the GPU.
    #[serde(default)]
    pub precision: Precision,
}


/// The width of a value of a dense program, and whether it has a batch
/// dimension (weights do not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueInfo {
    pub width: usize,
    pub batched: bool,
}

impl DenseProgram {
    /// Checks every step against the widths of the embedding output and of
    /// the feeds (`None` for a feed that is not f32): operands exist and
    /// come before their users, widths and weight shapes agree. Returns
    /// every step's result info. Errors name the step and operand.
    pub fn check(&self, embedding_width: Option<usize>, feed_widths: &[Option<usize>], host_widths: &[usize]) -> Result<Vec<ValueInfo>, String> {
        let mut steps: Vec<ValueInfo> = Vec::with_capacity(self.steps.len());
        for (w, spec) in self.weights.iter().enumerate() {
            if spec.shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).is_none() {
                return Err(format!("weights[{w}] ('{}'): shape {:?} overflows", spec.name, spec.shape));
            }
        }
        for (s, step) in self.steps.iter().enumerate() {
            let info = |o: Operand| -> Result<ValueInfo, String> {
                match o {
                    Operand::Embedding => embedding_width
                        .map(|width| ValueInfo { width, batched: true })
                        .ok_or_else(|| format!("steps[{s}]: reads the embedding layer, which this model does not have")),
                    Operand::Feed(f) => match feed_widths.get(f) {
                        Some(Some(width)) => Ok(ValueInfo { width: *width, batched: true }),
                        Some(None) => Err(format!("steps[{s}]: feed {f} is not an f32 input of static width")),
                        None => Err(format!("steps[{s}]: feed {f} does not exist ({} feeds)", feed_widths.len())),
                    },
                    Operand::Host(h) => host_widths
                        .get(h)
                        .map(|&width| ValueInfo { width, batched: true })
                        .ok_or_else(|| format!("steps[{s}]: host value {h} does not exist ({} values)", host_widths.len())),
                    Operand::Weight(w) => self
                        .weights
                        .get(w)
                        .map(|spec| ValueInfo { width: spec.len(), batched: false })
                        .ok_or_else(|| format!("steps[{s}]: weight {w} does not exist ({} weights)", self.weights.len())),
                    Operand::Step(t) if t < s => Ok(steps[t]),
                    Operand::Step(t) => Err(format!("steps[{s}]: reads step {t}, which does not come before it")),
                }
            };
            let width = step.width();
            if width == 0 {
                return Err(format!("steps[{s}]: width 0"));
            }
            match step {
                Step::Linear { input, weight, bias, transpose_weight, .. } => {
                    let x = info(*input)?;
                    if !x.batched {
                        return Err(format!("steps[{s}]: a linear layer's input must have a batch dimension"));
                    }
                    let spec = self.weights.get(*weight).ok_or_else(|| format!("steps[{s}]: weight {weight} does not exist"))?;
                    let (k, n) = match spec.shape[..] {
                        [k, n] if !transpose_weight => (k, n),
                        [n, k] => (k, n),
                        _ => return Err(format!("steps[{s}]: weight '{}' has shape {:?}, not a matrix", spec.name, spec.shape)),
                    };
                    if k != x.width || n != width {
                        return Err(format!(
                            "steps[{s}]: weight '{}' ({:?}{}) does not map width {} to {width}",
                            spec.name,
                            spec.shape,
                            if *transpose_weight { ", transposed" } else { "" },
                            x.width
                        ));
                    }
                    if let Some(b) = bias {
                        let bias = info(Operand::Weight(*b))?;
                        if bias.width != width {
                            return Err(format!("steps[{s}]: bias of {} values for width {width}", bias.width));
                        }
                    }
                }
                Step::Map { inputs, expr, .. } => {
                    let e = Expr::parse(expr).map_err(|e| format!("steps[{s}]: expr: {e}"))?;
                    if e.inputs() > inputs.len() {
                        return Err(format!("steps[{s}]: expr reads x{} of {} inputs", e.inputs() - 1, inputs.len()));
                    }
                    for (i, o) in inputs.iter().enumerate() {
                        let v = info(*o)?;
                        if v.width != width && v.width != 1 {
                            return Err(format!("steps[{s}]: input {i} of width {} does not broadcast to width {width}", v.width));
                        }
                    }
                    if !inputs.iter().any(|o| info(*o).is_ok_and(|v| v.batched)) {
                        return Err(format!("steps[{s}]: no input has a batch dimension"));
                    }
                }
                Step::Concat { inputs, .. } => {
                    let mut total = 0usize;
                    for o in inputs {
                        let v = info(*o)?;
                        if !v.batched {
                            return Err(format!("steps[{s}]: concatenated inputs must have a batch dimension"));
                        }
                        total += v.width;
                    }
                    if total != width {
                        return Err(format!("steps[{s}]: inputs of total width {total}, result width {width}"));
                    }
                }
                Step::Reduce { input, .. } => {
                    let x = info(*input)?;
                    if !x.batched || width != 1 {
                        return Err(format!("steps[{s}]: a row reduction takes a batched input and has width 1"));
                    }
                }
            }
            steps.push(ValueInfo { width, batched: true });
        }
        Ok(steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_round_trip() {
        for text in ["x0", "relu(add(x0, x1))", "sigmoid(mul(x0, 0.5))", "max(x0, -inf)", "div(x1, 1e-7)", "add(x0, -2.5)"] {
            let e = Expr::parse(text).unwrap();
            assert_eq!(Expr::parse(&e.to_string()).unwrap(), e, "{text}");
        }
        assert_eq!(Expr::parse("relu(add(x0, x1))").unwrap().to_string(), "relu(add(x0, x1))");
    }

    #[test]
    fn bad_expressions_are_errors() {
        for (text, why) in [
            ("", "expected an input"),
            ("relu(x0", "expected ','"),
            ("add(x0)", "takes 2"),
            ("foo(x0)", "unknown function"),
            ("x0 x1", "unexpected"),
            ("y3", "not an input"),
        ] {
            let e = Expr::parse(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
        let deep = "neg(".repeat(10_000) + "x0" + &")".repeat(10_000);
        assert!(Expr::parse(&deep).unwrap_err().contains("nested deeper"));
    }

    #[test]
    fn tensorflow_semantics() {
        assert_eq!(Func::Round.apply(2.5, 0.0), 2.0);
        assert_eq!(Func::Round.apply(-0.5, 0.0), -0.0);
        assert_eq!(Func::Round.apply(3.5, 0.0), 4.0);
        assert!(Func::Max.apply(f32::NAN, 1.0).is_nan());
        assert_eq!(Func::Relu.apply(-3.0, 0.0), 0.0);
        assert!((Func::Sigmoid.apply(0.0, 0.0) - 0.5).abs() < 1e-7);
        let e = Expr::parse("sigmoid(add(mul(x0, 2), x1))").unwrap();
        assert!((e.eval(&[1.0, -2.0]) - 0.5).abs() < 1e-7);
    }
}
