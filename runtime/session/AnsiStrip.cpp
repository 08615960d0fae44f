//===- AnsiStrip.cpp - terminal output to plain text ----------------------===//
#include "runtime/session/AnsiStrip.h"

using namespace connectorc::runtime;

namespace {
constexpr char Esc = '\x1b';
constexpr char Bel = '\x07';
bool isFinalCsi(char C) { return C >= 0x40 && C <= 0x7e; }
bool isIntermediate(char C) { return C >= 0x20 && C <= 0x2f; }
} // namespace

void AnsiStripper::text(char C, std::string &Out) {
  if (PendingCR) {
    PendingCR = false;
    if (C != '\n')
      Line.clear(); // "\r" then text: the line is printed over.
  }
  switch (C) {
  case '\n':
    Out += Line;
    Out += '\n';
    Line.clear();
    return;
  case '\r':
    PendingCR = true;
    return;
  case '\b':
    if (!Line.empty())
      Line.pop_back();
    return;
  case '\t':
    Line += C;
    break;
  default:
    // Other C0 controls (BEL, SI/SO, NUL, ...) and DEL print nothing.
    if (static_cast<unsigned char>(C) < 0x20 || C == 0x7f)
      return;
    Line += C;
  }
  if (Line.size() >= MaxLine) {
    Out += Line;
    Line.clear();
  }
}

void AnsiStripper::escape(char C) {
  switch (C) {
  case '[':
    State = StateKind::Csi;
    return;
  case ']':
  case 'P': // DCS
  case 'X': // SOS
  case '^': // PM
  case '_': // APC
    StrIsOsc = C == ']';
    State = StateKind::Str;
    return;
  default:
    // "ESC ( B" and friends take one more byte after intermediates; any
    // other escape is two bytes.
    State = isIntermediate(C) ? StateKind::EscIntermediate : StateKind::Text;
  }
}

/// Length of the run of plain printable bytes at the start of \p In.
static size_t plainRun(llvm::StringRef In) {
  size_t N = 0;
  while (N < In.size()) {
    unsigned char C = static_cast<unsigned char>(In[N]);
    if (C < 0x20 || C == 0x7f)
      break;
    ++N;
  }
  return N;
}

void AnsiStripper::feed(llvm::StringRef In, std::string &Out) {
  for (size_t I = 0; I < In.size(); ++I) {
    char C = In[I];
    // Most of an agent's output is plain text: take it a run at a time.
    if (State == StateKind::Text && !PendingCR) {
      size_t N = std::min(plainRun(In.substr(I)), MaxLine - Line.size());
      if (N > 1) {
        Line.append(In.data() + I, N);
        I += N - 1;
        if (Line.size() >= MaxLine) {
          Out += Line;
          Line.clear();
        }
        continue;
      }
    }
    switch (State) {
    case StateKind::Text:
      // 8-bit C1 controls (0x9b...) are left alone: in UTF-8 they are
      // continuation bytes.
      if (C == Esc)
        State = StateKind::Esc;
      else
        text(C, Out);
      break;
    case StateKind::Esc:
      escape(C);
      break;
    case StateKind::EscIntermediate:
      if (!isIntermediate(C))
        State = StateKind::Text;
      break;
    case StateKind::Csi:
      if (isFinalCsi(C))
        State = StateKind::Text;
      else if (C == Esc)
        State = StateKind::Esc;
      break;
    case StateKind::Str:
      if (C == Esc)
        State = StateKind::StrEsc;
      else if (C == Bel && StrIsOsc)
        State = StateKind::Text;
      break;
    case StateKind::StrEsc:
      // ESC \ ends the string; anything else starts a new escape.
      if (C == '\\')
        State = StateKind::Text;
      else
        escape(C);
      break;
    }
  }
}

void AnsiStripper::finish(std::string &Out) {
  Out += Line;
  Line.clear();
  PendingCR = false;
}

std::string connectorc::runtime::stripAnsi(llvm::StringRef In) {
  AnsiStripper S;
  std::string Out;
  S.feed(In, Out);
  S.finish(Out);
  return Out;
}
