//! The host program as data: a straight-line program in SSA form. Each
//! [`HostStep`] applies one [`HostOp`] to values that are model inputs
//! ([`ValueRef::Feed`]) or results of earlier steps.
use crate::HostOp;
use serde::{Deserialize, Serialize};

/// Element type of a model input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeedType {
    I64,
    F32,
    Str,
}

/// One input of the model function (a raised placeholder).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedSpec {
    /// The TF node name (`recom.feed`), or `arg<N>`.
    pub name: String,
    pub dtype: FeedType,
    /// Static shape, -1 for dynamic dims; `None` if the rank is unknown.
    pub shape: Option<Vec<i64>>,
}

/// A value of the host program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValueRef {
    /// Model input `n`.
    Feed(usize),
    /// Result `result` of step `step` (an earlier step).
    Step { step: usize, result: usize },
}

/// One step: `op` applied to `operands`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostStep {
    pub op: HostOp,
    pub operands: Vec<ValueRef>,
}

/// Where one column's CSR input comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSource {
    pub ids: ValueRef,
    pub row_offsets: ValueRef,
    /// Weighted columns only.
    pub weights: Option<ValueRef>,
}

/// The host program: steps in order, then each column's values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HostProgram {
    pub steps: Vec<HostStep>,
    pub columns: Vec<ColumnSource>,
    /// Values the host program hands to the dense program (a part of the
    /// model's head that runs on the host), each f32 `[B, width]`.
    #[serde(default)]
    pub values: Vec<HostValue>,
    /// The TensorFlow graph the fallback steps ([`HostOp::TfGraph`]) run:
    /// not part of the plan's JSON (the bundle keeps it as a GraphDef file
    /// beside it and attaches it on load).
    #[serde(skip)]
    pub graph: HostGraph,
    /// The program's schedule, made (and the program checked) on its first
    /// run rather than on every request.
    #[serde(skip)]
    pub schedule: ScheduleCache,
}

/// [`HostProgram::schedule`]: the schedule of the program as it was on its
/// first run, with the counts it was made for. A program is not changed
/// after it runs (the runtime changes it only in [`HostProgram::fuse`],
/// before, which starts a new cache; so does a clone); a program whose
/// counts no longer match is scheduled afresh on each run, never run by a
/// stale schedule's slots.
#[derive(Default)]
pub struct ScheduleCache(std::sync::OnceLock<(ScheduleKey, Result<std::sync::Arc<Schedule>, String>)>);

/// What a schedule was made for: the feeds' count and the program's steps,
/// columns and values.
type ScheduleKey = [usize; 4];

impl Clone for ScheduleCache {
    fn clone(&self) -> Self {
        ScheduleCache::default()
    }
}

impl PartialEq for ScheduleCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for ScheduleCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "ScheduleCache(made)" } else { "ScheduleCache(empty)" })
    }
}

/// A value of the host program the dense program reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostValue {
    pub value: ValueRef,
    pub width: usize,
}

/// The graph of [`HostProgram::graph`], shared between clones of a plan.
#[derive(Clone, Debug, Default)]
pub struct HostGraph(pub Option<std::sync::Arc<recom_tf_eval::Graph>>);

impl PartialEq for HostGraph {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl HostProgram {
    /// Whether a step runs part of the TensorFlow graph (the program then
    /// needs [`HostProgram::graph`]), and the graph outputs those steps read.
    pub fn tf_outputs(&self) -> Vec<String> {
        self.steps
            .iter()
            .filter_map(|s| match &s.op {
                HostOp::TfGraph { outputs } => Some(outputs.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }
}

impl HostProgram {
    /// Fuses each `StringSplit` whose tokens only one `HashBucket` reads
    /// into one [`HostOp::SplitHashBucket`] step (the tokens are hashed where
    /// they lie instead of being copied out one allocation each), and drops
    /// the `HashBucket` steps so absorbed; every reference is renumbered.
    /// The program computes the same values. Run on every loaded plan.
    pub fn fuse(&mut self) {
        use std::collections::HashMap;
        let n = self.steps.len();
        let mut readers: HashMap<(usize, usize), usize> = HashMap::new();
        let mut count = |v: &ValueRef| {
            if let ValueRef::Step { step, result } = *v {
                *readers.entry((step, result)).or_default() += 1;
            }
        };
        self.steps.iter().flat_map(|s| &s.operands).for_each(&mut count);
        for c in &self.columns {
            [Some(c.ids), Some(c.row_offsets), c.weights].iter().flatten().for_each(&mut count);
        }
        self.values.iter().for_each(|v| count(&v.value));
        let mut removed = vec![false; n];
        let mut alias: HashMap<(usize, usize), (usize, usize)> = HashMap::new();
        for h in 0..n {
            let (HostOp::HashBucket { buckets }, [ValueRef::Step { step: s, result: 1 }]) = (&self.steps[h].op, &self.steps[h].operands[..]) else { continue };
            let (s, buckets) = (*s, *buckets);
            let HostOp::StringSplit { sep, maxsplit } = &self.steps[s].op else { continue };
            if readers.get(&(s, 1)) != Some(&1) {
                continue;
            }
            self.steps[s].op = HostOp::SplitHashBucket { sep: sep.clone(), maxsplit: *maxsplit, buckets };
            removed[h] = true;
            alias.insert((h, 0), (s, 1));
        }
        if alias.is_empty() {
            return;
        }
        self.schedule = ScheduleCache::default();
        let mut index = vec![usize::MAX; n];
        let mut next = 0;
        for (i, r) in removed.iter().enumerate() {
            if !r {
                index[i] = next;
                next += 1;
            }
        }
        let remap = |v: ValueRef| match v {
            ValueRef::Step { step, result } => {
                let (step, result) = alias.get(&(step, result)).copied().unwrap_or((step, result));
                ValueRef::Step { step: index[step], result }
            }
            feed => feed,
        };
        let steps = std::mem::take(&mut self.steps);
        self.steps = steps
            .into_iter()
            .zip(&removed)
            .filter(|(_, r)| !**r)
            .map(|(mut step, _)| {
                step.operands.iter_mut().for_each(|v| *v = remap(*v));
                step
            })
            .collect();
        for c in &mut self.columns {
            c.ids = remap(c.ids);
            c.row_offsets = remap(c.row_offsets);
            c.weights = c.weights.map(remap);
        }
        for v in &mut self.values {
            v.value = remap(v.value);
        }
    }

    /// Checks that every operand is a model input (of `feeds`) or a result
    /// of an earlier step: the program can be evaluated in order. The error
    /// names the step or column.
    pub fn check(&self, feeds: usize) -> Result<(), String> {
        self.schedule(feeds).map(drop)
    }

    /// Each step's level (0: reads only inputs; else one more than the
    /// deepest step it reads): the steps of a level run in parallel on a
    /// large request, one level after another.
    pub fn step_levels(&self, feeds: usize) -> Result<Vec<usize>, String> {
        let schedule = self.schedule(feeds)?;
        let mut level = vec![0; self.steps.len()];
        for (l, bounds) in schedule.levels.windows(2).enumerate() {
            for &i in &schedule.order[bounds[0]..bounds[1]] {
                level[i] = l;
            }
        }
        Ok(level)
    }

    /// The program checked and scheduled for `feeds` inputs: made once
    /// ([`ScheduleCache`]), then shared by every request.
    pub(crate) fn schedule(&self, feeds: usize) -> Result<std::sync::Arc<Schedule>, String> {
        let key = [feeds, self.steps.len(), self.columns.len(), self.values.len()];
        let (made_for, schedule) = self.schedule.0.get_or_init(|| (key, self.make_schedule(feeds).map(std::sync::Arc::new)));
        if *made_for == key {
            schedule.clone()
        } else {
            self.make_schedule(feeds).map(std::sync::Arc::new)
        }
    }

    /// Checks the program ([`HostProgram::check`]) and schedules it, in one
    /// pass over its steps.
    fn make_schedule(&self, feeds: usize) -> Result<Schedule, String> {
        let n = self.steps.len();
        let (mut level, mut first, mut origin) = (Vec::with_capacity(n), Vec::with_capacity(n + 1), Vec::with_capacity(n));
        first.push(0);
        for (i, step) in self.steps.iter().enumerate() {
            step.op.check().map_err(|e| format!("host step {i} ({:?}): {e}", step.op))?;
            let mut deepest = 0;
            for &v in &step.operands {
                match v {
                    ValueRef::Feed(n) if n < feeds => {}
                    ValueRef::Step { step: s, result } if s < i && result < first[s + 1] - first[s] => deepest = deepest.max(level[s] + 1),
                    bad => return Err(format!("host step {i} ({:?}) reads {bad:?}, which is not an input or an earlier result", step.op)),
                }
            }
            level.push(deepest);
            origin.push(match step.operands.first() {
                Some(&ValueRef::Feed(n)) => n,
                Some(&ValueRef::Step { step: s, .. }) => origin[s],
                None => 0,
            });
            first.push(first[i] + step.op.result_count());
        }
        let valid = |value: &ValueRef| match *value {
            ValueRef::Feed(n) => n < feeds,
            ValueRef::Step { step, result } => step < n && result < first[step + 1] - first[step],
        };
        for (k, v) in self.values.iter().enumerate() {
            if !valid(&v.value) || v.width == 0 {
                return Err(format!("host value {k} reads {:?} (width {}), which is not an input or a step's result", v.value, v.width));
            }
        }
        let mut readers = vec![0u32; first[n]];
        for (c, column) in self.columns.iter().enumerate() {
            // Each value in turn (an array of the three, flattened, was
            // copied through the stack: a stall per column).
            let mut read = |v: ValueRef| match v {
                _ if !valid(&v) => Err(format!("column {c} reads {v:?}, which is not an input or a step's result")),
                ValueRef::Step { step, result } => {
                    readers[first[step] + result] += 1;
                    Ok(())
                }
                ValueRef::Feed(_) => Ok(()),
            };
            read(column.ids)?;
            read(column.row_offsets)?;
            column.weights.map(read).transpose()?;
        }
        // A counting sort by level (stable: program order within a level).
        let depth = level.iter().max().map_or(0, |l| l + 1);
        let mut levels = vec![0usize; depth + 1];
        for &l in &level {
            levels[l + 1] += 1;
        }
        for l in 0..depth {
            levels[l + 1] += levels[l];
        }
        let mut next = levels.clone();
        let mut order = vec![0; n];
        for (i, &l) in level.iter().enumerate() {
            order[next[l]] = i;
            next[l] += 1;
        }
        Ok(Schedule { order, levels, first, origin, readers })
    }
}

/// How a checked program runs, from its structure alone (the same for
/// every request): the order of its steps, where their results are kept
/// and the input each derives from.
pub(crate) struct Schedule {
    /// The steps level by level, each level in program order: a step reads
    /// only inputs and results of steps of lower levels, so a level's steps
    /// can run in parallel, and a request's error is the first one in this
    /// order however its steps ran.
    pub(crate) order: Vec<usize>,
    /// Where each level starts in `order`, then `order.len()`.
    pub(crate) levels: Vec<usize>,
    /// Result `r` of step `i` is kept in slot `first[i] + r`; the slots'
    /// count last.
    pub(crate) first: Vec<usize>,
    /// The input each step derives from (its first operand's): the one an
    /// error about its results names.
    pub(crate) origin: Vec<usize>,
    /// How many columns read each slot (one reader's result moves into its
    /// column).
    pub(crate) readers: Vec<u32>,
}

impl Schedule {
    pub(crate) fn slot(&self, step: usize, result: usize) -> usize {
        self.first[step] + result
    }

    pub(crate) fn slots(&self) -> usize {
        self.first[self.first.len() - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_read_only_inputs_and_earlier_results() {
        let step = |operands| HostStep { op: HostOp::CooRows, operands };
        let column = |ids| ColumnSource { ids, row_offsets: ValueRef::Step { step: 0, result: 0 }, weights: None };
        let ok = HostProgram { steps: vec![step(vec![ValueRef::Feed(1)])], columns: vec![column(ValueRef::Feed(0))], values: Vec::new(), graph: Default::default(), schedule: Default::default() };
        assert_eq!(ok.check(2), Ok(()));
        assert!(ok.check(1).unwrap_err().contains("host step 0"));
        let forward = HostProgram { steps: vec![step(vec![ValueRef::Step { step: 0, result: 0 }])], columns: vec![], values: Vec::new(), graph: Default::default(), schedule: Default::default() };
        assert!(forward.check(2).is_err());
        let no_result = HostProgram {
            steps: vec![step(vec![ValueRef::Feed(1)])],
            columns: vec![column(ValueRef::Step { step: 0, result: 1 })], values: Vec::new(), graph: Default::default(), schedule: Default::default() };
        assert!(no_result.check(2).unwrap_err().starts_with("column 0"));
    }

    #[test]
    fn schedules_are_made_once_and_never_stale() {
        use std::sync::Arc;
        let step = |operands| HostStep { op: HostOp::CooRows, operands };
        let column = |ids| ColumnSource { ids, row_offsets: ValueRef::Step { step: 0, result: 0 }, weights: None };
        let mut program = HostProgram { steps: vec![step(vec![ValueRef::Feed(1)])], columns: vec![column(ValueRef::Feed(0))], ..Default::default() };
        let first = program.schedule(2).unwrap();
        assert!(Arc::ptr_eq(&first, &program.schedule(2).unwrap()), "made once");
        // Other counts than it was made for: checked and scheduled afresh.
        assert!(matches!(program.schedule(1), Err(e) if e.contains("host step 0")));
        program.steps.push(step(vec![ValueRef::Step { step: 0, result: 0 }]));
        let grown = program.schedule(2).unwrap();
        assert_eq!((grown.order.len(), first.order.len()), (2, 1));
        program.steps[1].operands = vec![ValueRef::Step { step: 1, result: 0 }];
        assert!(matches!(program.schedule(2), Err(e) if e.contains("host step 1")), "a grown program is checked on each run");
        // A clone (and a fused program) starts a cache of its own.
        program.steps.pop();
        let clone = program.clone();
        assert_eq!(format!("{:?}", clone.schedule), "ScheduleCache(empty)");
        assert!(!Arc::ptr_eq(&first, &clone.schedule(2).unwrap()));
    }
}
