//! recom's lean runtime. It links no MLIR or LLVM: a compiled model is a
//! [`plan::Plan`] (tables, columns, kernel metadata) plus kernel code, and
//! this crate prepares each request on the host ([`host`]: the model's host
//! program from named inputs to CSR columns; `recom_abi::request`:
//! validation and packing into the fused layout) and runs it.
pub use recom_host as host;
pub mod bundle;
pub mod dense;
pub mod gpu;
pub mod gpu_dense;
pub mod npz;
pub mod plan;
pub mod serve;
pub mod shape;
pub mod shard;
pub mod tables;
pub mod validate;

/// The worst element of `got` against `want`: its index, both values and
/// the absolute difference; a NaN on one side only is an infinite
/// difference, NaN on both sides none. `Ok(None)` when both are empty, an
/// error when the lengths differ (a short output is never a match).
pub fn compare_outputs(got: &[f32], want: &[f32]) -> Result<Option<(usize, f32, f32, f64)>, String> {
    if got.len() != want.len() {
        return Err(format!("{} values, expected {}", got.len(), want.len()));
    }
    Ok(got
        .iter()
        .zip(want)
        .enumerate()
        .map(|(i, (&g, &w))| {
            let err = match (g.is_nan(), w.is_nan()) {
                (true, true) => 0.0,
                (false, false) if g == w => 0.0,
                (false, false) => (g as f64 - w as f64).abs(),
                _ => f64::INFINITY,
            };
            (i, g, w, err)
        })
        .max_by(|a, b| a.3.total_cmp(&b.3)))
}

/// The request `feeds` (named by `specs`) with `rows` rows: the file's rows
/// repeated or cut. Dense inputs repeat by rows; a SparseTensor
/// (`<f>/indices`, `<f>/values`, `<f>/shape`) repeats its entries with the
/// row index shifted. Used by benchmarks to make any batch size from one file.
pub fn resize_feeds(specs: &[host::FeedSpec], feeds: &[host::Feed], rows: usize) -> Result<Vec<host::Feed>, String> {
    use host::Feed;
    let batch_of = |name: &str| -> Option<usize> {
        let i = specs.iter().position(|s| s.name == name)?;
        match &feeds[i] {
            Feed::I64 { data, .. } if name.ends_with("/shape") => data.first().map(|&d| d.max(0) as usize),
            f => f.shape().first().copied(),
        }
    };
    // The file's batch size: a dense_shape's first element, else a dense input's rows.
    let file_rows = specs
        .iter()
        .filter(|s| s.name.ends_with("/shape"))
        .find_map(|s| batch_of(&s.name))
        .or_else(|| specs.iter().zip(feeds).find(|(s, _)| !s.name.contains('/')).and_then(|(_, f)| f.shape().first().copied()));
    let mut out = Vec::with_capacity(feeds.len());
    for (spec, feed) in specs.iter().zip(feeds) {
        let sparse = spec.name.rsplit_once('/').filter(|(_, part)| matches!(*part, "indices" | "values" | "shape")).map(|(base, part)| (base.to_string(), part));
        if let Some((base, part)) = sparse {
            // The entries of a weights tensor follow the ids it weighs: a
            // values-only feed borrows the rows of the SparseTensor with as
            // many entries — of those, the one whose name shares the longest
            // prefix with its own (`x_w` weighs `x`).
            let len = feed.shape().first().copied().unwrap_or(0);
            let base = if specs.iter().any(|s| s.name == format!("{base}/indices")) {
                base
            } else {
                let shared = |a: &str, b: &str| a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
                specs
                    .iter()
                    .zip(feeds)
                    .filter_map(|(s, f)| s.name.strip_suffix("/indices").map(|b| (b.to_string(), f.shape().first().copied().unwrap_or(0))))
                    .filter(|(_, n)| *n == len)
                    .max_by_key(|(b, _)| shared(b, &base))
                    .map(|(b, _)| b)
                    .ok_or_else(|| format!("input '{}': no SparseTensor with {len} entries to take its rows from", spec.name))?
            };
            // A SparseTensor without a dense_shape input has the request's rows.
            let src_rows = batch_of(&format!("{base}/shape"))
                .or(file_rows)
                .ok_or_else(|| format!("input '{}': no '{base}/shape' and no other input gives the batch size", spec.name))?;
            let Some(i) = specs.iter().position(|s| s.name == format!("{base}/indices")) else { return Err(format!("input '{}': no '{base}/indices'", spec.name)) };
            let Feed::I64 { data: indices, shape: ishape } = &feeds[i] else { return Err(format!("input '{base}/indices' is not int64")) };
            let width = ishape.get(1).copied().unwrap_or(2).max(1);
            // Entries of the new rows: for row r, the entries of source row r % src_rows.
            let mut by_row: Vec<Vec<usize>> = vec![Vec::new(); src_rows];
            for (e, idx) in indices.chunks_exact(width).enumerate() {
                if let Some(list) = usize::try_from(idx[0]).ok().and_then(|r| by_row.get_mut(r)) {
                    list.push(e);
                }
            }
            let mut picks = Vec::new();
            for r in 0..rows {
                if src_rows == 0 {
                    break;
                }
                picks.extend(by_row[r % src_rows].iter().map(|&e| (r as i64, e)));
            }
            out.push(match (part, feed) {
                ("indices", Feed::I64 { .. }) => Feed::I64 {
                    shape: vec![picks.len(), width],
                    data: picks.iter().flat_map(|&(r, e)| std::iter::once(r).chain(indices[e * width + 1..(e + 1) * width].iter().copied())).collect(),
                },
                ("values", Feed::I64 { data, .. }) => Feed::I64 { shape: vec![picks.len()], data: picks.iter().map(|&(_, e)| data[e]).collect() },
                ("values", Feed::F32 { data, .. }) => Feed::F32 { shape: vec![picks.len()], data: picks.iter().map(|&(_, e)| data[e]).collect() },
                ("values", Feed::Str { data, .. }) => Feed::Str { shape: vec![picks.len()], data: picks.iter().map(|&(_, e)| data[e].clone()).collect() },
                ("shape", Feed::I64 { shape, data }) => {
                    let mut data = data.clone();
                    if let Some(first) = data.first_mut() {
                        *first = rows as i64;
                    }
                    Feed::I64 { shape: shape.clone(), data }
                }
                _ => return Err(format!("input '{}': unexpected type for a SparseTensor part", spec.name)),
            });
            continue;
        }
        let shape = feed.shape();
        let Some(&src) = shape.first() else { return Err(format!("input '{}' is a scalar; it has no rows to resize", spec.name)) };
        if src == 0 {
            return Err(format!("input '{}' has no rows to repeat", spec.name));
        }
        let width: usize = shape[1..].iter().product();
        let mut new_shape = shape.to_vec();
        new_shape[0] = rows;
        let pick = |r: usize| (r % src) * width..(r % src + 1) * width;
        out.push(match feed {
            Feed::I64 { data, .. } => Feed::I64 { shape: new_shape, data: (0..rows).flat_map(|r| data[pick(r)].iter().copied()).collect() },
            Feed::F32 { data, .. } => Feed::F32 { shape: new_shape, data: (0..rows).flat_map(|r| data[pick(r)].iter().copied()).collect() },
            Feed::Str { data, .. } => Feed::Str { shape: new_shape, data: (0..rows).flat_map(|r| data[pick(r)].iter().cloned()).collect() },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn compare_outputs_catches_nan_and_short_outputs() {
        use super::compare_outputs;
        assert_eq!(compare_outputs(&[1.0, 2.0], &[1.0, 2.5]), Ok(Some((1, 2.0, 2.5, 0.5))));
        let (i, _, _, err) = compare_outputs(&[1.0, f32::NAN], &[1.0, 2.0]).unwrap().unwrap();
        assert_eq!((i, err), (1, f64::INFINITY));
        assert_eq!(compare_outputs(&[f32::NAN], &[f32::NAN]).unwrap().unwrap().3, 0.0);
        assert!(compare_outputs(&[1.0], &[1.0, 2.0]).unwrap_err().contains("1 values, expected 2"));
        assert_eq!(compare_outputs(&[], &[]), Ok(None));
    }

    use super::*;
    use host::{Feed, FeedSpec, FeedType};

    #[test]
    fn weights_follow_the_ids_they_weigh() {
        // Two SparseTensors with as many entries (3) but other rows; the
        // weights `b_w` (values only) weigh `b`'s ids.
        let spec = |name: &str, dtype| FeedSpec { name: name.into(), dtype, shape: None };
        let specs = [
            spec("a/indices", FeedType::I64),
            spec("a/values", FeedType::I64),
            spec("a/shape", FeedType::I64),
            spec("b/indices", FeedType::I64),
            spec("b/values", FeedType::I64),
            spec("b/shape", FeedType::I64),
            spec("b_w/values", FeedType::F32),
        ];
        let feeds = [
            Feed::I64 { shape: vec![3, 2], data: vec![0, 0, 0, 1, 1, 0] },
            Feed::I64 { shape: vec![3], data: vec![1, 2, 3] },
            Feed::I64 { shape: vec![2], data: vec![2, 2] },
            Feed::I64 { shape: vec![3, 2], data: vec![0, 0, 1, 0, 1, 1] },
            Feed::I64 { shape: vec![3], data: vec![4, 5, 6] },
            Feed::I64 { shape: vec![2], data: vec![2, 2] },
            Feed::F32 { shape: vec![3], data: vec![0.5, 0.25, 0.125] },
        ];
        let one = resize_feeds(&specs, &feeds, 1).unwrap();
        assert_eq!(one[4], Feed::I64 { shape: vec![1], data: vec![4] });
        assert_eq!(one[6], Feed::F32 { shape: vec![1], data: vec![0.5] }, "b's first row has one entry");
    }
}
