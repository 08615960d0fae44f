//===- DiagnosticPrinter.cpp - human, JSON, SARIF and GitHub output ------===//
#include "ir/DiagnosticPrinter.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Unicode.h"
#include "llvm/Support/WithColor.h"

#include <set>

using namespace connectorc;

DiagLevel connectorc::effectiveLevel(const Diagnostic &D,
                                     const DiagPrintOptions &Opts) {
  if (D.Level == DiagLevel::Warning && Opts.WarningsAsErrors)
    return DiagLevel::Error;
  return D.Level;
}

static llvm::SourceMgr::DiagKind toSourceMgrKind(DiagLevel Level) {
  switch (Level) {
  case DiagLevel::Error:
    return llvm::SourceMgr::DK_Error;
  case DiagLevel::Warning:
    return llvm::SourceMgr::DK_Warning;
  case DiagLevel::Note:
    return llvm::SourceMgr::DK_Note;
  }
  llvm_unreachable("unknown diagnostic level");
}

/// \p S as valid UTF-8 (ill-formed sequences become U+FFFD). Machine-readable
/// output must be UTF-8, but file names need not be, and messages quote them.
static std::string utf8(llvm::StringRef S) {
  return llvm::json::isUTF8(S) ? S.str() : llvm::json::fixUTF8(S);
}

/// How many terminal columns \p Text takes (one a byte where it is not
/// printable UTF-8).
static unsigned displayWidth(llvm::StringRef Text) {
  int Width = llvm::sys::unicode::columnWidthUTF8(Text);
  return Width < 0 ? static_cast<unsigned>(Text.size())
                   : static_cast<unsigned>(Width);
}

/// For every byte offset of \p Line (and its end), the terminal column where
/// the code point holding that byte starts, as SMDiagnostic::print shows the
/// line: tabs go to the next multiple of 8 of the *bytes* printed so far.
static std::vector<unsigned> displayColumns(llvm::StringRef Line) {
  std::vector<unsigned> Cols(Line.size() + 1);
  unsigned Column = 0, BytesOut = 0;
  for (size_t I = 0; I < Line.size();) {
    const auto *P = reinterpret_cast<const llvm::UTF8 *>(Line.data() + I);
    size_t Len = llvm::getNumBytesForUTF8(*P);
    if (Len > Line.size() - I || !llvm::isLegalUTF8Sequence(P, P + Len))
      Len = 1;
    unsigned Width =
        Line[I] == '\t' ? 8 - BytesOut % 8 : displayWidth(Line.substr(I, Len));
    BytesOut += Line[I] == '\t' ? Width : Len;
    std::fill_n(Cols.begin() + I, Len, Column);
    Column += Width;
    I += Len;
  }
  Cols.back() = Column;
  return Cols;
}

/// The fix-it line of \p D in display columns, marking each replaced range
/// in \p Caret (as SMDiagnostic::print does in bytes).
static std::string fixItLine(const llvm::SMDiagnostic &D,
                             const std::vector<unsigned> &Cols,
                             std::string &Caret) {
  size_t LineSize = D.getLineContents().size();
  const char *LineStart = D.getLoc().getPointer() - D.getColumnNo();
  const char *LineEnd = LineStart + LineSize;
  std::string Line;
  unsigned LineCols = 0;
  for (const llvm::SMFixIt &F : D.getFixIts()) {
    const char *Begin = F.getRange().Start.getPointer();
    const char *End = F.getRange().End.getPointer();
    if (F.getText().find_first_of("\n\r\t") != llvm::StringRef::npos ||
        Begin > LineEnd || End < LineStart)
      continue;
    unsigned First = Cols[Begin < LineStart ? 0 : Begin - LineStart];
    unsigned Last = Cols[End >= LineEnd ? LineSize : End - LineStart];
    // A hint that would overlap the previous one moves right, one space apart.
    unsigned HintCol = First < LineCols ? LineCols + 1 : First;
    Line.append(HintCol - LineCols, ' ');
    Line += F.getText();
    LineCols = HintCol + displayWidth(F.getText());
    std::fill(Caret.begin() + First, Caret.begin() + Last, '~');
  }
  return Line;
}

/// Prints the caret line (and fix-it line) of \p D by display column.
/// SMDiagnostic::print leaves both out when the source line has a non-ASCII
/// byte, because it counts columns in bytes.
static void printCaretLines(llvm::raw_ostream &OS, const llvm::SMDiagnostic &D,
                            bool Color) {
  std::vector<unsigned> Cols = displayColumns(D.getLineContents());
  std::string Caret(Cols.back() + 1, ' ');
  for (auto [Begin, End] : D.getRanges())
    std::fill(Caret.begin() + Cols[std::min<size_t>(Begin, Cols.size() - 1)],
              Caret.begin() + Cols[std::min<size_t>(End, Cols.size() - 1)],
              '~');
  std::string FixIts = fixItLine(D, Cols, Caret);
  size_t Column = std::min<size_t>(D.getColumnNo(), Cols.size() - 1);
  Caret[Cols[Column]] = '^';
  Caret.erase(Caret.find_last_not_of(' ') + 1);
  {
    llvm::WithColor S(OS, llvm::raw_ostream::GREEN, /*Bold=*/true,
                      /*BG=*/false,
                      Color ? llvm::ColorMode::Auto : llvm::ColorMode::Disable);
    S << Caret << '\n';
  }
  if (!FixIts.empty())
    OS << FixIts << '\n';
}

static void printHuman(llvm::raw_ostream &OS, const DiagnosticEngine &Diags,
                       const DiagPrintOptions &Opts) {
  const llvm::SourceMgr &SM = Diags.getSourceMgr();
  for (const Diagnostic &D : Diags.diagnostics()) {
    llvm::SourceMgr::DiagKind Kind = toSourceMgrKind(effectiveLevel(D, Opts));
    std::string Msg = D.Message;
    if (D.Level == DiagLevel::Warning && Opts.WarningsAsErrors)
      Msg += " [-Werror]";
    if (!D.Range.Start.isValid()) {
      llvm::SMDiagnostic(D.FileName, Kind, Msg).print("connectorc", OS,
                                                      Opts.Color);
      continue;
    }
    std::vector<llvm::SMFixIt> Fixes;
    for (const FixIt &F : D.FixIts)
      Fixes.emplace_back(F.Range, F.Replacement);
    llvm::SmallVector<llvm::SMRange, 1> Ranges;
    if (D.Range.End.isValid() && D.Range.End != D.Range.Start)
      Ranges.push_back(D.Range);
    llvm::SMDiagnostic Message =
        SM.GetMessage(D.Range.Start, Kind, Msg, Ranges, Fixes);
    SM.PrintMessage(OS, Message, Opts.Color);
    if (!llvm::isASCII(Message.getLineContents()))
      printCaretLines(OS, Message, Opts.Color);
  }
}

static void printGithub(llvm::raw_ostream &OS, const DiagnosticEngine &Diags,
                        const DiagPrintOptions &Opts) {
  // Workflow commands need '%', CR and LF escaped in the message, and ',' and
  // ':' too in property values.
  auto Escape = [](llvm::StringRef S, bool Property) {
    std::string Out;
    for (char C : S) {
      if (C == '%')
        Out += "%25";
      else if (C == '\r')
        Out += "%0D";
      else if (C == '\n')
        Out += "%0A";
      else if (Property && C == ':')
        Out += "%3A";
      else if (Property && C == ',')
        Out += "%2C";
      else
        Out += C;
    }
    return Out;
  };
  for (const Diagnostic &D : Diags.diagnostics()) {
    DiagPosition Pos = getPosition(Diags.getSourceMgr(), D);
    llvm::StringRef Cmd = effectiveLevel(D, Opts) == DiagLevel::Note
                              ? "notice"
                              : levelName(effectiveLevel(D, Opts));
    OS << "::" << Cmd << " file=" << Escape(utf8(Pos.File), true);
    if (Pos.Line)
      OS << ",line=" << Pos.Line << ",col=" << Pos.Column;
    OS << ",title=" << Escape(getDiagInfo(D.Kind).RuleId, true)
       << "::" << Escape(utf8(D.Message), false) << "\n";
  }
}

static void printJson(llvm::raw_ostream &OS, const DiagnosticEngine &Diags,
                      const DiagPrintOptions &Opts) {
  for (const Diagnostic &D : Diags.diagnostics()) {
    DiagPosition Pos = getPosition(Diags.getSourceMgr(), D);
    llvm::json::OStream J(OS);
    J.object([&] {
      J.attribute("file", utf8(Pos.File));
      J.attribute("line", static_cast<int64_t>(Pos.Line));
      J.attribute("column", static_cast<int64_t>(Pos.Column));
      J.attribute("level", levelName(effectiveLevel(D, Opts)));
      J.attribute("rule", getDiagInfo(D.Kind).RuleId);
      J.attribute("message", utf8(D.Message));
      J.attributeArray("fixits", [&] {
        for (const FixIt &F : D.FixIts) {
          DiagPosition FP = getPosition(Diags.getSourceMgr(),
                                        Diagnostic{D.Kind, D.Level, F.Range,
                                                   "", "", {}});
          J.object([&] {
            J.attribute("line", static_cast<int64_t>(FP.Line));
            J.attribute("column", static_cast<int64_t>(FP.Column));
            J.attribute("length", static_cast<int64_t>(
                                      F.Range.End.getPointer() -
                                      F.Range.Start.getPointer()));
            J.attribute("replacement", utf8(F.Replacement));
          });
        }
      });
    });
    OS << "\n";
  }
}

static void sarifRules(llvm::json::OStream &J,
                       const std::vector<DiagKind> &Kinds) {
  for (DiagKind K : Kinds) {
    const DiagInfo &I = getDiagInfo(K);
    J.object([&] {
      J.attribute("id", I.RuleId);
      J.attributeObject("shortDescription",
                        [&] { J.attribute("text", I.Summary); });
      J.attributeObject("defaultConfiguration", [&] {
        J.attribute("level", levelName(I.Level));
      });
      J.attribute("helpUri",
                  ("https://connectorjson.org/connectorc/diagnostics#" +
                   I.RuleId)
                      .str());
    });
  }
}

static void sarifResult(llvm::json::OStream &J, const DiagnosticEngine &Diags,
                        const Diagnostic &D, unsigned RuleIndex,
                        const DiagPrintOptions &Opts) {
  DiagPosition Pos = getPosition(Diags.getSourceMgr(), D);
  J.object([&] {
    J.attribute("ruleId", getDiagInfo(D.Kind).RuleId);
    J.attribute("ruleIndex", static_cast<int64_t>(RuleIndex));
    J.attribute("level", levelName(effectiveLevel(D, Opts)));
    J.attributeObject("message",
                      [&] { J.attribute("text", utf8(D.Message)); });
    J.attributeArray("locations", [&] {
      J.object([&] {
        J.attributeObject("physicalLocation", [&] {
          J.attributeObject("artifactLocation",
                            [&] { J.attribute("uri", utf8(Pos.File)); });
          J.attributeObject("region", [&] {
            J.attribute("startLine", static_cast<int64_t>(
                                         Pos.Line ? Pos.Line : 1));
            J.attribute("startColumn", static_cast<int64_t>(
                                           Pos.Line ? Pos.CodePointColumn : 1));
          });
        });
      });
    });
  });
}

static void printSarif(llvm::raw_ostream &OS, const DiagnosticEngine &Diags,
                       const DiagPrintOptions &Opts) {
  // One rule per kind that occurs, in order of first occurrence.
  std::vector<DiagKind> Kinds;
  std::set<DiagKind> Seen;
  for (const Diagnostic &D : Diags.diagnostics())
    if (Seen.insert(D.Kind).second)
      Kinds.push_back(D.Kind);
  auto IndexOf = [&](DiagKind K) {
    return static_cast<unsigned>(std::find(Kinds.begin(), Kinds.end(), K) -
                                 Kinds.begin());
  };
  llvm::json::OStream J(OS, 2);
  J.object([&] {
    J.attribute("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    J.attribute("version", "2.1.0");
    J.attributeArray("runs", [&] {
      J.object([&] {
        J.attributeObject("tool", [&] {
          J.attributeObject("driver", [&] {
            J.attribute("name", "connectorc");
            J.attribute("version", Opts.ToolVersion);
            J.attribute("informationUri", "https://connectorjson.org");
            J.attributeArray("rules", [&] { sarifRules(J, Kinds); });
          });
        });
        J.attribute("columnKind", "unicodeCodePoints");
        J.attributeArray("results", [&] {
          for (const Diagnostic &D : Diags.diagnostics())
            sarifResult(J, Diags, D, IndexOf(D.Kind), Opts);
        });
      });
    });
  });
  OS << "\n";
}

void connectorc::printDiagnostics(llvm::raw_ostream &OS,
                                  const DiagnosticEngine &Diags,
                                  const DiagPrintOptions &Opts) {
  switch (Opts.Format) {
  case DiagFormat::Human:
    return printHuman(OS, Diags, Opts);
  case DiagFormat::Json:
    return printJson(OS, Diags, Opts);
  case DiagFormat::Sarif:
    return printSarif(OS, Diags, Opts);
  case DiagFormat::Github:
    return printGithub(OS, Diags, Opts);
  }
  llvm_unreachable("unknown diagnostic format");
}
