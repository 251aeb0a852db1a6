//! GraphDef bytes → read (binary, or text when the first byte is a letter,
//! `#` or a space)
//! → import → raise → fuse → plan → CPU kernel → bundle written.

/// One input.
pub fn run(data: &[u8]) {
    // A binary GraphDef starts with 0x0a (field 1, `node`); text with a
    // field name, a comment or a space.
    let text = data.first().is_some_and(|&b| b.is_ascii_alphabetic() || b == b'#' || b == b' ');
    let dir = crate::scratch();
    let model = dir.join(if text { "model.pbtxt" } else { "model.pb" });
    std::fs::write(&model, data).expect("scratch write");
    let _ = recom::serve::compile_model(&model, &dir.join("model.recom"), &crate::cpu_options(), &mut |_| {});
}
