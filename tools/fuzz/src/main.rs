//! `recom-fuzz TARGET [libFuzzer flags] [CORPUS...]` fuzzes one target
//! (`graphdef`, `artifact`, `request`: `recom_fuzz::TARGETS`, which also
//! gives each target's default `-max_len`);
//! `recom-fuzz seeds OUT [CORPUS]` writes their seed corpora.
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// The target this process fuzzes, chosen by the first argument.
static TARGET: OnceLock<&'static recom_fuzz::Target> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    (TARGET.get().expect("a target is chosen before the driver starts").run)(data)
});

fn usage() -> ! {
    let names: Vec<&str> = recom_fuzz::TARGETS.iter().map(|t| t.name).collect();
    eprintln!("usage: recom-fuzz {{{}}} [libFuzzer flags] [CORPUS...]\n       recom-fuzz seeds OUT [CORPUS]", names.join("|"));
    std::process::exit(2)
}

fn main() {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.len() < 2 {
        usage();
    }
    let command = args.remove(1);
    match command.to_str() {
        Some("seeds") => {
            let (Some(out), corpus) = (args.get(1), args.get(2)) else { usage() };
            recom_fuzz::seeds::write_all(out.as_ref(), corpus.map(|c| c.as_ref()));
        }
        Some(name) => {
            let Some(target) = recom_fuzz::TARGETS.iter().find(|t| t.name == name) else { usage() };
            TARGET.set(target).ok();
            if !args.iter().any(|a| a.to_str().is_some_and(|a| a.starts_with("-max_len="))) {
                args.insert(1, format!("-max_len={}", target.max_len).into());
            }
            recom_fuzz::run_driver(args)
        }
        None => usage(),
    }
}
