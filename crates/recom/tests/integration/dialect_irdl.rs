//! The IRDL text of each dialect is generated from its ops' declarations;
//! `dialects/<name>.irdl.mlir` keeps a copy for readers, which must be what
//! the declarations generate.
use recom::ir::IrdlDialect;
use std::path::PathBuf;

fn checked_in(dialect: &IrdlDialect) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../dialects/{}.irdl.mlir", dialect.name))
}

#[test]
fn irdl_files_are_current() {
    for dialect in &recom::DIALECTS {
        let path = checked_in(dialect);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == dialect.irdl(),
            "{} is not the IRDL the op declarations generate; rewrite it with\n  \
             cargo test -p recom --test integration -- --ignored write_irdl_files",
            path.display()
        );
    }
}

/// Rewrites `dialects/*.irdl.mlir` from the declarations.
#[test]
#[ignore = "writes the generated IRDL files; run on purpose"]
fn write_irdl_files() {
    for dialect in &recom::DIALECTS {
        std::fs::write(checked_in(dialect), dialect.irdl()).expect("dialects/ is writable");
    }
}

#[test]
fn every_op_is_registered_once_loaded() {
    let context = recom::create_context().unwrap();
    for dialect in &recom::DIALECTS {
        for op in dialect.all_ops() {
            assert!(context.is_registered_operation(op.name), "{} is not registered", op.name);
        }
    }
}
