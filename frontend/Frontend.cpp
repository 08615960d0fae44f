//===- Frontend.cpp - reading, parsing and checking files -----------------===//
#include "frontend/Frontend.h"
#include "frontend/Checker.h"
#include "frontend/Schema.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace connectorc;

/// Reads what is not a regular file (a pipe, /dev/stdin, /dev/zero) a chunk at
/// a time, giving up past \p Limit bytes: such files have no size to check
/// beforehand, and some never end. Sets \p TooLarge when it gave up.
static llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>>
readStream(llvm::StringRef Path, size_t Limit, bool &TooLarge) {
  llvm::Expected<llvm::sys::fs::file_t> FD =
      llvm::sys::fs::openNativeFileForRead(Path);
  if (!FD)
    return llvm::errorToErrorCode(FD.takeError());
  llvm::SmallString<0> Text;
  constexpr size_t Chunk = 64 << 10;
  std::error_code EC;
  while (Text.size() <= Limit) {
    size_t Old = Text.size();
    Text.resize_for_overwrite(Old + Chunk);
    llvm::Expected<size_t> N = llvm::sys::fs::readNativeFile(
        *FD, llvm::makeMutableArrayRef(Text.data() + Old, Chunk));
    if (!N) {
      EC = llvm::errorToErrorCode(N.takeError());
      break;
    }
    Text.truncate(Old + *N);
    if (*N == 0)
      break;
  }
  llvm::sys::fs::closeFile(*FD);
  if (EC)
    return EC;
  TooLarge = Text.size() > Limit;
  if (TooLarge)
    return std::unique_ptr<llvm::MemoryBuffer>();
  return llvm::MemoryBuffer::getMemBufferCopy(Text, Path);
}

/// Reads \p Path, reporting why it cannot be: unreadable (a usage error) or
/// larger than any real workflow.
std::unique_ptr<llvm::MemoryBuffer> Frontend::readFile(llvm::StringRef Path) {
  llvm::sys::fs::file_status Status;
  std::error_code StatError = llvm::sys::fs::status(Path, Status);
  if (!StatError && llvm::sys::fs::is_directory(Status)) {
    Diags.reportFile(DiagKind::FileUnreadable, Path, Path,
                     std::make_error_code(std::errc::is_a_directory).message());
    Unreadable = true;
    return nullptr;
  }
  // Files in /proc say they are empty; read them like a pipe.
  bool Regular = !StatError && llvm::sys::fs::is_regular_file(Status) &&
                 Status.getSize() != 0;
  if (Regular && Status.getSize() > MaxSpecFileSize) {
    Diags.reportFile(DiagKind::FileTooLarge, Path, Status.getSize(),
                     MaxSpecFileSize);
    return nullptr;
  }
  bool TooLarge = false;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> MB =
      Regular ? llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/true)
              : readStream(Path, MaxSpecFileSize, TooLarge);
  if (!MB) {
    Diags.reportFile(DiagKind::FileUnreadable, Path, Path,
                     MB.getError().message());
    Unreadable = true;
    return nullptr;
  }
  if (TooLarge || (*MB)->getBufferSize() > MaxSpecFileSize) { // it grew
    Diags.reportFile(DiagKind::FileTooLarge, Path,
                     TooLarge ? MaxSpecFileSize + 1 : (*MB)->getBufferSize(),
                     MaxSpecFileSize);
    return nullptr;
  }
  return std::move(*MB);
}

/// The workflow name a file implies: "review.connector.json" → "review".
static std::string nameFromPath(llvm::StringRef Path) {
  llvm::StringRef Stem = llvm::sys::path::filename(Path);
  for (llvm::StringRef Ext : {".connector.json", ".json"})
    if (Stem.consume_back(Ext))
      break;
  return Stem.str();
}

static std::string canonical(llvm::StringRef Path) {
  llvm::SmallString<256> Real;
  if (llvm::sys::fs::real_path(Path, Real))
    return Path.str();
  return std::string(Real);
}

std::shared_ptr<spec::Workflow> Frontend::load(llvm::StringRef Path) {
  if (auto It = Loaded.find(canonical(Path)); It != Loaded.end())
    return It->second;
  std::unique_ptr<llvm::MemoryBuffer> MB = readFile(Path);
  if (!MB)
    return nullptr;
  return loadBuffer(std::move(MB));
}

std::shared_ptr<spec::Workflow>
Frontend::loadBuffer(std::unique_ptr<llvm::MemoryBuffer> Buffer) {
  std::string Path = Buffer->getBufferIdentifier().str();
  if (Buffer->getBufferSize() > MaxSpecFileSize) {
    Diags.reportFile(DiagKind::FileTooLarge, Path, Buffer->getBufferSize(),
                     MaxSpecFileSize);
    return nullptr;
  }
  std::string Key = canonical(Path);
  unsigned Id =
      Diags.getSourceMgr().AddNewSourceBuffer(std::move(Buffer), llvm::SMLoc());
  std::shared_ptr<JsonDocument> Doc = JsonDocument::parse(Id, Diags);
  if (!Doc)
    return nullptr;
  auto W = std::make_shared<spec::Workflow>();
  W->Path = Path;
  W->Dir = llvm::sys::path::parent_path(Path).str();
  W->Name = nameFromPath(Path);
  W->Doc = std::move(Doc);
  W->Root = &W->Doc->root();
  Loaded[Key] = W;
  Loading.push_back(Key);
  check(*W);
  Loading.pop_back();
  return W;
}

void Frontend::check(spec::Workflow &W) {
  validateAgainstSchema(*W.Doc, *W.Root, Diags);
  Checker(W, *this).run();
}

std::shared_ptr<spec::Workflow> Frontend::loadTeam(llvm::StringRef Path,
                                                   const rapidjson::Value &From,
                                                   const JsonDocument &FromDoc) {
  std::string Key = canonical(Path);
  if (auto It = llvm::find(Loading, Key); It != Loading.end()) {
    std::string Chain;
    for (auto I = It; I != Loading.end(); ++I)
      Chain += llvm::sys::path::filename(*I).str() + " → ";
    Chain += llvm::sys::path::filename(Key).str();
    Diags.report(DiagKind::TeamCycle, FromDoc.rangeOf(From), Chain);
    return nullptr;
  }
  return load(Path);
}
