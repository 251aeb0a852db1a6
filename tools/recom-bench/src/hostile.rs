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
