//===- Template.cpp - checking and rendering templates --------------------===//
#include "ir/Template.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>

using namespace connectorc;

llvm::ArrayRef<llvm::StringRef> connectorc::templateVariables() {
  static const llvm::StringRef Vars[] = {
      "worker", "phase", "name", "model", "machine", "run", "scratchpad"};
  return Vars;
}

/// True for a name templateVariables() lists, told apart by length first: a
/// linear search of the list was 34 M of lint's 0.92 G instructions on the
/// benchmark spec (callgrind), each prompt being scanned twice.
static bool isTemplateVariable(llvm::StringRef Name) {
  switch (Name.size()) {
  case 3:
    return Name == "run";
  case 4:
    return Name == "name";
  case 5:
    return Name == "phase" || Name == "model";
  case 6:
    return Name == "worker";
  case 7:
    return Name == "machine";
  case 10:
    return Name == "scratchpad";
  }
  return false;
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

/// The length of the `{identifier}` reference whose `{` is at \p Brace, or
/// 0 when that brace starts none (then it is a literal brace).
static size_t referenceLength(llvm::StringRef Text, size_t Brace) {
  size_t End = Brace + 1;
  if (End == Text.size() || !(llvm::isAlpha(Text[End]) || Text[End] == '_'))
    return 0;
  while (++End < Text.size() && (llvm::isAlnum(Text[End]) || Text[End] == '_'))
    ;
  return End < Text.size() && Text[End] == '}' ? End + 1 - Brace : 0;
}

/// Walks \p Text once, calling \p OnLiteral(text, offset) for literal text,
/// \p OnVariable(name, offset) for each `{identifier}`, and recording the
/// unknown ones. Literal text is either a run without braces or a single
/// literal brace: one written `{{` or `}}`, or one that starts no reference
/// (isLiteralBrace).
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
    I = Brace + 1;
    if (I < Text.size() && Text[I] == Text[Brace]) { // `{{` or `}}`
      OnLiteral(Text.substr(Brace, 1), Brace);
      ++I;
      continue;
    }
    size_t Length = Text[Brace] == '{' ? referenceLength(Text, Brace) : 0;
    if (Length == 0) { // a brace that is just text
      OnLiteral(Text.substr(Brace, 1), Brace);
      continue;
    }
    llvm::StringRef Name = Text.substr(Brace + 1, Length - 2);
    if (!isTemplateVariable(Name))
      Problems.push_back({Name.str(), Brace, Length});
    OnVariable(Name, Brace);
    I = Brace + Length;
  }
}

void connectorc::checkTemplate(
    llvm::StringRef Text, llvm::SmallVectorImpl<TemplateProblem> &Problems) {
  scanTemplate(
      Text, Problems, [](llvm::StringRef, size_t) {},
      [](llvm::StringRef, size_t) {});
}

/// True for the single-brace literal scanTemplate gives for a literal brace.
static bool isLiteralBrace(llvm::StringRef Lit) {
  return Lit.size() == 1 && (Lit[0] == '{' || Lit[0] == '}');
}

/// Appends \p Text, with braces doubled when \p Escape. Whole runs without a
/// brace are appended at once: copying a byte at a time was 137 M of lint's
/// 1.74 G instructions on the benchmark spec (callgrind), prompts being most
/// of its text.
static void append(std::string &Out, llvm::StringRef Text, bool Escape) {
  if (!Escape) {
    Out += Text;
    return;
  }
  BraceFinder Braces(Text);
  size_t I = 0;
  for (size_t Brace; (Brace = Braces.next(I)) != llvm::StringRef::npos;
       I = Brace + 1) {
    Out += Text.slice(I, Brace + 1);
    Out += Text[Brace];
  }
  Out += Text.substr(I);
}

/// Renders \p Text in one scan, building no pieces: substituted values and
/// literal text appended as they are found (see expandTemplate). Parsing
/// into pieces first was 129 M of lint's 1.29 G instructions on the
/// benchmark spec (callgrind), a std::string per literal run.
static std::string render(
    llvm::StringRef Text,
    llvm::function_ref<std::optional<llvm::StringRef>(llvm::StringRef)> Lookup,
    bool Escape, llvm::SmallVectorImpl<TemplateProblem> &Problems) {
  std::string Out;
  Out.reserve(Text.size() + Text.size() / 4);
  scanTemplate(
      Text, Problems,
      [&](llvm::StringRef Lit, size_t) {
        // Literal runs are brace-free or one brace (scanTemplate): no search
        // for braces. When escaping, every literal brace is written doubled.
        Out += Lit;
        if (Escape && isLiteralBrace(Lit))
          Out += Lit;
      },
      [&](llvm::StringRef Name, size_t) {
        if (std::optional<llvm::StringRef> V = Lookup(Name)) {
          append(Out, *V, Escape);
          return;
        }
        Out += '{';
        Out += Name;
        Out += '}';
      });
  return Out;
}

std::string connectorc::expandTemplate(
    llvm::StringRef Text,
    llvm::function_ref<std::optional<llvm::StringRef>(llvm::StringRef)> Lookup,
    llvm::SmallVectorImpl<TemplateProblem> &Problems) {
  return render(Text, Lookup, /*Escape=*/true, Problems);
}

size_t connectorc::expandedSize(
    llvm::StringRef Text,
    llvm::function_ref<std::optional<llvm::StringRef>(llvm::StringRef)> Lookup,
    llvm::SmallVectorImpl<TemplateProblem> &Problems) {
  size_t Size = 0;
  scanTemplate(
      Text, Problems,
      [&](llvm::StringRef Lit, size_t) {
        Size += Lit.size() * (isLiteralBrace(Lit) ? 2 : 1);
      },
      [&](llvm::StringRef Name, size_t) {
        std::optional<llvm::StringRef> V = Lookup(Name);
        // A value's braces are escaped (doubled), as render() appends it.
        Size += V ? V->size() + llvm::count(*V, '{') + llvm::count(*V, '}')
                  : Name.size() + 2;
      });
  return Size;
}

std::string connectorc::substituteTemplate(
    llvm::StringRef Text,
    llvm::function_ref<std::optional<llvm::StringRef>(llvm::StringRef)>
        Lookup) {
  llvm::SmallVector<TemplateProblem, 1> Problems;
  return render(Text, Lookup, /*Escape=*/false, Problems);
}

std::vector<PromptPiece> connectorc::splitPrompt(llvm::StringRef Prompt) {
  std::vector<PromptPiece> Pieces;
  std::string Text;
  auto Add = [&](PromptPieceKind Kind) {
    if (!Text.empty())
      Pieces.push_back({PromptPieceKind::Literal, std::move(Text)});
    Text.clear();
    Pieces.push_back({Kind, ""});
  };
  llvm::SmallVector<TemplateProblem, 1> Problems; // a plan's: none that matter
  scanTemplate(
      Prompt, Problems, [&](llvm::StringRef Lit, size_t) { Text += Lit; },
      [&](llvm::StringRef Name, size_t) {
        if (Name == "run")
          Add(PromptPieceKind::RunDir);
        else if (Name == "scratchpad")
          Add(PromptPieceKind::Scratchpad);
        else
          Text += ("{" + Name + "}").str();
      });
  if (!Text.empty())
    Pieces.push_back({PromptPieceKind::Literal, std::move(Text)});
  return Pieces;
}
