//! Request bytes → the example model on the CPU. The first byte picks the
//! form: odd, an `.npz` batch file read by name as `recom run` reads it;
//! even, feeds decoded from the bytes (`crate::request`: inputs
//! dropped, repeated or of another dtype, shapes from empty to absurd,
//! values at the edges: NaN, ±inf, −0.0, i64 limits, empty and non-UTF-8
//! strings).
use libfuzzer_sys::arbitrary::Unstructured;
use recom_runtime::npz::Batch;

/// One input.
pub fn run(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else { return };
    crate::with_example(|model| {
        let feeds = if mode & 1 == 1 {
            let path = crate::scratch().join("request.npz");
            std::fs::write(&path, body).expect("scratch write");
            let Ok(mut batch) = Batch::open(&path) else { return };
            let Ok(feeds) = batch.feeds(&model.plan().feeds) else { return };
            feeds
        } else {
            let Ok(feeds) = crate::request(&mut Unstructured::new(body), &model.plan().feeds) else { return };
            feeds
        };
        let _ = model.run(&feeds);
    });
}
