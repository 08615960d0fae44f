//===- Template.cpp - parsing templates -----------------------------------===//
#include "ir/Template.h"

#include "llvm/ADT/STLExtras.h"

using namespace connectorc;

llvm::ArrayRef<llvm::StringRef> connectorc::templateVariables() {
  static const llvm::StringRef Vars[] = {"worker", "phase", "name",      "model",
                                         "machine", "run",  "scratchpad"};
  return Vars;
}

static void appendLiteral(llvm::SmallVectorImpl<TemplatePiece> &Pieces,
                          llvm::StringRef Text, size_t Offset) {
  if (Pieces.empty() || Pieces.back().IsVariable)
    Pieces.push_back({false, "", Offset});
  Pieces.back().Text += Text;
}

llvm::SmallVector<TemplatePiece, 4>
connectorc::parseTemplate(llvm::StringRef Text,
                          llvm::SmallVectorImpl<TemplateProblem> &Problems) {
  llvm::SmallVector<TemplatePiece, 4> Pieces;
  size_t I = 0;
  while (I < Text.size()) {
    size_t Brace = Text.find_first_of("{}", I);
    if (Brace == llvm::StringRef::npos) {
      appendLiteral(Pieces, Text.substr(I), I);
      break;
    }
    appendLiteral(Pieces, Text.slice(I, Brace), I);
    char C = Text[Brace];
    if (Brace + 1 < Text.size() && Text[Brace + 1] == C) {
      appendLiteral(Pieces, llvm::StringRef(&Text.data()[Brace], 1), Brace);
      I = Brace + 2;
      continue;
    }
    if (C == '}') {
      Problems.push_back({TemplateProblem::UnmatchedClose, "", Brace, 1});
      I = Brace + 1;
      continue;
    }
    size_t Close = Text.find_first_of("{}", Brace + 1);
    if (Close == llvm::StringRef::npos || Text[Close] == '{') {
      Problems.push_back({TemplateProblem::Unterminated, "", Brace, 1});
      I = Brace + 1;
      continue;
    }
    llvm::StringRef Name = Text.slice(Brace + 1, Close);
    if (!llvm::is_contained(templateVariables(), Name))
      Problems.push_back({TemplateProblem::UnknownVariable, Name.str(), Brace,
                          Close - Brace + 1});
    Pieces.push_back({true, Name.str(), Brace});
    I = Close + 1;
  }
  return Pieces;
}
