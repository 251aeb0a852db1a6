//===- shim.cpp - C entry points the MLIR C API lacks ---------------------===//
//
// recom's passes are written in Rust. The MLIR C API can create an external
// pass but cannot register one by name, give it options, or register a named
// pipeline, so `--pass-pipeline=builtin.module(recom-verify{...})` would not
// parse. This file adds exactly that, plus a parser entry point that keeps
// the file name in locations and wraps top-level ops in an implicit module.
// Every behaviour lives in Rust; C++ only forwards.
//
//===----------------------------------------------------------------------===//

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Pass.h"
#include "mlir/CAPI/Support.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include <cstdio>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

extern "C" {

/// Receives a string from C++ (error messages, pipeline text).
typedef void (*RecomStringSink)(void *sinkData, const char *data, size_t len);

/// A pass implemented in Rust. All strings are NUL-terminated and live as
/// long as the process (the Rust registry leaks them on purpose).
typedef struct RecomPassSpec {
  const char *argument;
  const char *name;
  const char *description;
  /// Operation name the pass is anchored on, or "" for any operation.
  const char *anchor;
  size_t numOptions;
  const char *const *optionNames;
  const char *const *optionDescriptions;
  const char *const *optionDefaults;
  const void *userData;
  /// Checks option values; on failure writes a message to `sink`.
  bool (*validate)(const void *userData, const char *const *values,
                   size_t numValues, RecomStringSink sink, void *sinkData);
  /// Runs the pass on `op`; returns false to signal pass failure (the Rust
  /// side has emitted located diagnostics already).
  bool (*run)(const void *userData, MlirOperation op,
              const char *const *values, size_t numValues);
} RecomPassSpec;

/// A named pipeline built in Rust from its option string.
typedef struct RecomPipelineSpec {
  const char *argument;
  const char *description;
  const void *userData;
  /// Writes the textual pipeline (without anchor) to `sink` and returns true,
  /// or writes an error message and returns false.
  bool (*build)(const void *userData, const char *options, size_t optionsLen,
                RecomStringSink sink, void *sinkData);
} RecomPipelineSpec;
}

namespace {

void appendToString(void *sinkData, const char *data, size_t len) {
  static_cast<std::string *>(sinkData)->append(data, len);
}

class RustPass : public mlir::Pass {
public:
  explicit RustPass(const RecomPassSpec *spec)
      : mlir::Pass(mlir::TypeID::getFromOpaquePointer(spec),
                   spec->anchor[0] ? std::optional<llvm::StringRef>(spec->anchor)
                                   : std::nullopt),
        spec(spec) {
    for (size_t i = 0; i < spec->numOptions; ++i)
      options.push_back(std::make_unique<Option<std::string>>(
          *this, spec->optionNames[i],
          llvm::cl::desc(spec->optionDescriptions[i]),
          llvm::cl::init(std::string(spec->optionDefaults[i]))));
  }

  llvm::StringRef getName() const override { return spec->name; }
  llvm::StringRef getArgument() const override { return spec->argument; }
  llvm::StringRef getDescription() const override { return spec->description; }

  bool canScheduleOn(mlir::RegisteredOperationName opName) const override {
    return !spec->anchor[0] || opName.getStringRef() == spec->anchor;
  }

  llvm::LogicalResult initializeOptions(
      llvm::StringRef text,
      llvm::function_ref<llvm::LogicalResult(const llvm::Twine &)> errorHandler)
      override {
    if (mlir::failed(mlir::Pass::initializeOptions(text, errorHandler)))
      return mlir::failure();
    std::vector<std::string> values = optionValues();
    std::vector<const char *> ptrs = pointers(values);
    std::string message;
    if (!spec->validate(spec->userData, ptrs.data(), ptrs.size(),
                        appendToString, &message))
      return errorHandler(message);
    return mlir::success();
  }

  void runOnOperation() override {
    std::vector<std::string> values = optionValues();
    std::vector<const char *> ptrs = pointers(values);
    if (!spec->run(spec->userData, wrap(getOperation()), ptrs.data(),
                   ptrs.size()))
      signalPassFailure();
  }

  std::unique_ptr<mlir::Pass> clonePass() const override {
    return std::make_unique<RustPass>(spec);
  }

private:
  std::vector<std::string> optionValues() const {
    std::vector<std::string> values;
    for (const auto &option : options)
      values.push_back(option->getValue());
    return values;
  }
  static std::vector<const char *> pointers(const std::vector<std::string> &v) {
    std::vector<const char *> ptrs;
    for (const auto &s : v)
      ptrs.push_back(s.c_str());
    return ptrs;
  }

  const RecomPassSpec *spec;
  std::vector<std::unique_ptr<Option<std::string>>> options;
};

} // namespace

extern "C" {

void recom_register_pass(const RecomPassSpec *spec) {
  mlir::registerPass(
      [spec]() -> std::unique_ptr<mlir::Pass> { return std::make_unique<RustPass>(spec); });
}

MlirPass recom_create_pass(const RecomPassSpec *spec) {
  return wrap(static_cast<mlir::Pass *>(new RustPass(spec)));
}

/// Applies `options` (the text between braces in a pipeline) to a pass made by
/// recom_create_pass. Returns false and writes the error to `sink` on failure.
bool recom_pass_set_options(MlirPass pass, MlirStringRef options,
                            RecomStringSink sink, void *sinkData) {
  std::string message;
  auto result = unwrap(pass)->initializeOptions(
      unwrap(options), [&](const llvm::Twine &msg) {
        message = msg.str();
        return mlir::failure();
      });
  if (mlir::failed(result)) {
    sink(sinkData, message.data(), message.size());
    return false;
  }
  return true;
}

void recom_register_pipeline(const RecomPipelineSpec *spec) {
  mlir::registerPassPipeline(
      spec->argument, spec->description,
      [spec](mlir::OpPassManager &pm, llvm::StringRef options,
             llvm::function_ref<llvm::LogicalResult(const llvm::Twine &)>
                 errorHandler) -> llvm::LogicalResult {
        std::string text;
        if (!spec->build(spec->userData, options.data(), options.size(),
                         appendToString, &text))
          return errorHandler(text);
        std::string error;
        llvm::raw_string_ostream os(error);
        if (mlir::failed(mlir::parsePassPipeline(text, pm, os)))
          return errorHandler("pipeline '" + llvm::Twine(spec->argument) +
                              "' expanded to an invalid pipeline: " + error);
        return mlir::success();
      },
      [](llvm::function_ref<void(const mlir::detail::PassOptions &)>) {});
}

/// Parses `source` into a module (top-level ops other than a single
/// builtin.module are wrapped in one). Locations use `name` as the file name.
/// Returns a null module on failure; diagnostics go to the context's handlers.
MlirModule recom_parse_module(MlirContext ctx, MlirStringRef source,
                              MlirStringRef name) {
  mlir::ParserConfig config(unwrap(ctx));
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(unwrap(source), config,
                                              unwrap(name));
  return MlirModule{module.release().getOperation()};
}

/// Writes MLIR's own listing of every registered pass and pipeline (with
/// options) to `sink`. MLIR prints it to stdout; it is captured through a
/// temporary file so callers can search or reformat it.
void recom_registered_passes_text(RecomStringSink sink, void *sinkData) {
  std::fflush(stdout);
  llvm::outs().flush();
  FILE *tmp = std::tmpfile();
  if (!tmp)
    return;
  int saved = dup(STDOUT_FILENO);
  dup2(fileno(tmp), STDOUT_FILENO);
  mlir::printRegisteredPasses();
  llvm::outs().flush();
  std::fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  std::rewind(tmp);
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, tmp)) > 0)
    sink(sinkData, buffer, n);
  std::fclose(tmp);
}
}

extern "C" {
/// Whether diagnostics on an operation print the operation as a note (MLIR's
/// default). Drivers turn it off under --verify-diagnostics, as mlir-opt does.
void recom_context_set_print_op_on_diagnostic(MlirContext ctx, bool enable) {
  unwrap(ctx)->printOpOnDiagnostic(enable);
}
}

extern "C" {
/// Destroys a pass that was never handed to a pass manager.
void recom_destroy_pass(MlirPass pass) { delete unwrap(pass); }
}

extern "C" {
/// Emits a warning (the C API only has mlirEmitError).
void recom_emit_warning(MlirLocation location, const char *message) {
  mlir::emitWarning(unwrap(location)) << message;
}
}
