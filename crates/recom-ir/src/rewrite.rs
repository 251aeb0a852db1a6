//! Running Rust rewrite patterns from a pass.
use crate::{diagnostics::emit_error, registry::PassFailure};
use melior::{
    ir::operation::{OperationLike, OperationRef},
    GreedyRewriteDriverConfig, PatternRewriter, RewritePatternSet,
};

/// One greedy rewrite pattern: matches ops named `root` and rewrites them
/// with `rewrite` (which returns whether it matched), creating only ops named
/// in `generates`.
pub struct Pattern {
    pub root: &'static str,
    pub generates: &'static [&'static str],
    pub rewrite: for<'c, 'a> fn(OperationRef<'c, 'a>, PatternRewriter) -> bool,
}

/// Applies `patterns` greedily under `root` (folding off: only the patterns
/// rewrite). `pass` names the pass in the error if the driver does not converge.
pub fn apply(pass: &str, root: OperationRef, patterns: &[Pattern]) -> Result<(), PassFailure> {
    // `to_ref` borrows the ContextRef: keep it alive for as long as `context`.
    let context_ref = root.context();
    let context = unsafe { context_ref.to_ref() };
    let set = RewritePatternSet::new(context);
    for pattern in patterns {
        let rewrite = pattern.rewrite;
        set.add(melior::create_op_rewrite_pattern(
            pattern.root,
            1,
            context,
            move |_, op, rewriter| {
                let op = unsafe { OperationRef::from_raw(op) };
                let rewriter = unsafe { PatternRewriter::from_raw(rewriter) };
                rewrite(op, rewriter)
            },
            pattern.generates,
        ));
    }
    let config = GreedyRewriteDriverConfig::new();
    config.enable_folding(false);
    melior::apply_patterns_and_fold_greedily_with_op(root, set.freeze(), &config).map_err(|_| {
        emit_error(root.location(), &format!("{pass}: the rewrite did not converge"));
        PassFailure
    })
}
