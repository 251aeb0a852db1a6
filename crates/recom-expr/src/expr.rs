//! The expression language of `symshape.shape_construct`.
//!
//! ```text
//! expr   := term (('+' | '-') term)*
//! term   := unary (('*' | 'floordiv' | 'ceildiv') unary)*
//! unary  := '-' unary | atom
//! atom   := INT | 's' INT | '(' expr ')'
//!         | ('max' | 'min') '(' expr ',' expr ')'
//!         | 'select' '(' expr ',' expr ',' expr ')'
//! ```
//! `s<k>` is the k-th operand of the op. Values are i64; `floordiv` and
//! `ceildiv` round toward -inf / +inf; `select(c, a, b)` is `c != 0 ? a : b`.
//! Evaluation reports overflow and division by zero instead of wrapping.
use std::{fmt, str::FromStr};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    FloorDiv,
    CeilDiv,
    Max,
    Min,
}

impl BinOp {
    /// Whether chains of this operation are folded left to right as one
    /// sequence (see [`Expr::eval`]).
    pub fn is_associative(self) -> bool {
        matches!(self, BinOp::Add | BinOp::Mul | BinOp::Max | BinOp::Min)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    Const(i64),
    Sym(usize),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Select(Box<Expr>, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExprError {
    #[error("at offset {offset}: {message}")]
    Syntax { offset: usize, message: String },
    #[error("symbol s{0} is out of range ({1} symbols given)")]
    UnknownSymbol(usize, usize),
    #[error("division by zero")]
    DivisionByZero,
    #[error("integer overflow")]
    Overflow,
}

impl Expr {
    /// Evaluates with `symbols[k]` for `s<k>`.
    ///
    /// `select` evaluates only the branch it takes (a guarded division by
    /// zero is not an error), and a chain of one associative operation
    /// (`a + (b + c)`) folds its operands left to right, so overflow is
    /// reported exactly where [`Program`] reports it.
    pub fn eval(&self, symbols: &[i64]) -> Result<i64, ExprError> {
        Ok(match self {
            Expr::Const(c) => *c,
            Expr::Sym(k) => *symbols.get(*k).ok_or(ExprError::UnknownSymbol(*k, symbols.len()))?,
            Expr::Neg(e) => e.eval(symbols)?.checked_neg().ok_or(ExprError::Overflow)?,
            Expr::Select(c, a, b) => {
                if c.eval(symbols)? != 0 {
                    a.eval(symbols)?
                } else {
                    b.eval(symbols)?
                }
            }
            Expr::Bin(op, _, _) if op.is_associative() => {
                fn fold(op: BinOp, e: &Expr, acc: Option<i64>, symbols: &[i64]) -> Result<Option<i64>, ExprError> {
                    match e {
                        Expr::Bin(o, a, b) if *o == op => {
                            let acc = fold(op, a, acc, symbols)?;
                            fold(op, b, acc, symbols)
                        }
                        leaf => {
                            let v = leaf.eval(symbols)?;
                            Ok(Some(match acc {
                                Some(acc) => apply(op, acc, v)?,
                                None => v,
                            }))
                        }
                    }
                }
                fold(*op, self, None, symbols)?.expect("a chain has a leaf")
            }
            Expr::Bin(op, a, b) => apply(*op, a.eval(symbols)?, b.eval(symbols)?)?,
        })
    }

    /// The largest symbol index used, if any.
    pub fn max_symbol(&self) -> Option<usize> {
        match self {
            Expr::Const(_) => None,
            Expr::Sym(k) => Some(*k),
            Expr::Neg(e) => e.max_symbol(),
            Expr::Bin(_, a, b) => a.max_symbol().max(b.max_symbol()),
            Expr::Select(c, a, b) => c.max_symbol().max(a.max_symbol()).max(b.max_symbol()),
        }
    }
}

impl fmt::Display for Expr {
    /// Fully parenthesised where precedence needs it; parses back to an equal `Expr`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn prec(e: &Expr) -> u8 {
            match e {
                Expr::Bin(BinOp::Add | BinOp::Sub, ..) => 1,
                Expr::Bin(BinOp::Mul | BinOp::FloorDiv | BinOp::CeilDiv, ..) => 2,
                Expr::Neg(_) => 3,
                _ => 4,
            }
        }
        fn wrap(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
            if prec(e) < min {
                write!(f, "({e})")
            } else {
                write!(f, "{e}")
            }
        }
        match self {
            Expr::Const(c) if *c < 0 => write!(f, "({c})"),
            Expr::Const(c) => write!(f, "{c}"),
            Expr::Sym(k) => write!(f, "s{k}"),
            Expr::Neg(e) => {
                f.write_str("-")?;
                wrap(f, e, 3)
            }
            Expr::Select(c, a, b) => write!(f, "select({c}, {a}, {b})"),
            Expr::Bin(op @ (BinOp::Max | BinOp::Min), a, b) => {
                write!(f, "{}({a}, {b})", if *op == BinOp::Max { "max" } else { "min" })
            }
            Expr::Bin(op, a, b) => {
                let (p, word) = match op {
                    BinOp::Add => (1, "+"),
                    BinOp::Sub => (1, "-"),
                    BinOp::Mul => (2, "*"),
                    BinOp::FloorDiv => (2, "floordiv"),
                    _ => (2, "ceildiv"),
                };
                wrap(f, a, p)?;
                write!(f, " {word} ")?;
                // Left-associative: the right operand needs parentheses at equal precedence.
                wrap(f, b, p + 1)
            }
        }
    }
}

impl FromStr for Expr {
    type Err = ExprError;
    fn from_str(text: &str) -> Result<Self, ExprError> {
        let mut parser = Parser { text, pos: 0, depth: 0 };
        let e = parser.expr()?;
        parser.skip_ws();
        if parser.pos < text.len() {
            return Err(parser.error("unexpected trailing input"));
        }
        Ok(e)
    }
}

/// How deep a parsed expression tree may be (parentheses, function calls,
/// unary minus, and each operator of a chain like `a + b + c` add a level):
/// the parser and every walk over an expression recurse once per level, so
/// a hostile text (an artifact is untrusted input) must not exhaust the
/// stack. recom's own programs are folded balanced, far below this.
pub const MAX_DEPTH: usize = 256;

struct Parser<'t> {
    text: &'t str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> ExprError {
        ExprError::Syntax { offset: self.pos, message: message.to_string() }
    }

    fn skip_ws(&mut self) {
        while self.text[self.pos..].starts_with(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        let rest = &self.text[self.pos..];
        let word = token.chars().all(|c| c.is_ascii_alphabetic());
        if rest.starts_with(token)
            && !(word && rest[token.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
        {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), ExprError> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.error(&format!("expected '{token}'")))
        }
    }

    fn expr(&mut self) -> Result<Expr, ExprError> {
        let entry = self.depth;
        let mut lhs = self.term()?;
        loop {
            let op = if self.eat("+") {
                BinOp::Add
            } else if self.eat("-") {
                BinOp::Sub
            } else {
                self.depth = entry;
                return Ok(lhs);
            };
            self.deeper()?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(self.term()?));
        }
    }

    fn term(&mut self) -> Result<Expr, ExprError> {
        let entry = self.depth;
        let mut lhs = self.unary()?;
        loop {
            let op = if self.eat("*") {
                BinOp::Mul
            } else if self.eat("floordiv") {
                BinOp::FloorDiv
            } else if self.eat("ceildiv") {
                BinOp::CeilDiv
            } else {
                self.depth = entry;
                return Ok(lhs);
            };
            self.deeper()?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(self.unary()?));
        }
    }

    /// Enters one level of nesting.
    fn deeper(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!("nested more than {MAX_DEPTH} levels deep")));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.eat("-") {
            self.deeper()?;
            let e = match self.unary()? {
                Expr::Const(c) => Expr::Const(c.checked_neg().ok_or(ExprError::Overflow)?),
                e => Expr::Neg(Box::new(e)),
            };
            self.depth -= 1;
            return Ok(e);
        }
        self.deeper()?;
        let e = self.atom();
        self.depth -= 1;
        e
    }

    fn args(&mut self, n: usize) -> Result<Vec<Expr>, ExprError> {
        self.expect("(")?;
        let mut args = vec![self.expr()?];
        for _ in 1..n {
            self.expect(",")?;
            args.push(self.expr()?);
        }
        self.expect(")")?;
        Ok(args)
    }

    fn atom(&mut self) -> Result<Expr, ExprError> {
        self.skip_ws();
        if self.eat("(") {
            let e = self.expr()?;
            self.expect(")")?;
            return Ok(e);
        }
        for (word, op) in [("max", BinOp::Max), ("min", BinOp::Min)] {
            if self.eat(word) {
                let mut a = self.args(2)?.into_iter();
                return Ok(Expr::Bin(op, Box::new(a.next().unwrap()), Box::new(a.next().unwrap())));
            }
        }
        if self.eat("select") {
            let mut a = self.args(3)?.into_iter().map(Box::new);
            return Ok(Expr::Select(a.next().unwrap(), a.next().unwrap(), a.next().unwrap()));
        }
        let rest = &self.text[self.pos..];
        let (is_sym, digits_from) = if rest.starts_with('s') { (true, 1) } else { (false, 0) };
        let digits = rest[digits_from..].chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(self.error("expected an integer, a symbol s<k>, '(' or max/min/select"));
        }
        let number = &rest[digits_from..digits_from + digits];
        let start = self.pos;
        self.pos += digits_from + digits;
        if is_sym {
            number.parse().map(Expr::Sym).map_err(|_| ExprError::Syntax { offset: start, message: "symbol index too large".into() })
        } else {
            number.parse().map(Expr::Const).map_err(|_| ExprError::Syntax { offset: start, message: "integer too large".into() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, syms: &[i64]) -> Result<i64, ExprError> {
        text.parse::<Expr>()?.eval(syms)
    }

    #[test]
    fn precedence_and_functions() {
        assert_eq!(eval("s0 * 8 + 1", &[3]), Ok(25));
        assert_eq!(eval("1 + s0 * 8", &[3]), Ok(25));
        assert_eq!(eval("(1 + s0) * 8", &[3]), Ok(32));
        assert_eq!(eval("10 - 3 - 2", &[]), Ok(5));
        assert_eq!(eval("max(s0, s1) - min(s0, s1)", &[4, 9]), Ok(5));
        assert_eq!(eval("select(s0 - 1, 7, 8)", &[1]), Ok(8));
        assert_eq!(eval("-s0 + 2", &[5]), Ok(-3));
    }

    #[test]
    fn division_rounds_like_affine() {
        assert_eq!(eval("7 floordiv 2", &[]), Ok(3));
        assert_eq!(eval("-7 floordiv 2", &[]), Ok(-4));
        assert_eq!(eval("7 ceildiv 2", &[]), Ok(4));
        assert_eq!(eval("-7 ceildiv 2", &[]), Ok(-3));
        assert_eq!(eval("8 ceildiv 2", &[]), Ok(4));
        assert_eq!(eval("1 floordiv s0", &[0]), Err(ExprError::DivisionByZero));
    }

    #[test]
    fn errors() {
        assert!(matches!("s0 +".parse::<Expr>(), Err(ExprError::Syntax { .. })));
        assert!(matches!("max(s0)".parse::<Expr>(), Err(ExprError::Syntax { .. })));
        assert!(matches!("s0 s1".parse::<Expr>(), Err(ExprError::Syntax { .. })));
        assert!(matches!("maximum(1, 2)".parse::<Expr>(), Err(ExprError::Syntax { .. })));
        assert_eq!(eval("s3", &[1]), Err(ExprError::UnknownSymbol(3, 1)));
        assert_eq!(eval("9223372036854775807 + 1", &[]), Err(ExprError::Overflow));
    }

    /// Hostile nesting is an error, not a stack overflow (reliability repro
    /// r04: 3,000 nested parentheses).
    #[test]
    fn deep_nesting_is_an_error() {
        let nested = |n: usize| format!("{}s0{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(eval(&nested(100), &[7]), Ok(7));
        for text in [nested(3000), format!("{}1", "-".repeat(5000)), vec!["s0"; 5000].join(" + "), format!("{}0{}", "max(1, ".repeat(3000), ")".repeat(3000))] {
            match text.parse::<Expr>() {
                Err(ExprError::Syntax { message, .. }) => assert!(message.contains("nested more than 256 levels deep"), "{message}"),
                other => panic!("{other:?}"),
            }
        }
        // A long balanced expression is fine.
        let balanced = (0..10).fold("s0".to_string(), |e, _| format!("({e} + {e})"));
        assert_eq!(eval(&balanced, &[1]), Ok(1024));
    }

    #[test]
    fn display_round_trips() {
        for text in ["s0 * 8 + 1", "(s0 + 1) * 8", "s0 - (s1 - s2)", "max(s0, 3) floordiv (s1 * 2)", "select(s0, -s1, (-4))"] {
            let e: Expr = text.parse().unwrap();
            let again: Expr = e.to_string().parse().unwrap();
            assert_eq!(e, again, "{text} -> {e}");
        }
    }
}

/// One instruction of a compiled [`Program`] (a stack machine).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Const(i64),
    Sym(u32),
    Neg,
    Bin(BinOp),
    /// `top = top op symbol k` (an operand that is a symbol, not pushed).
    BinSym(BinOp, u32),
    /// `top = top op c`.
    BinConst(BinOp, i64),
    /// `top = top op s[k1] op s[k2] ...` over a run of a chain's symbol
    /// operands, left to right: `Program::syms[start..start + len]` holds
    /// the ks. One dispatch for the run (a sum over thousands of columns).
    BinSyms(BinOp, u32, u32),
    /// `select`'s condition: pops it (the top, into `acc`'s place comes the
    /// next value); when it is zero, jumps to the instruction at the index.
    JumpIfZero(u32),
    /// Jumps to the instruction at the index (past the other branch).
    Jump(u32),
    /// Pops the top of the stack into result `k`.
    Store(u32),
}

/// The leaves of a chain of one associative operation (`a + (b + c) + d`),
/// left to right.
fn chain<'e>(op: BinOp, e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Bin(o, a, b) if *o == op => {
            chain(op, a, out);
            chain(op, b, out);
        }
        _ => out.push(e),
    }
}

/// Several expressions compiled to one flat instruction list, evaluated
/// without recursion or allocation per node (a shape program per request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    code: Vec<Op>,
    /// The symbol indices of the `BinSyms` runs.
    syms: Vec<u32>,
    results: usize,
    symbols: usize,
    depth: usize,
}

impl Program {
    /// Compiles `exprs`; result `k` is `exprs[k]`.
    pub fn new(exprs: &[Expr]) -> Self {
        fn emit(e: &Expr, code: &mut Vec<Op>, syms: &mut Vec<u32>, depth: usize, max: &mut usize) {
            *max = (*max).max(depth + 1);
            match e {
                Expr::Const(c) => code.push(Op::Const(*c)),
                Expr::Sym(k) => code.push(Op::Sym(*k as u32)),
                Expr::Neg(x) => {
                    emit(x, code, syms, depth, max);
                    code.push(Op::Neg);
                }
                // Associative chains (sums over thousands of columns) run left
                // to right, symbol and constant operands folded into the op.
                Expr::Bin(op @ (BinOp::Add | BinOp::Mul | BinOp::Max | BinOp::Min), _, _) => {
                    let mut leaves = Vec::new();
                    chain(*op, e, &mut leaves);
                    emit(leaves[0], code, syms, depth, max);
                    let mut rest = &leaves[1..];
                    while let Some((leaf, tail)) = rest.split_first() {
                        // A run of symbol operands becomes one instruction.
                        let run = rest.iter().take_while(|l| matches!(l, Expr::Sym(_))).count();
                        if run >= 2 {
                            let start = syms.len() as u32;
                            syms.extend(rest[..run].iter().map(|l| match l {
                                Expr::Sym(k) => *k as u32,
                                _ => unreachable!("a run of symbols"),
                            }));
                            code.push(Op::BinSyms(*op, start, run as u32));
                            rest = &rest[run..];
                            continue;
                        }
                        match leaf {
                            Expr::Sym(k) => code.push(Op::BinSym(*op, *k as u32)),
                            Expr::Const(c) => code.push(Op::BinConst(*op, *c)),
                            other => {
                                emit(other, code, syms, depth + 1, max);
                                code.push(Op::Bin(*op));
                            }
                        }
                        rest = tail;
                    }
                }
                Expr::Bin(op, a, b) => {
                    emit(a, code, syms, depth, max);
                    match &**b {
                        Expr::Sym(k) => code.push(Op::BinSym(*op, *k as u32)),
                        Expr::Const(c) => code.push(Op::BinConst(*op, *c)),
                        _ => {
                            emit(b, code, syms, depth + 1, max);
                            code.push(Op::Bin(*op));
                        }
                    }
                }
                // Only the branch taken runs (as in `Expr::eval`).
                Expr::Select(c, a, b) => {
                    emit(c, code, syms, depth, max);
                    let branch = code.len();
                    code.push(Op::JumpIfZero(0));
                    emit(a, code, syms, depth, max);
                    let skip = code.len();
                    code.push(Op::Jump(0));
                    code[branch] = Op::JumpIfZero(code.len() as u32);
                    emit(b, code, syms, depth, max);
                    code[skip] = Op::Jump(code.len() as u32);
                }
            }
        }
        let mut code = Vec::new();
        let mut syms = Vec::new();
        let mut depth = 0;
        for (k, e) in exprs.iter().enumerate() {
            emit(e, &mut code, &mut syms, 0, &mut depth);
            code.push(Op::Store(k as u32));
        }
        let symbols = exprs.iter().filter_map(Expr::max_symbol).max().map_or(0, |m| m + 1);
        Program { code, syms, results: exprs.len(), symbols, depth }
    }

    /// The number of instructions.
    pub fn len(&self) -> usize {
        self.code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// How many symbols the program reads (the largest index + 1).
    pub fn symbols(&self) -> usize {
        self.symbols
    }

    /// Evaluates every expression into `out` (resized to the result count).
    pub fn eval_into(&self, symbols: &[i64], out: &mut Vec<i64>) -> Result<(), ExprError> {
        if symbols.len() < self.symbols {
            return Err(ExprError::UnknownSymbol(self.symbols - 1, symbols.len()));
        }
        out.clear();
        out.resize(self.results, 0);
        // The top of the stack lives in `acc`; `stack` holds the rest.
        let mut stack: Vec<i64> = Vec::with_capacity(self.depth);
        let mut acc = 0i64;
        let mut pc = 0;
        while let Some(op) = self.code.get(pc) {
            pc += 1;
            match *op {
                Op::Const(c) => {
                    stack.push(acc);
                    acc = c;
                }
                Op::Sym(k) => {
                    stack.push(acc);
                    acc = symbols[k as usize];
                }
                Op::Neg => acc = acc.checked_neg().ok_or(ExprError::Overflow)?,
                Op::BinSym(op, k) => acc = apply(op, acc, symbols[k as usize])?,
                Op::BinConst(op, c) => acc = apply(op, acc, c)?,
                Op::BinSyms(op, start, len) => {
                    let ks = &self.syms[start as usize..(start + len) as usize];
                    acc = fold_symbols(op, acc, ks, symbols)?;
                }
                Op::Bin(op) => {
                    let a = stack.pop().expect("operand");
                    acc = apply(op, a, acc)?;
                }
                Op::JumpIfZero(target) => {
                    let condition = acc;
                    acc = stack.pop().expect("value");
                    if condition == 0 {
                        pc = target as usize;
                    }
                }
                Op::Jump(target) => pc = target as usize,
                Op::Store(k) => {
                    out[k as usize] = acc;
                    acc = stack.pop().expect("value");
                }
            }
        }
        Ok(())
    }
}

/// `acc op symbols[k1] op symbols[k2] ...`, left to right and checked as
/// [`apply`] checks each step, with the operation chosen once for the run.
fn fold_symbols(op: BinOp, acc: i64, ks: &[u32], symbols: &[i64]) -> Result<i64, ExprError> {
    let value = |k: &u32| symbols[*k as usize];
    match op {
        BinOp::Add => ks.iter().try_fold(acc, |a, k| a.checked_add(value(k)).ok_or(ExprError::Overflow)),
        BinOp::Max => Ok(ks.iter().map(value).fold(acc, i64::max)),
        BinOp::Min => Ok(ks.iter().map(value).fold(acc, i64::min)),
        _ => ks.iter().try_fold(acc, |a, k| apply(op, a, value(k))),
    }
}

/// `a op b`, checked.
#[inline(always)]
fn apply(op: BinOp, a: i64, b: i64) -> Result<i64, ExprError> {
    use BinOp::*;
    match op {
        Add => a.checked_add(b).ok_or(ExprError::Overflow),
        Sub => a.checked_sub(b).ok_or(ExprError::Overflow),
        Mul => a.checked_mul(b).ok_or(ExprError::Overflow),
        Max => Ok(a.max(b)),
        Min => Ok(a.min(b)),
        FloorDiv | CeilDiv => divide(op, a, b),
    }
}

/// Floor or ceiling division, checked.
#[inline(never)]
fn divide(op: BinOp, a: i64, b: i64) -> Result<i64, ExprError> {
    if b == 0 {
        return Err(ExprError::DivisionByZero);
    }
    let q = a.checked_div(b).ok_or(ExprError::Overflow)?;
    let inexact = a % b != 0;
    let negative = (a < 0) != (b < 0);
    Ok(match op {
        BinOp::FloorDiv if inexact && negative => q - 1,
        BinOp::CeilDiv if inexact && !negative => q + 1,
        _ => q,
    })
}

#[cfg(test)]
mod program_tests {
    use super::*;

    #[test]
    fn program_agrees_with_the_tree_evaluator() {
        let exprs: Vec<Expr> =
            ["s0 - 1", "(s0 + s1) * 3 floordiv 2", "max(s1, s2) ceildiv 4", "select(s2, s0, -s1)", "7", "s0 + (s1 + (s2 * 2 + s0))", "min(max(s0, 3), s1 - s2)"]
            .iter()
            .map(|t| t.parse().unwrap())
            .collect();
        let program = Program::new(&exprs);
        assert_eq!(program.symbols(), 3);
        let mut out = Vec::new();
        for symbols in [[5, 7, 0], [1, -3, 9], [0, 0, 1]] {
            program.eval_into(&symbols, &mut out).unwrap();
            let expected: Vec<i64> = exprs.iter().map(|e| e.eval(&symbols).unwrap()).collect();
            assert_eq!(out, expected);
        }
        assert_eq!(Program::new(&["s0 floordiv s1".parse().unwrap()]).eval_into(&[1, 0], &mut out), Err(ExprError::DivisionByZero));
        assert!(matches!(program.eval_into(&[1], &mut out), Err(ExprError::UnknownSymbol(2, 1))));
    }

    /// A chain over many symbols (a shape program's sum, min and max over
    /// every column) is one instruction per run of symbols, and agrees with
    /// the tree evaluator, overflow included.
    #[test]
    fn symbol_runs_are_one_instruction() {
        let n = 1000;
        let chain = |f: &dyn Fn(Expr, Expr) -> Expr| (1..n).fold(Expr::Sym(0), |e, k| f(e, Expr::Sym(k)));
        let bin = |op: BinOp| move |a: Expr, b: Expr| Expr::Bin(op, Box::new(a), Box::new(b));
        let exprs = [chain(&bin(BinOp::Add)), chain(&bin(BinOp::Min)), chain(&bin(BinOp::Max)), chain(&bin(BinOp::Mul))];
        let program = Program::new(&exprs);
        // Per expression: its first symbol, one run, the store.
        assert_eq!(program.len(), 4 * 3);
        let mut out = Vec::new();
        let mut symbols: Vec<i64> = (0..n as i64).map(|k| (k * 7919) % 1009 - 500).collect();
        symbols[3] = 0;
        program.eval_into(&symbols, &mut out).unwrap();
        let want: Vec<i64> = exprs.iter().map(|e| e.eval(&symbols).unwrap()).collect();
        assert_eq!(out, want);
        // An overflow part way along is the tree's overflow.
        symbols[10] = i64::MAX;
        symbols[11] = 1;
        assert_eq!(program.eval_into(&symbols, &mut out), Err(ExprError::Overflow));
        assert_eq!(exprs[0].eval(&symbols), Err(ExprError::Overflow));
        // A run broken by a constant and a sub-expression keeps its order.
        let mixed: Expr = "s0 + s1 + 5 + s2 + s3 + (s0 * 2) + s1".parse().unwrap();
        let program = Program::new(&[mixed.clone()]);
        for symbols in [[1, 2, 3, 4], [i64::MAX, -1, 1, 0], [-7, 0, 9, 2]] {
            assert_eq!(program.eval_into(&symbols, &mut out).map(|()| out[0]), mixed.eval(&symbols));
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Values where integer arithmetic goes wrong: zero, ±1, the limits.
    fn edge() -> impl Strategy<Value = i64> {
        prop_oneof![Just(0i64), Just(1), Just(-1), Just(2), Just(i64::MAX), Just(i64::MIN), Just(i64::MAX / 2 + 1), -9i64..9, any::<i64>()]
    }

    /// Trees as the parser makes them (it folds `-4` into a constant, and no
    /// constant is i64::MIN, which has no literal), over four symbols.
    fn expr() -> impl Strategy<Value = Expr> {
        let leaf = prop_oneof![edge().prop_map(|c| Expr::Const(c.checked_abs().unwrap_or(i64::MAX))), (0usize..4).prop_map(Expr::Sym)];
        leaf.prop_recursive(6, 48, 3, |inner| {
            let op = prop_oneof![
                Just(BinOp::Add),
                Just(BinOp::Sub),
                Just(BinOp::Mul),
                Just(BinOp::FloorDiv),
                Just(BinOp::CeilDiv),
                Just(BinOp::Max),
                Just(BinOp::Min)
            ];
            prop_oneof![
                inner.clone().prop_map(|e| match e {
                    Expr::Const(c) => Expr::Const(-c),
                    e => Expr::Neg(Box::new(e)),
                }),
                (op, inner.clone(), inner.clone()).prop_map(|(op, a, b)| Expr::Bin(op, Box::new(a), Box::new(b))),
                (inner.clone(), inner.clone(), inner).prop_map(|(c, a, b)| Expr::Select(Box::new(c), Box::new(a), Box::new(b))),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// The compiled program (what the runtime runs per request) and the
        /// tree evaluator (what the compiler and the tests use) agree on
        /// every value and every error, including division by zero under a
        /// `select` and overflow in reassociated chains.
        #[test]
        fn program_equals_tree(exprs in prop::collection::vec(expr(), 1..4), symbols in prop::collection::vec(edge(), 4)) {
            let program = Program::new(&exprs);
            let mut out = Vec::new();
            let got = program.eval_into(&symbols, &mut out).map(|()| out.clone());
            let want: Result<Vec<i64>, ExprError> = exprs.iter().map(|e| e.eval(&symbols)).collect();
            prop_assert_eq!(got, want);
        }

        /// Printing then parsing gives the same tree.
        #[test]
        fn display_parses_back(e in expr()) {
            let text = e.to_string();
            prop_assert_eq!(text.parse::<Expr>(), Ok(e), "{}", text);
        }
    }

    #[test]
    fn guarded_division_by_zero_is_not_an_error() {
        let e: Expr = "select(s0, s1, s1 floordiv s2)".parse().unwrap();
        assert_eq!(e.eval(&[1, 7, 0]), Ok(7));
        let mut out = Vec::new();
        assert_eq!(Program::new(&[e]).eval_into(&[1, 7, 0], &mut out), Ok(()));
        assert_eq!(out, [7]);
    }
}
