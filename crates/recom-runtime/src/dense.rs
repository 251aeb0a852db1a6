//! The dense program ([`recom_abi::dense::DenseProgram`]) on the CPU:
//! GEMMs through `matrixmultiply` (true fp32, blocked and vectorized), the
//! bias and activation applied as the GEMM's epilogue, elementwise maps
//! evaluated row by row from their postfix form.
use recom_abi::dense::{Activation, DenseProgram, Expr, Instr, Operand, Reduction, Step};

/// A value while the program runs: `[batch, width]` (batched) or a weight.
#[derive(Clone, Copy)]
struct View<'a> {
    data: &'a [f32],
    width: usize,
    batched: bool,
}

impl View<'_> {
    /// Element (row, column) with broadcasting.
    #[inline]
    fn at(&self, row: usize, col: usize) -> f32 {
        let r = if self.batched { row } else { 0 };
        let c = if self.width == 1 { 0 } else { col };
        self.data[r * self.width + c]
    }
}

/// The inputs a dense program reads besides its weights.
pub struct DenseInputs<'a> {
    pub batch: usize,
    /// The embedding layer's `[B, width]` output, if the model has one.
    pub embedding: Option<(&'a [f32], usize)>,
    /// The f32 feeds by feed index (`None` for others), `[B, width]` each.
    pub feeds: Vec<Option<(&'a [f32], usize)>>,
    /// The host program's values for the dense program, `[B, width]` each.
    pub host: Vec<(&'a [f32], usize)>,
}

fn view_of<'a>(o: Operand, program: &DenseProgram, weights: &[&'a [f32]], inputs: &DenseInputs<'a>, results: &'a [Vec<f32>]) -> View<'a> {
    match o {
        Operand::Embedding => {
            let (data, width) = inputs.embedding.expect("checked: the model has an embedding layer");
            View { data, width, batched: true }
        }
        Operand::Feed(f) => {
            let (data, width) = inputs.feeds[f].expect("checked: an f32 feed");
            View { data, width, batched: true }
        }
        Operand::Host(h) => {
            let (data, width) = inputs.host[h];
            View { data, width, batched: true }
        }
        Operand::Weight(w) => View { data: weights[w], width: weights[w].len(), batched: false },
        Operand::Step(s) => View { data: &results[s][..], width: program.steps[s].width(), batched: true },
    }
}

/// Runs every step; returns every step's `[B, width]` result. The program
/// must have passed [`DenseProgram::check`] against these inputs (the
/// runtime checks it when the artifact is loaded) and `weights[i]` must
/// hold `program.weights[i]`'s values.
pub fn run(program: &DenseProgram, weights: &[&[f32]], inputs: &DenseInputs) -> Vec<Vec<f32>> {
    let batch = inputs.batch;
    let mut results: Vec<Vec<f32>> = Vec::with_capacity(program.steps.len());
    for step in &program.steps {
        let width = step.width();
        let mut out = vec![0f32; batch * width];
        match step {
            Step::Linear { input, weight, bias, activation, transpose_weight, .. } => {
                let x = view_of(*input, program, weights, inputs, &results);
                let w = weights[*weight];
                let k = x.width;
                let (rsb, csb) = if *transpose_weight { (1, k as isize) } else { (width as isize, 1) };
                if batch > 0 && k > 0 {
                    unsafe {
                        matrixmultiply::sgemm(
                            batch,
                            k,
                            width,
                            1.0,
                            x.data.as_ptr(),
                            k as isize,
                            1,
                            w.as_ptr(),
                            rsb,
                            csb,
                            0.0,
                            out.as_mut_ptr(),
                            width as isize,
                            1,
                        );
                    }
                }
                let bias = bias.map(|b| weights[b]);
                for row in out.chunks_exact_mut(width) {
                    if let Some(bias) = bias {
                        row.iter_mut().zip(bias).for_each(|(o, b)| *o += b);
                    }
                    if *activation == Activation::Relu {
                        row.iter_mut().for_each(|o| {
                            if *o < 0.0 {
                                *o = 0.0
                            }
                        });
                    }
                }
            }
            Step::Map { inputs: operands, expr, .. } => {
                let code = Expr::parse(expr).expect("checked: the expression parses").postfix().code;
                let views: Vec<View> = operands.iter().map(|o| view_of(*o, program, weights, inputs, &results)).collect();
                let mut stack: Vec<Vec<f32>> = Vec::new();
                for r in 0..batch {
                    stack.clear();
                    for instr in &code {
                        match *instr {
                            Instr::Input(i) => stack.push((0..width).map(|c| views[i].at(r, c)).collect()),
                            Instr::Const(v) => stack.push(vec![v; width]),
                            Instr::Call(f) => {
                                if f.arity() == 2 {
                                    let b = stack.pop().expect("postfix arity");
                                    let a = stack.last_mut().expect("postfix arity");
                                    a.iter_mut().zip(&b).for_each(|(a, b)| *a = f.apply(*a, *b));
                                } else {
                                    let a = stack.last_mut().expect("postfix arity");
                                    a.iter_mut().for_each(|a| *a = f.apply(*a, 0.0));
                                }
                            }
                        }
                    }
                    out[r * width..(r + 1) * width].copy_from_slice(&stack[0]);
                }
            }
            Step::Concat { inputs: operands, .. } => {
                let mut at = 0;
                for o in operands {
                    let v = view_of(*o, program, weights, inputs, &results);
                    for r in 0..batch {
                        out[r * width + at..r * width + at + v.width].copy_from_slice(&v.data[r * v.width..(r + 1) * v.width]);
                    }
                    at += v.width;
                }
            }
            Step::Reduce { input, reduction, .. } => {
                let x = view_of(*input, program, weights, inputs, &results);
                for (r, o) in out.iter_mut().enumerate() {
                    let row = &x.data[r * x.width..(r + 1) * x.width];
                    let sum: f32 = row.iter().sum();
                    *o = match reduction {
                        Reduction::Sum => sum,
                        Reduction::Mean => sum / x.width as f32,
                    };
                }
            }
        }
        results.push(out);
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use recom_abi::dense::WeightSpec;

    #[test]
    fn mlp_head() {
        // x [2, 3] -> linear 3x2 + bias, relu -> map sigmoid -> reduce sum
        let program = DenseProgram {
            weights: vec![
                WeightSpec { name: "w".into(), shape: vec![3, 2] },
                WeightSpec { name: "b".into(), shape: vec![2] },
                WeightSpec { name: "wt".into(), shape: vec![2, 3] },
            ],
            steps: vec![
                Step::Linear { input: Operand::Embedding, weight: 0, bias: Some(1), activation: Activation::Relu, transpose_weight: false, width: 2 },
                Step::Map { inputs: vec![Operand::Step(0), Operand::Weight(1)], expr: "sub(x0, x1)".into(), width: 2 },
                Step::Reduce { input: Operand::Step(1), reduction: Reduction::Sum, width: 1 },
                Step::Linear { input: Operand::Embedding, weight: 2, bias: None, activation: Activation::None, transpose_weight: true, width: 2 },
                Step::Concat { inputs: vec![Operand::Step(2), Operand::Step(3)], width: 3 },
            ],
            precision: Default::default(),
        };
        program.check(Some(3), &[], &[]).unwrap();
        let w = [1.0, -1.0, 2.0, 0.0, 0.0, 1.0];
        let b = [0.5, -0.5];
        let wt = [1.0, 2.0, 0.0, -1.0, -1.0, 1.0];
        let x = [1.0, 2.0, 3.0, -1.0, 0.0, 0.0];
        let out = run(&program, &[&w, &b, &wt], &DenseInputs { batch: 2, embedding: Some((&x, 3)), feeds: vec![], host: vec![] });
        // row 0: x·w = [1+4, -1+3] = [5, 2] + b = [5.5, 1.5]; row 1: [-1, 1] + b = [-0.5, 0.5] -> relu [0, 0.5]
        assert_eq!(out[0], vec![5.5, 1.5, 0.0, 0.5]);
        assert_eq!(out[1], vec![5.0, 2.0, -0.5, 1.0]);
        assert_eq!(out[2], vec![7.0, 0.5]);
        // transposed: row 0: [1+4, -1-2+3] = [5, 0]; row 1: [-1, 1]
        assert_eq!(out[3], vec![5.0, 0.0, -1.0, 1.0]);
        assert_eq!(out[4], vec![7.0, 5.0, 0.0, 0.5, -1.0, 1.0]);
    }

    #[test]
    fn bad_programs_are_refused() {
        let linear = |weight, width| Step::Linear { input: Operand::Embedding, weight, bias: None, activation: Activation::None, transpose_weight: false, width };
        let w = vec![WeightSpec { name: "w".into(), shape: vec![3, 2] }];
        for (steps, why) in [
            (vec![linear(0, 3)], "does not map width 3 to 3"),
            (vec![linear(1, 2)], "weight 1 does not exist"),
            (vec![Step::Map { inputs: vec![Operand::Step(0)], expr: "x0".into(), width: 2 }], "does not come before"),
            (vec![Step::Map { inputs: vec![Operand::Embedding], expr: "x1".into(), width: 3 }], "reads x1 of 1 inputs"),
            (vec![Step::Map { inputs: vec![Operand::Weight(0)], expr: "x0".into(), width: 6 }], "no input has a batch"),
            (vec![Step::Concat { inputs: vec![Operand::Embedding], width: 4 }], "total width 3"),
            (vec![Step::Map { inputs: vec![Operand::Feed(2)], expr: "x0".into(), width: 3 }], "feed 2 does not exist"),
        ] {
            let program = DenseProgram { weights: w.clone(), steps, precision: Default::default() };
            let e = program.check(Some(3), &[None], &[]).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
    }
}
