//! The host shape program of a compiled model (`symshape.shape_construct`,
//! made by `emb-shape-construct`): expressions over the request's symbols
//! (each column's offsets and ids lengths) that give every size the runtime
//! needs — batch, packed buffers, output, the kernel's grid. Parsed once
//! when a model loads, evaluated per request with checked arithmetic.
use recom_abi::request::{ColumnInput, InputError};
use recom_expr::{Expr, Program};
use serde::{Deserialize, Serialize};

/// What a symbol of the program is, per request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShapeSymbol {
    /// Length of column `c`'s row offsets (B + 1).
    OffsetsLen(usize),
    /// Number of column `c`'s ids.
    IdsLen(usize),
}

impl ShapeSymbol {
    /// The column whose input the symbol measures.
    pub fn column(&self) -> usize {
        match *self {
            ShapeSymbol::OffsetsLen(c) | ShapeSymbol::IdsLen(c) => c,
        }
    }
}

/// The program as the compiler wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShapeProgram {
    pub symbols: Vec<ShapeSymbol>,
    /// In `shape_construct` syntax (`s<k>` = symbol k).
    pub exprs: Vec<String>,
    /// What each expression sizes: "batch", "ids", "offsets", "weights",
    /// "output", "grid_x", "batch_min", "batch_max" (over the columns).
    pub roles: Vec<String>,
}

/// The sizes of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Sizes {
    pub batch: usize,
    pub ids: usize,
    pub offsets: usize,
    pub weights: usize,
    pub output: usize,
    pub grid_x: usize,
}

/// A parsed program, compiled to a flat instruction list.
#[derive(Clone, Debug)]
pub struct CompiledShapes {
    symbols: Vec<ShapeSymbol>,
    program: Program,
    /// Index of each named size's result.
    index: [usize; 8],
    columns: usize,
}

const ROLES: [&str; 8] = ["batch", "ids", "offsets", "weights", "output", "grid_x", "batch_min", "batch_max"];

impl ShapeProgram {
    /// Parses and compiles the expressions; the error names the bad one.
    pub fn compile(&self) -> Result<CompiledShapes, String> {
        let exprs = self
            .exprs
            .iter()
            .enumerate()
            .map(|(i, e)| e.parse::<Expr>().map_err(|err| format!("shape program expression {i} ({e:?}): {err}")))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some((i, e)) = exprs.iter().enumerate().find(|(_, e)| e.max_symbol().is_some_and(|k| k >= self.symbols.len())) {
            return Err(format!("shape program expression {i} uses s{} of {} symbols", e.max_symbol().unwrap(), self.symbols.len()));
        }
        let mut index = [0; 8];
        for (slot, role) in index.iter_mut().zip(ROLES) {
            *slot = self.roles.iter().position(|r| r == role).ok_or_else(|| format!("shape program has no '{role}'"))?;
        }
        let columns = self
            .symbols
            .iter()
            .map(|s| match s {
                ShapeSymbol::OffsetsLen(c) | ShapeSymbol::IdsLen(c) => c + 1,
            })
            .max()
            .unwrap_or(0);
        Ok(CompiledShapes { symbols: self.symbols.clone(), program: Program::new(&exprs), index, columns })
    }
}

impl CompiledShapes {
    /// Evaluates the program on a request's column inputs. Every column
    /// must have the program's batch.
    pub fn evaluate(&self, inputs: &[ColumnInput]) -> Result<Sizes, InputError> {
        if inputs.len() != self.columns {
            return Err(InputError::ColumnCount { expected: self.columns, got: inputs.len() });
        }
        let values: Vec<i64> = self
            .symbols
            .iter()
            .map(|s| match *s {
                ShapeSymbol::OffsetsLen(c) => inputs[c].offsets.len() as i64,
                ShapeSymbol::IdsLen(c) => inputs[c].ids.len() as i64,
            })
            .collect();
        let mut out = Vec::new();
        self.program
            .eval_into(&values, &mut out)
            .map_err(|e| InputError::BadColumn { column: 0, problem: format!("shape program: {e}") })?;
        let size = |role: usize| -> Result<usize, InputError> {
            let v = out[self.index[role]];
            usize::try_from(v).map_err(|_| InputError::BadColumn {
                column: 0,
                problem: format!("shape program: {} is {v} (a column has no row offsets)", ROLES[role]),
            })
        };
        let batch = size(0)?;
        if size(6)? != batch || size(7)? != batch {
            // Name the first column that disagrees.
            let (c, rows) = inputs
                .iter()
                .enumerate()
                .map(|(c, i)| (c, i.offsets.len().saturating_sub(1)))
                .find(|&(_, rows)| rows != batch)
                .unwrap_or((0, batch));
            return Err(InputError::BadColumn { column: c, problem: format!("{rows} rows, but column 0 has {batch}") });
        }
        Ok(Sizes { batch, ids: size(1)?, offsets: size(2)?, weights: size(3)?, output: size(4)?, grid_x: size(5)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program() -> CompiledShapes {
        ShapeProgram {
            symbols: vec![ShapeSymbol::OffsetsLen(0), ShapeSymbol::OffsetsLen(1), ShapeSymbol::IdsLen(0), ShapeSymbol::IdsLen(1)],
            exprs: ["s0 - 1", "s2 + s3", "s0 + s1", "s3", "(s0 - 1) * 12", "(s0 - 1) ceildiv 2", "min(s0, s1) - 1", "max(s0, s1) - 1"]
                .map(String::from)
                .to_vec(),
            roles: ["batch", "ids", "offsets", "weights", "output", "grid_x", "batch_min", "batch_max"].map(String::from).to_vec(),
        }
        .compile()
        .unwrap()
    }

    fn column(ids: usize, rows: usize) -> ColumnInput {
        ColumnInput { ids: vec![0; ids], offsets: vec![0; rows + 1], weights: None, bytes: None }
    }

    #[test]
    fn sizes_of_a_request() {
        let sizes = program().evaluate(&[column(5, 3), column(2, 3)]).unwrap();
        assert_eq!(sizes, Sizes { batch: 3, ids: 7, offsets: 8, weights: 2, output: 36, grid_x: 2 });
    }

    #[test]
    fn columns_must_agree_on_the_batch() {
        let e = program().evaluate(&[column(5, 3), column(2, 4)]).unwrap_err();
        assert_eq!(e.to_string(), "column 1: 4 rows, but column 0 has 3");
    }

    #[test]
    fn bad_programs_are_errors() {
        let bad = ShapeProgram { symbols: vec![], exprs: vec!["s0 +".into()], roles: vec!["batch".into()] };
        assert!(bad.compile().unwrap_err().contains("expression 0"));
    }
}
