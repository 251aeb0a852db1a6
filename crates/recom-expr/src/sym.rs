//! Symbolic dimensions for shape inference: a table of symbols with
//! equalities merged (union-find), and simplifying constructors for shape
//! expressions ([`Expr`]) over them.
use crate::expr::{BinOp, Expr};

/// How a symbol came to be (for its name and the `symshape.symbol` op).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolInfo {
    pub name: String,
    /// Known to be > 0 (for example a dimension that divides another).
    pub non_zero: bool,
}

/// The symbols of one function; every symbol is a size, so >= 0.
#[derive(Clone, Debug, Default)]
pub struct Symbols {
    infos: Vec<SymbolInfo>,
    parent: Vec<usize>,
}

impl Symbols {
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh symbol.
    pub fn fresh(&mut self, name: impl Into<String>) -> Expr {
        self.infos.push(SymbolInfo { name: name.into(), non_zero: false });
        self.parent.push(self.parent.len());
        Expr::Sym(self.parent.len() - 1)
    }

    pub fn len(&self) -> usize {
        self.infos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.infos.is_empty()
    }

    pub fn info(&self, k: usize) -> &SymbolInfo {
        &self.infos[k]
    }

    /// The representative of `k`'s class (the oldest symbol of it).
    pub fn find(&self, mut k: usize) -> usize {
        while self.parent[k] != k {
            k = self.parent[k];
        }
        k
    }

    /// Records `a == b`; returns false when that contradicts what is known
    /// (two different constants), in which case nothing is merged.
    pub fn unify(&mut self, a: &Expr, b: &Expr) -> bool {
        let (a, b) = (self.resolve(a), self.resolve(b));
        match (&a, &b) {
            (Expr::Sym(x), Expr::Sym(y)) => {
                let (x, y) = (*x.min(y), *x.max(y));
                self.parent[y] = x;
                true
            }
            (Expr::Const(x), Expr::Const(y)) => x == y,
            // A symbol equal to a constant or an expression: not tracked
            // (symbols stay generators); consistent by construction.
            _ => true,
        }
    }

    /// `e` with every symbol replaced by its representative, simplified.
    pub fn resolve(&self, e: &Expr) -> Expr {
        match e {
            Expr::Const(_) => e.clone(),
            Expr::Sym(k) => Expr::Sym(self.find(*k)),
            Expr::Neg(x) => sub(&Expr::Const(0), &self.resolve(x)),
            Expr::Bin(op, a, b) => bin(*op, &self.resolve(a), &self.resolve(b)),
            Expr::Select(c, a, b) => {
                Expr::Select(Box::new(self.resolve(c)), Box::new(self.resolve(a)), Box::new(self.resolve(b)))
            }
        }
    }

    /// Whether `a == b` is known.
    pub fn equal(&self, a: &Expr, b: &Expr) -> bool {
        self.resolve(a) == self.resolve(b)
    }
}

/// `a op b`, simplified (constants folded, neutral elements dropped,
/// commutative operands in a canonical order).
pub fn bin(op: BinOp, a: &Expr, b: &Expr) -> Expr {
    match op {
        BinOp::Add => add(a, b),
        BinOp::Sub => sub(a, b),
        BinOp::Mul => mul(a, b),
        BinOp::FloorDiv | BinOp::CeilDiv => div(op, a, b),
        BinOp::Max | BinOp::Min => {
            if a == b {
                return a.clone();
            }
            match (a, b) {
                (Expr::Const(x), Expr::Const(y)) => Expr::Const(if op == BinOp::Max { *x.max(y) } else { *x.min(y) }),
                _ => Expr::Bin(op, Box::new(a.clone()), Box::new(b.clone())),
            }
        }
    }
}

fn ordered(a: &Expr, b: &Expr) -> (Expr, Expr) {
    // Constants last, then by printed form: equal sums print equally.
    let key = |e: &Expr| (matches!(e, Expr::Const(_)), e.to_string());
    if key(a) <= key(b) {
        (a.clone(), b.clone())
    } else {
        (b.clone(), a.clone())
    }
}

pub fn add(a: &Expr, b: &Expr) -> Expr {
    match (a, b) {
        (Expr::Const(x), Expr::Const(y)) if x.checked_add(*y).is_some() => Expr::Const(x + y),
        (Expr::Const(0), e) | (e, Expr::Const(0)) => e.clone(),
        _ => {
            let (a, b) = ordered(a, b);
            Expr::Bin(BinOp::Add, Box::new(a), Box::new(b))
        }
    }
}

pub fn sub(a: &Expr, b: &Expr) -> Expr {
    match (a, b) {
        (Expr::Const(x), Expr::Const(y)) if x.checked_sub(*y).is_some() => Expr::Const(x - y),
        (e, Expr::Const(0)) => e.clone(),
        _ if a == b => Expr::Const(0),
        // (x + c) - c and (c + x) - x
        (Expr::Bin(BinOp::Add, x, y), b) if **y == *b => (**x).clone(),
        (Expr::Bin(BinOp::Add, x, y), b) if **x == *b => (**y).clone(),
        _ => Expr::Bin(BinOp::Sub, Box::new(a.clone()), Box::new(b.clone())),
    }
}

pub fn mul(a: &Expr, b: &Expr) -> Expr {
    match (a, b) {
        (Expr::Const(x), Expr::Const(y)) if x.checked_mul(*y).is_some() => Expr::Const(x * y),
        (Expr::Const(0), _) | (_, Expr::Const(0)) => Expr::Const(0),
        (Expr::Const(1), e) | (e, Expr::Const(1)) => e.clone(),
        _ => {
            let (a, b) = ordered(a, b);
            Expr::Bin(BinOp::Mul, Box::new(a), Box::new(b))
        }
    }
}

fn div(op: BinOp, a: &Expr, b: &Expr) -> Expr {
    match (a, b) {
        (_, Expr::Const(0)) => Expr::Bin(op, Box::new(a.clone()), Box::new(b.clone())),
        (Expr::Const(_), Expr::Const(_)) => {
            Expr::Const(Expr::Bin(op, Box::new(a.clone()), Box::new(b.clone())).eval(&[]).expect("non-zero divisor"))
        }
        (e, Expr::Const(1)) => e.clone(),
        _ if a == b => Expr::Const(1),
        // (x * y) / y and (y * x) / y: exact.
        (Expr::Bin(BinOp::Mul, x, y), b) if **y == *b => (**x).clone(),
        (Expr::Bin(BinOp::Mul, x, y), b) if **x == *b => (**y).clone(),
        _ => Expr::Bin(op, Box::new(a.clone()), Box::new(b.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplification_and_equalities() {
        let mut s = Symbols::new();
        let (b, n, m) = (s.fresh("B"), s.fresh("n"), s.fresh("m"));
        assert_eq!(add(&Expr::Const(2), &Expr::Const(3)), Expr::Const(5));
        assert_eq!(mul(&b, &Expr::Const(1)), b);
        assert_eq!(div(BinOp::FloorDiv, &mul(&n, &Expr::Const(4)), &Expr::Const(4)), n);
        assert_eq!(add(&b, &n), add(&n, &b));
        assert_eq!(sub(&add(&n, &Expr::Const(1)), &Expr::Const(1)), n);
        assert!(!s.equal(&n, &m));
        assert!(s.unify(&m, &n));
        assert!(s.equal(&add(&b, &m), &add(&n, &b)));
        assert_eq!(s.resolve(&m), n);
        assert!(!s.unify(&Expr::Const(2), &Expr::Const(3)));
    }
}
