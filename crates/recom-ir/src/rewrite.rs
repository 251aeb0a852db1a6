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
/// rewrite). `pass` names the pass in the error if the driver does not
/// converge. A pattern that panics does not unwind into MLIR's driver (that
/// would abort the process): the panic becomes an error located at the op
/// it was rewriting, the op is left alone, and the pass fails.
pub fn apply(pass: &str, root: OperationRef, patterns: &[Pattern]) -> Result<(), PassFailure> {
    use std::sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    };
    let panicked = Arc::new(AtomicBool::new(false));
    // `to_ref` borrows the ContextRef: keep it alive for as long as `context`.
    let context_ref = root.context();
    let context = unsafe { context_ref.to_ref() };
    let set = RewritePatternSet::new(context);
    for pattern in patterns {
        let (rewrite, root_name, pass_name, panicked) = (pattern.rewrite, pattern.root, pass.to_string(), panicked.clone());
        set.add(melior::create_op_rewrite_pattern(
            pattern.root,
            1,
            context,
            move |_, op, rewriter| {
                let op = unsafe { OperationRef::from_raw(op) };
                let rewriter = unsafe { PatternRewriter::from_raw(rewriter) };
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rewrite(op, rewriter))) {
                    Ok(matched) => matched,
                    Err(payload) => {
                        let what = payload
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| payload.downcast_ref::<String>().cloned())
                            .unwrap_or_default();
                        emit_error(op.location(), &format!("internal error: {pass_name}'s pattern on {root_name} failed: {what}"));
                        panicked.store(true, Ordering::Relaxed);
                        false
                    }
                }
            },
            pattern.generates,
        ));
    }
    let config = GreedyRewriteDriverConfig::new();
    config.enable_folding(false);
    melior::apply_patterns_and_fold_greedily_with_op(root, set.freeze(), &config).map_err(|_| {
        emit_error(root.location(), &format!("{pass}: the rewrite did not converge"));
        PassFailure
    })?;
    if panicked.load(Ordering::Relaxed) {
        return Err(PassFailure);
    }
    Ok(())
}
