# lit configuration for recom's FileCheck tests.
#
# Run through `cargo test -p recom-opt --test lit`, which builds recom-opt and
# passes its path in RECOM_OPT. Directly: RECOM_OPT=target/debug/recom-opt
# /usr/lib/llvm-22/bin/lit -v lit_tests
import os
import sys

import lit.formats

config.name = "recom"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir"]
config.excludes = ["Inputs", "lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)

recom_opt = os.environ.get("RECOM_OPT")
if not recom_opt or not os.path.isfile(recom_opt):
    lit_config.fatal("set RECOM_OPT to the recom-opt binary (cargo test -p recom-opt --test lit does)")
config.test_exec_root = os.path.join(os.path.dirname(os.path.dirname(recom_opt)), "lit")

llvm_bin = os.path.join(os.environ.get("MLIR_SYS_220_PREFIX", "/usr/lib/llvm-22"), "bin")
config.environment["PATH"] = os.pathsep.join([llvm_bin, os.environ.get("PATH", "")])
# Captures must not leak across CHECK-LABELs.
config.environment["FILECHECK_OPTS"] = "--enable-var-scope --dump-input=fail"
config.substitutions.append(("%recom_opt", recom_opt))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))
config.substitutions.append(("%python", sys.executable))
# The corpus of TensorFlow models lives in shared/, beside the checkout.
corpus = os.path.abspath(os.path.join(config.test_source_root, "..", "..", "shared", "corpus"))
# Tests that read it say `REQUIRES: corpus`; without it they are reported
# UNSUPPORTED, and the reason is printed once.
if os.path.isdir(corpus):
    config.available_features.add("corpus")
else:
    lit_config.note(f"tests that need the TensorFlow corpus are skipped: no {corpus} (shared/ sits beside the checkout)")
config.substitutions.append(("%corpus", corpus))
# Crash reproducers of the reliability issue (shared/notes/reliability-repro).
repro = os.path.abspath(os.path.join(config.test_source_root, "..", "..", "shared", "notes", "reliability-repro"))
if os.path.isdir(repro):
    config.available_features.add("repro")
config.substitutions.append(("%repro", repro))
