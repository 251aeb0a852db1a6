//! Passes over imported TensorFlow graphs (`tf.*` ops): raising to `emb`,
//! symbolic shapes, removing redundant work, the coverage report.
//! `tf_match` holds the matching helpers they share.
pub mod tf_check_raised;
pub mod tf_erase_dead;
pub mod tf_host_fallback;
pub mod tf_host_outputs;
pub mod tf_infer_shapes;
pub mod tf_match;
pub mod tf_raise_cross;
pub mod tf_raise_dense;
pub mod tf_raise_dense_inputs;
pub mod tf_raise_feeds;
pub mod tf_raise_id_transforms;
pub mod tf_raise_input_layer;
pub mod tf_raise_keras_lookup;
pub mod tf_raise_lookup;
pub mod tf_remove_fill_empty_rows;
pub mod tf_remove_identity;
pub mod tf_remove_noop_reshape;
pub mod tf_remove_prune;
pub mod tf_remove_unique;
pub mod tf_shape_construct;
