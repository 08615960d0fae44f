//===- Frontend.cpp - reading, parsing and checking files -----------------===//
#include "frontend/Frontend.h"
#include "frontend/Checker.h"
#include "frontend/Schema.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace connectorc;

std::shared_ptr<JsonDocument> Frontend::readAndParse(llvm::StringRef Path) {
  uint64_t Size = 0;
  if (!llvm::sys::fs::file_size(Path, Size) && Size > MaxSpecFileSize) {
    Diags.reportFile(DiagKind::FileTooLarge, Path, Size, MaxSpecFileSize);
    return nullptr;
  }
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> MB =
      llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/true);
  if (!MB || llvm::sys::fs::is_directory(Path)) {
    std::string Why = MB ? "is a directory" : MB.getError().message();
    Diags.reportFile(DiagKind::FileUnreadable, Path, Path, Why);
    Unreadable = true;
    return nullptr;
  }
  if ((*MB)->getBufferSize() > MaxSpecFileSize) { // e.g. a growing pipe
    Diags.reportFile(DiagKind::FileTooLarge, Path, (*MB)->getBufferSize(),
                     MaxSpecFileSize);
    return nullptr;
  }
  unsigned Id =
      Diags.getSourceMgr().AddNewSourceBuffer(std::move(*MB), llvm::SMLoc());
  return JsonDocument::parse(Id, Diags);
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
  std::string Key = canonical(Path);
  if (auto It = Loaded.find(Key); It != Loaded.end())
    return It->second;
  std::shared_ptr<JsonDocument> Doc = readAndParse(Path);
  if (!Doc)
    return nullptr;
  auto W = std::make_shared<spec::Workflow>();
  W->Path = Path.str();
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
