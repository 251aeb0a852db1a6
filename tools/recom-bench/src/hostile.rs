//! `recom-bench hostile`: a compiled model on the GPU against hostile
//! requests made from a real batch (`recom_reference::served`), each answer
//! — or refusal — checked against the reference path. Run under
//! compute-sanitizer by `bench/sanitize.sh`: the kernels' memory safety on
//! edge inputs, not only on the benchmark's valid ones.
use recom_reference::served;
use recom_runtime::{bundle::Bundle, npz::Batch, serve::GpuServer};
use std::path::PathBuf;

/// `tolerance`: for the dense outputs, relative (cuBLASLt sums in another
/// order than the CPU dense program); the embedding layer's outputs must be
/// within 1e-6 (the kernel sums in the reference's order).
pub fn hostile(models: &[PathBuf], inputs: &[PathBuf], tolerance: f64) -> Result<(), String> {
    if models.len() != inputs.len() {
        return Err(format!("{} models but {} inputs: give one batch file per model", models.len(), inputs.len()));
    }
    let mut failures = Vec::new();
    for (path, input) in models.iter().zip(inputs) {
        let bundle = Bundle::read(path).map_err(|e| e.to_string())?;
        let server = GpuServer::load(&bundle, 0).map_err(|e| format!("{}: {e}", path.display()))?;
        let reference = served::model(&bundle)?;
        let embedding = served::embedding_outputs(&bundle);
        let specs = &server.plan().feeds;
        let feeds = Batch::open(input).and_then(|mut b| b.feeds(specs)).map_err(|e| e.to_string())?;
        // Concurrent requests (8 threads over the model's lanes) answer
        // exactly as one request alone: no request reads another's buffers.
        let alone = server.run(&feeds).map_err(|e| e.to_string())?;
        let bits = |o: &recom_runtime::serve::Outputs| o.values().flat_map(|(_, v)| v.iter().map(|x| x.to_bits())).collect::<Vec<u32>>();
        let want_bits = bits(&alone);
        let differences: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        (0..25)
                            .filter_map(|_| match server.run(&feeds) {
                                Err(e) => Some(format!("refused: {e}")),
                                Ok(o) if bits(&o) == want_bits => None,
                                Ok(o) => Some(
                                    o.iter()
                                        .filter_map(|(name, (_, got))| {
                                            let want = &alone.get(name)?.1;
                                            let worst = recom_runtime::compare_outputs(got, want).ok().flatten()?;
                                            (worst.3 != 0.0 || got.iter().zip(want).any(|(a, b)| a.to_bits() != b.to_bits()))
                                                .then(|| format!("{name}[{}] = {} vs {} alone", worst.0, worst.1, worst.2))
                                        })
                                        .collect::<Vec<_>>()
                                        .join(", "),
                                ),
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|_| vec!["a request thread panicked".into()])).collect()
        });
        if differences.is_empty() {
            println!("{}: 200 concurrent requests (8 threads, {} lanes): all equal to the request alone", path.display(), server.model().map_or(1, |m| m.lanes()));
        } else {
            println!("{}: concurrent requests: FAILED: {} of 200 differ from the request alone, first: {}", path.display(), differences.len(), differences[0]);
            failures.push(format!("{}: concurrency", path.display()));
        }
        for (name, feeds) in served::hostile_variants(specs, &feeds)? {
            let want = served::outputs(&bundle, &reference, &feeds);
            let got = server.run(&feeds).map_err(|e| e.to_string());
            match served::agree(&got, &want, |out| if embedding.iter().any(|e| e == out) { 1e-6 } else { tolerance }) {
                Ok(text) => println!("{}: {name}: ok, {text}", path.display()),
                Err(text) => {
                    println!("{}: {name}: FAILED on the GPU: {text}", path.display());
                    failures.push(format!("{}: {name}", path.display()));
                }
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} hostile request(s) answered differently from the reference: {}", failures.len(), failures.join("; ")))
    }
}
