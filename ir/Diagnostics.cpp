//===- Diagnostics.cpp - the diagnostic engine ----------------------------===//
#include "ir/Diagnostics.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace connectorc;

static const DiagInfo Infos[] = {
#define DIAG(Name, Level, RuleId, Format, Summary)                             \
  {DiagKind::Name, DiagLevel::Level, RuleId, Format, Summary},
#include "ir/DiagnosticKinds.def"
};

llvm::ArrayRef<DiagInfo> connectorc::allDiagInfos() { return Infos; }

const DiagInfo &connectorc::getDiagInfo(DiagKind Kind) {
  return Infos[static_cast<unsigned>(Kind)];
}

llvm::StringRef connectorc::levelName(DiagLevel Level) {
  switch (Level) {
  case DiagLevel::Error:
    return "error";
  case DiagLevel::Warning:
    return "warning";
  case DiagLevel::Note:
    return "note";
  }
  llvm_unreachable("unknown diagnostic level");
}

Diagnostic &DiagnosticEngine::add(DiagKind Kind, llvm::SMRange Range,
                                  std::string File, std::string Message) {
  DiagLevel Level = getDiagInfo(Kind).Level;
  if (Level == DiagLevel::Error)
    ++NumErrors;
  else if (Level == DiagLevel::Warning)
    ++NumWarnings;
  Diags.push_back({Kind,
                   Level,
                   resolve(Range),
                   std::move(File),
                   std::move(Message),
                   {},
                   this});
  return Diags.back();
}

Diagnostic &Diagnostic::fixIt(llvm::SMRange R, llvm::StringRef Text) {
  FixIts.push_back({Engine ? Engine->resolve(R) : R, Text.str()});
  return *this;
}

void DiagnosticEngine::removeResolver(const LocResolver *R) {
  llvm::erase_value(Resolvers, R);
}

llvm::SMRange DiagnosticEngine::resolve(llvm::SMRange R) const {
  if (!R.Start.isValid() || SM.FindBufferContainingLoc(R.Start))
    return R;
  for (const LocResolver *Res : Resolvers)
    if (std::optional<llvm::SMRange> Real =
            Res->resolveNode(R.Start.getPointer()))
      return *Real;
  assert(false && "a range outside every buffer that no document knows");
  return {};
}

/// Counts the code points in [Begin, End) of UTF-8 text (continuation bytes
/// are not counted).
static unsigned countCodePoints(const char *Begin, const char *End) {
  unsigned N = 0;
  for (const char *P = Begin; P != End; ++P)
    N += (static_cast<unsigned char>(*P) & 0xC0) != 0x80;
  return N;
}

DiagPosition connectorc::getPosition(const llvm::SourceMgr &SM,
                                     const Diagnostic &D) {
  DiagPosition Pos;
  Pos.File = D.FileName;
  llvm::SMLoc Loc = D.Range.Start;
  if (!Loc.isValid())
    return Pos;
  unsigned Buf = SM.FindBufferContainingLoc(Loc);
  if (Buf == 0)
    return Pos;
  const llvm::MemoryBuffer *MB = SM.getMemoryBuffer(Buf);
  Pos.File = MB->getBufferIdentifier().str();
  std::tie(Pos.Line, Pos.Column) = SM.getLineAndColumn(Loc, Buf);
  const char *LineStart = Loc.getPointer() - (Pos.Column - 1);
  Pos.CodePointColumn = countCodePoints(LineStart, Loc.getPointer()) + 1;
  return Pos;
}
