//===- shim.cpp - C entry points the MLIR C API lacks ---------------------===//
//
// recom's passes are written in Rust. The MLIR C API can create an external
// pass but cannot register one by name, give it options, or register a named
// pipeline, so `--pass-pipeline=builtin.module(recom-verify{...})` would not
// parse. This file adds exactly that, a parser entry point that keeps the
// file name in locations and wraps top-level ops in an implicit module, and
// recom-opt's main: MLIR's own MlirOptMain with recom's IRDL dialects, an
// importer for non-MLIR inputs and a translation of the final module, both
// implemented in Rust. Every behaviour lives in Rust; C++ only forwards.
//
//===----------------------------------------------------------------------===//

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Pass.h"
#include "mlir/CAPI/Support.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <unistd.h>
#include <utility>
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

  /// The dialects recom's passes create ops, types or attributes of. The pass
  /// manager loads them before the pass runs: a context that loads dialects
  /// lazily (MlirOptMain's, one per input chunk) would otherwise build them
  /// as unregistered ops. recom's own dialects come from IRDL and are loaded
  /// with the context. Conservative: the same list for every Rust pass.
  void getDependentDialects(mlir::DialectRegistry &registry) const override {
    registry.insert<mlir::affine::AffineDialect, mlir::arith::ArithDialect,
                    mlir::cf::ControlFlowDialect, mlir::func::FuncDialect,
                    mlir::gpu::GPUDialect, mlir::index::IndexDialect,
                    mlir::LLVM::LLVMDialect, mlir::math::MathDialect,
                    mlir::memref::MemRefDialect, mlir::NVVM::NVVMDialect,
                    mlir::scf::SCFDialect, mlir::tensor::TensorDialect,
                    mlir::vector::VectorDialect>();
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
/// Destroys a pass that was never handed to a pass manager.
void recom_destroy_pass(MlirPass pass) { delete unwrap(pass); }
}

extern "C" {
/// Emits a warning (the C API only has mlirEmitError).
void recom_emit_warning(MlirLocation location, const char *message) {
  mlir::emitWarning(unwrap(location)) << message;
}
}

extern "C" {
/// Emits a diagnostic of `severity` (0 error, 1 warning, 2 remark) at
/// `location` with `numNotes` notes, through the context's handlers.
void recom_emit_diagnostic(MlirLocation location, int severity,
                           const char *message, size_t numNotes,
                           const MlirLocation *noteLocations,
                           const char *const *noteMessages) {
  mlir::Location loc = unwrap(location);
  mlir::InFlightDiagnostic diag = severity == 1   ? mlir::emitWarning(loc)
                                  : severity == 2 ? mlir::emitRemark(loc)
                                                  : mlir::emitError(loc);
  diag << message;
  for (size_t i = 0; i < numNotes; ++i)
    diag.attachNote(unwrap(noteLocations[i])) << noteMessages[i];
}
}

//===----------------------------------------------------------------------===//
// recom-opt's main: MLIR's MlirOptMain, plus what recom adds.
//===----------------------------------------------------------------------===//

extern "C" {

/// What a tool built on recom_mlir_opt_main adds to mlir-opt. Strings are
/// NUL-terminated; null callbacks and flags are features the tool lacks.
typedef struct RecomOptMainSpec {
  /// The first line of --help.
  const char *toolDescription;
  /// IRDL text (`irdl.dialect` ops) loaded into every context before parsing.
  const char *irdl;
  size_t irdlLen;
  const void *userData;
  /// A comma-separated list flag (e.g. "tf-outputs") whose values go to
  /// `import`.
  const char *importOption;
  const char *importOptionDescription;
  /// Called with the input file name: returns 0 when the input is not one it
  /// imports (it is read as MLIR), 1 when it wrote MLIR text (printed with
  /// debug locations) to `sink`, 2 when it failed and printed why.
  int (*import)(const void *userData, const char *path,
                const char *const *values, size_t numValues,
                RecomStringSink sink, void *sinkData);
  /// A boolean flag (e.g. "emit-plan"): when given, the module after the
  /// pipeline goes to `translate`, and what it writes to `sink` replaces the
  /// printed IR. On failure it has emitted located diagnostics and returns
  /// false.
  const char *translateFlag;
  const char *translateDescription;
  bool (*translate)(const void *userData, MlirOperation op,
                    RecomStringSink sink, void *sinkData);
  /// Given an error "'x' does not refer to a registered pass or pass
  /// pipeline", writes a hint (e.g. "did you mean: y?") to `sink`, or nothing.
  void (*suggestPass)(const void *userData, const char *message, size_t len,
                      RecomStringSink sink, void *sinkData);
} RecomOptMainSpec;
}

namespace {

/// A string that lives as long as the process (llvm::cl keeps StringRefs to
/// option names and descriptions).
llvm::StringRef persistent(const char *text) {
  return *new std::string(text ? text : "");
}

/// Where translated outputs go: the tool's output, with the output split
/// marker between the outputs of successive --split-input-file chunks.
struct TranslationOutput {
  llvm::raw_ostream *os = nullptr;
  std::string separator;
  unsigned written = 0;
};

/// The last pass of the pipeline under a translation flag: hands the module
/// to Rust and writes the result to the tool's output.
class TranslatePass : public mlir::Pass {
public:
  TranslatePass(const RecomOptMainSpec *spec, TranslationOutput *out)
      : mlir::Pass(mlir::TypeID::getFromOpaquePointer(&spec->translate),
                   std::nullopt),
        spec(spec), out(out) {}
  TranslatePass(const TranslatePass &other)
      : mlir::Pass(other), spec(other.spec), out(other.out) {}

  llvm::StringRef getName() const override { return spec->translateFlag; }
  llvm::StringRef getArgument() const override { return spec->translateFlag; }
  bool canScheduleOn(mlir::RegisteredOperationName) const override {
    return true;
  }

  void runOnOperation() override {
    std::string text;
    if (!spec->translate(spec->userData, wrap(getOperation()), appendToString,
                         &text))
      return signalPassFailure();
    if (out->written++ && !out->separator.empty())
      *out->os << out->separator << "\n";
    *out->os << text;
  }

  std::unique_ptr<mlir::Pass> clonePass() const override {
    return std::make_unique<TranslatePass>(*this);
  }

private:
  const RecomOptMainSpec *spec;
  TranslationOutput *out;
};

/// An imported input's ops are located at named locations (e.g. a TensorFlow
/// node) around a file position with no line (line 0). MLIR's printer shows
/// only `file:0:0`; this names the location in a note.
mlir::LogicalResult noteLocationName(mlir::Diagnostic &diag) {
  if (diag.getSeverity() != mlir::DiagnosticSeverity::Note)
    if (auto name = diag.getLocation()->findInstanceOf<mlir::NameLoc>())
      diag.attachNote(name.getChildLoc())
          << "at '" << name.getName().getValue() << "'";
  return mlir::failure(); // not handled: the tool's printer prints it
}

/// MlirOptMain's configuration from the command line, with recom's additions
/// to its pipeline setup (which runs once per context, i.e. per chunk).
class RecomOptConfig : public mlir::MlirOptMainConfig {
public:
  explicit RecomOptConfig(mlir::MlirOptMainConfig base)
      : mlir::MlirOptMainConfig(std::move(base)) {}

  void addRecomSetup(const RecomOptMainSpec *spec, bool nameNotes,
                     TranslationOutput *translation) {
    std::function<llvm::LogicalResult(mlir::PassManager &)> inner =
        passPipelineCallback;
    passPipelineCallback = [inner, spec, nameNotes, translation](
                               mlir::PassManager &pm) -> llvm::LogicalResult {
      mlir::MLIRContext *context = pm.getContext();
      // Lives as long as the context (the pass diagnostics come later).
      if (nameNotes)
        context->getDiagEngine().registerHandler(noteLocationName);
      {
        // Registered after MlirOptMain's printer, so it sees each pipeline
        // diagnostic first: adds a hint and lets the printer print it.
        mlir::ScopedDiagnosticHandler hints(
            context, [spec](mlir::Diagnostic &diag) {
              if (!spec->suggestPass)
                return mlir::failure();
              std::string message = diag.str();
              if (llvm::StringRef(message).contains(
                      "does not refer to a registered pass")) {
                std::string hint;
                spec->suggestPass(spec->userData, message.data(),
                                  message.size(), appendToString, &hint);
                if (!hint.empty())
                  diag.attachNote() << hint;
              }
              return mlir::failure();
            });
        if (inner && mlir::failed(inner(pm)))
          return mlir::failure();
      }
      if (translation)
        pm.addPass(std::make_unique<TranslatePass>(spec, translation));
      return mlir::success();
    };
  }
};

} // namespace

extern "C" {

/// recom-opt's main; call once per process, after every pass and pipeline is
/// registered (MlirOptMain makes a --<name> flag of each registered one when
/// it registers its options). Returns the exit code: 0 success, 1 failure
/// (llvm::cl exits with 1 itself on a bad flag).
int recom_mlir_opt_main(int argc, char **argv, const RecomOptMainSpec *spec) {
  llvm::sys::PrintStackTraceOnErrorSignal(argv[0]);
  llvm::StringRef tool = llvm::sys::path::filename(argv[0]);

  // What the Rust contexts get from mlirRegisterAllDialects and
  // mlirRegisterAllLLVMTranslations: every upstream dialect, its extensions
  // (interfaces, ConvertToLLVM, NVVM target attributes...) and the LLVM IR
  // translations gpu-module-to-binary needs. Dialects load lazily.
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);

  // The tool's own flags exist before the command line is parsed.
  llvm::cl::list<std::string> *importValues = nullptr;
  if (spec->import && spec->importOption)
    importValues = new llvm::cl::list<std::string>(
        persistent(spec->importOption), llvm::cl::CommaSeparated,
        llvm::cl::value_desc("names"),
        llvm::cl::desc(persistent(spec->importOptionDescription)));
  llvm::cl::opt<bool> *translateFlag = nullptr;
  if (spec->translate && spec->translateFlag)
    translateFlag = new llvm::cl::opt<bool>(
        persistent(spec->translateFlag),
        llvm::cl::desc(persistent(spec->translateDescription)),
        llvm::cl::init(false));

  // Registers MlirOptMain's options (--pass-pipeline, --split-input-file,
  // --verify-diagnostics, --mlir-print-ir-*, a --<name> flag per registered
  // pass and pipeline, ...) and parses the command line.
  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, spec->toolDescription, registry);
  RecomOptConfig config(mlir::MlirOptMainConfig::createFromCLOptions());

  if (config.shouldListPasses() || config.shouldShowDialects()) {
    // MlirOptMain prints and returns before reading any input.
    auto none = llvm::MemoryBuffer::getMemBuffer("", "<none>");
    return mlir::failed(mlir::MlirOptMain(llvm::outs(), std::move(none),
                                          registry, config))
               ? 1
               : 0;
  }
  if (!config.getIrdlFile().empty()) {
    llvm::errs() << tool
                 << ": --irdl-file is not supported (the tool loads its own "
                    "IRDL dialects)\n";
    return 1;
  }

  // The tool's IRDL dialects: MlirOptMain loads an IRDL file into every
  // context it creates, so write the text to a temporary one.
  llvm::SmallString<128> irdlPath;
  int irdlFd = -1;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "recom-dialects", "irdl.mlir", irdlFd, irdlPath)) {
    llvm::errs() << tool << ": cannot create a temporary file for the IRDL "
                 << "dialects: " << ec.message() << "\n";
    return 1;
  }
  llvm::FileRemover removeIrdl(irdlPath);
  {
    llvm::raw_fd_ostream os(irdlFd, /*shouldClose=*/true);
    os << llvm::StringRef(spec->irdl, spec->irdlLen);
    os.flush();
    if (os.has_error()) {
      llvm::errs() << tool << ": cannot write " << irdlPath << ": "
                   << os.error().message() << "\n";
      os.clear_error();
      return 1;
    }
  }
  config.setIrdlFile(irdlPath);

  // The input: imported by the tool, or MLIR (a file or '-').
  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> input;
  bool imported = false;
  if (spec->import) {
    std::vector<const char *> values;
    if (importValues)
      for (const std::string &value : *importValues)
        values.push_back(value.c_str());
    std::string text;
    int result = spec->import(spec->userData, inputFilename.c_str(),
                              values.data(), values.size(), appendToString,
                              &text);
    if (result == 2)
      return 1;
    if (result == 1) {
      // Not named after the input: its locations are the input's, and a
      // position in them must not be looked up in this text.
      input = llvm::MemoryBuffer::getMemBufferCopy(
          text, inputFilename + " (imported)");
      // Imported ops may belong to no registered dialect (tf.*).
      config.allowUnregisteredDialects(true);
      imported = true;
    }
  }
  if (!input) {
    if (inputFilename == "-" &&
        llvm::sys::Process::FileDescriptorIsDisplayed(fileno(stdin)))
      llvm::errs() << "(processing input from stdin now, hit ctrl-c/ctrl-d to "
                      "interrupt)\n";
    input = mlir::openInputFile(inputFilename, &errorMessage);
    if (!input) {
      llvm::errs() << tool << ": " << errorMessage << "\n";
      return 1;
    }
  }

  std::unique_ptr<llvm::ToolOutputFile> output =
      mlir::openOutputFile(outputFilename, &errorMessage);
  if (!output) {
    llvm::errs() << tool << ": " << errorMessage << "\n";
    return 1;
  }

  // Under the translation flag the translation writes the output and the
  // printed IR is dropped.
  TranslationOutput translation;
  bool translating = translateFlag && *translateFlag;
  if (translating) {
    translation.os = &output->os();
    // Through a const reference: the non-const outputSplitMarker() is the
    // setter (with a default argument).
    const mlir::MlirOptMainConfig &settings = config;
    if (!settings.inputSplitMarker().empty())
      translation.separator = settings.outputSplitMarker().str();
  }
  config.addRecomSetup(spec, imported, translating ? &translation : nullptr);

  llvm::raw_ostream &irOutput = translating ? llvm::nulls() : output->os();
  if (mlir::failed(
          mlir::MlirOptMain(irOutput, std::move(input), registry, config)))
    return 1;
  output->keep();
  return 0;
}

} // extern "C"
