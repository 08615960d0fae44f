//===- Template.cpp - parsing templates -----------------------------------===//
#include "ir/Template.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>

using namespace connectorc;

llvm::ArrayRef<llvm::StringRef> connectorc::templateVariables() {
  static const llvm::StringRef Vars[] = {"worker", "phase", "name",      "model",
                                         "machine", "run",  "scratchpad"};
  return Vars;
}

namespace {
/// Finds the next '{' or '}' with memchr (StringRef::find), remembering the
/// next of each so a text is scanned once. StringRef::find_first_of("{}")
/// tests one byte at a time: it was 95 M of the 580 M instructions of lint on
/// the 12 MB benchmark spec (callgrind), prompts being most of its text.
class BraceFinder {
public:
  explicit BraceFinder(llvm::StringRef Text)
      : Text(Text), Open(Text.find('{')), Close(Text.find('}')) {}

  /// The offset of the first brace at or after \p From, or npos.
  size_t next(size_t From) {
    if (Open < From)
      Open = Text.find('{', From);
    if (Close < From)
      Close = Text.find('}', From);
    return std::min(Open, Close);
  }

private:
  llvm::StringRef Text;
  size_t Open, Close;
};
} // namespace

/// Walks \p Text once, calling \p OnLiteral(text, offset) for literal text,
/// \p OnVariable(name, offset) for each variable, and recording problems.
template <typename LiteralFn, typename VariableFn>
static void scanTemplate(llvm::StringRef Text,
                         llvm::SmallVectorImpl<TemplateProblem> &Problems,
                         LiteralFn OnLiteral, VariableFn OnVariable) {
  BraceFinder Braces(Text);
  size_t I = 0;
  while (I < Text.size()) {
    size_t Brace = Braces.next(I);
    if (Brace == llvm::StringRef::npos) {
      OnLiteral(Text.substr(I), I);
      return;
    }
    if (Brace > I)
      OnLiteral(Text.slice(I, Brace), I);
    char C = Text[Brace];
    if (Brace + 1 < Text.size() && Text[Brace + 1] == C) {
      OnLiteral(Text.substr(Brace, 1), Brace);
      I = Brace + 2;
      continue;
    }
    I = Brace + 1;
    if (C == '}') {
      Problems.push_back({TemplateProblem::UnmatchedClose, "", Brace, 1});
      continue;
    }
    size_t Close = Braces.next(Brace + 1);
    if (Close == llvm::StringRef::npos || Text[Close] == '{') {
      Problems.push_back({TemplateProblem::Unterminated, "", Brace, 1});
      continue;
    }
    llvm::StringRef Name = Text.slice(Brace + 1, Close);
    if (!llvm::is_contained(templateVariables(), Name))
      Problems.push_back({TemplateProblem::UnknownVariable, Name.str(), Brace,
                          Close - Brace + 1});
    OnVariable(Name, Brace);
    I = Close + 1;
  }
}

void connectorc::checkTemplate(
    llvm::StringRef Text, llvm::SmallVectorImpl<TemplateProblem> &Problems) {
  scanTemplate(
      Text, Problems, [](llvm::StringRef, size_t) {},
      [](llvm::StringRef, size_t) {});
}

llvm::SmallVector<TemplatePiece, 4>
connectorc::parseTemplate(llvm::StringRef Text,
                          llvm::SmallVectorImpl<TemplateProblem> &Problems) {
  llvm::SmallVector<TemplatePiece, 4> Pieces;
  scanTemplate(
      Text, Problems,
      [&](llvm::StringRef Lit, size_t Offset) {
        if (Pieces.empty() || Pieces.back().IsVariable)
          Pieces.push_back({false, "", Offset});
        Pieces.back().Text += Lit;
      },
      [&](llvm::StringRef Name, size_t Offset) {
        Pieces.push_back({true, Name.str(), Offset});
      });
  return Pieces;
}

/// Appends \p Text, with braces doubled when \p Escape.
static void append(std::string &Out, llvm::StringRef Text, bool Escape) {
  if (!Escape) {
    Out += Text;
    return;
  }
  for (char C : Text) {
    Out += C;
    if (C == '{' || C == '}')
      Out += C;
  }
}

static std::string
render(llvm::ArrayRef<TemplatePiece> Pieces,
       llvm::function_ref<std::optional<llvm::StringRef>(llvm::StringRef)> Lookup,
       bool Escape) {
  std::string Out;
  for (const TemplatePiece &P : Pieces) {
    if (!P.IsVariable) {
      append(Out, P.Text, Escape);
    } else if (std::optional<llvm::StringRef> V = Lookup(P.Text)) {
      append(Out, *V, Escape);
    } else {
      Out += '{';
      Out += P.Text;
      Out += '}';
    }
  }
  return Out;
}

std::string connectorc::expandTemplate(
    llvm::ArrayRef<TemplatePiece> Pieces,
    llvm::function_ref<std::optional<llvm::StringRef>(llvm::StringRef)> Lookup) {
  return render(Pieces, Lookup, /*Escape=*/true);
}

std::string connectorc::substituteTemplate(
    llvm::StringRef Text,
    llvm::function_ref<std::optional<llvm::StringRef>(llvm::StringRef)> Lookup) {
  llvm::SmallVector<TemplateProblem, 1> Problems;
  return render(parseTemplate(Text, Problems), Lookup, /*Escape=*/false);
}
