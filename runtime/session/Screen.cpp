//===- Screen.cpp - a session's terminal screen, from libvterm ------------===//
#include "runtime/session/Screen.h"

#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/Regex.h"

#include <fmt/format.h>

extern "C" {
#include <vterm.h>
}

using namespace connectorc;
using namespace connectorc::runtime;

struct Screen::Impl {
  VTerm *VT = nullptr;
  VTermScreen *VS = nullptr;
  VTermState *State = nullptr;
  /// Where libvterm's output goes while paste() asks for it; else nowhere
  /// (the answers to a program's queries are its terminal's to give).
  std::string *Capture = nullptr;
  ~Impl() {
    if (VT)
      vterm_free(VT);
  }
};

namespace connectorc::runtime {
/// libvterm's callbacks: the properties a redraw and the state need.
struct ScreenCallbacks {
  static int setTermProp(VTermProp Prop, VTermValue *Val, void *User) {
    auto *S = static_cast<Screen *>(User);
    switch (Prop) {
    case VTERM_PROP_CURSORVISIBLE:
      S->CursorVisible = Val->boolean;
      break;
    case VTERM_PROP_ALTSCREEN:
      S->AltScreen = Val->boolean;
      break;
    case VTERM_PROP_TITLE:
      S->Title = Val->string ? Val->string : "";
      break;
    case VTERM_PROP_MOUSE:
      S->Mouse = Val->number;
      break;
    default:
      break;
    }
    return 1;
  }
};
} // namespace connectorc::runtime

Screen::Screen(unsigned Rows, unsigned Cols)
    : I(std::make_unique<Impl>()), Rows(Rows), Cols(Cols) {
  I->VT = vterm_new(static_cast<int>(Rows), static_cast<int>(Cols));
  vterm_set_utf8(I->VT, 1);
  I->VS = vterm_obtain_screen(I->VT);
  I->State = vterm_obtain_state(I->VT);
  static const VTermScreenCallbacks Callbacks = [] {
    VTermScreenCallbacks C{};
    C.settermprop = &ScreenCallbacks::setTermProp;
    return C;
  }();
  vterm_screen_set_callbacks(I->VS, &Callbacks, this);
  vterm_output_set_callback(
      I->VT,
      [](const char *S, size_t Len, void *User) {
        if (auto *Out = static_cast<Impl *>(User)->Capture)
          Out->append(S, Len);
      },
      I.get());
  vterm_screen_enable_altscreen(I->VS, 1);
  vterm_screen_reset(I->VS, 1);
}

Screen::~Screen() = default;

void Screen::feed(llvm::StringRef Bytes) {
  if (!Bytes.empty())
    vterm_input_write(I->VT, Bytes.data(), Bytes.size());
}

void Screen::reset() {
  vterm_screen_reset(I->VS, 1);
  CursorVisible = true;
  AltScreen = false;
  Title.clear();
}

void Screen::resize(unsigned NewRows, unsigned NewCols) {
  if (NewRows == 0 || NewCols == 0 || (NewRows == Rows && NewCols == Cols))
    return;
  Rows = NewRows;
  Cols = NewCols;
  vterm_set_size(I->VT, static_cast<int>(Rows), static_cast<int>(Cols));
}

unsigned Screen::cursorRow() const {
  VTermPos P;
  vterm_state_get_cursorpos(I->State, &P);
  return static_cast<unsigned>(P.row);
}

unsigned Screen::cursorCol() const {
  VTermPos P;
  vterm_state_get_cursorpos(I->State, &P);
  return static_cast<unsigned>(P.col);
}

namespace {
void appendUtf8(std::string &Out, uint32_t C) {
  char Buf[UNI_MAX_UTF8_BYTES_PER_CODE_POINT];
  char *End = Buf;
  if (llvm::ConvertCodePointToUTF8(C, End))
    Out.append(Buf, End);
}

/// Row \p R from column 0 up to \p EndCol, trailing blanks removed.
std::string rowText(VTermScreen *VS, unsigned R, unsigned EndCol) {
  std::string Out;
  VTermScreenCell Cell;
  for (unsigned C = 0; C < EndCol; ++C) {
    if (!vterm_screen_get_cell(VS, {static_cast<int>(R), static_cast<int>(C)},
                               &Cell))
      break;
    if (Cell.chars[0] == 0) {
      if (Cell.width != 0) // A blank; 0 is the right half of a wide one.
        Out += ' ';
      continue;
    }
    for (int K = 0; K < VTERM_MAX_CHARS_PER_CELL && Cell.chars[K]; ++K)
      appendUtf8(Out, Cell.chars[K]);
    if (Cell.width > 1)
      C += static_cast<unsigned>(Cell.width) - 1;
  }
  size_t Keep = Out.find_last_not_of(' ');
  Out.resize(Keep == std::string::npos ? 0 : Keep + 1);
  return Out;
}

/// SGR parameters for \p Col as a foreground (\p Base 30) or background (40).
void appendColor(std::string &Out, const VTermColor &Col, int Base) {
  if (Base == 30 ? VTERM_COLOR_IS_DEFAULT_FG(&Col)
                 : VTERM_COLOR_IS_DEFAULT_BG(&Col))
    return;
  if (VTERM_COLOR_IS_INDEXED(&Col)) {
    unsigned Idx = Col.indexed.idx;
    if (Idx < 8)
      Out += fmt::format(";{}", Base + static_cast<int>(Idx));
    else if (Idx < 16)
      Out += fmt::format(";{}", Base + 60 + static_cast<int>(Idx - 8));
    else
      Out += fmt::format(";{};5;{}", Base + 8, Idx);
    return;
  }
  Out += fmt::format(";{};2;{};{};{}", Base + 8, Col.rgb.red, Col.rgb.green,
                     Col.rgb.blue);
}

/// The SGR sequence that sets exactly \p Cell's attributes.
std::string sgrOf(const VTermScreenCell &Cell) {
  std::string P = "0";
  if (Cell.attrs.bold)
    P += ";1";
  if (Cell.attrs.italic)
    P += ";3";
  if (Cell.attrs.underline == 1)
    P += ";4";
  else if (Cell.attrs.underline == 2)
    P += ";21";
  if (Cell.attrs.blink)
    P += ";5";
  if (Cell.attrs.reverse)
    P += ";7";
  if (Cell.attrs.strike)
    P += ";9";
  appendColor(P, Cell.fg, 30);
  appendColor(P, Cell.bg, 40);
  return "\x1b[" + P + "m";
}
/// Whether two cells look the same but for their text (what an SGR sets).
bool sameLook(const VTermScreenCell &A, const VTermScreenCell &B) {
  const VTermScreenCellAttrs &X = A.attrs, &Y = B.attrs;
  return X.bold == Y.bold && X.underline == Y.underline &&
         X.italic == Y.italic && X.blink == Y.blink && X.reverse == Y.reverse &&
         X.strike == Y.strike &&
         vterm_color_is_equal(&A.fg, &B.fg) &&
         vterm_color_is_equal(&A.bg, &B.bg);
}

/// Whether \p Cell is a blank with the default look.
bool plainBlank(const VTermScreenCell &Cell) {
  const VTermScreenCellAttrs &X = Cell.attrs;
  return Cell.chars[0] == 0 && !X.bold && !X.underline && !X.italic &&
         !X.blink && !X.reverse && !X.strike &&
         VTERM_COLOR_IS_DEFAULT_FG(&Cell.fg) &&
         VTERM_COLOR_IS_DEFAULT_BG(&Cell.bg);
}
} // namespace

std::string Screen::paste(llvm::StringRef Text) const {
  std::string Out;
  I->Capture = &Out;
  vterm_keyboard_start_paste(I->VT);
  I->Capture = nullptr;
  Out.append(Text.data(), Text.size());
  I->Capture = &Out;
  vterm_keyboard_end_paste(I->VT);
  I->Capture = nullptr;
  return Out;
}

std::string Screen::line(unsigned R) const {
  return R < Rows ? rowText(I->VS, R, Cols) : std::string();
}

std::string Screen::beforeCursor() const {
  return rowText(I->VS, cursorRow(), cursorCol());
}

std::string Screen::lastText() const {
  for (unsigned R = Rows; R-- > 0;) {
    std::string L = rowText(I->VS, R, Cols);
    if (!llvm::StringRef(L).trim().empty())
      return L;
  }
  return "";
}

std::string Screen::redraw() const {
  // Reset attributes, home, clear; then each row from its first column
  // (explicit positions: a full last row must not scroll the screen).
  // An SGR only where the look changes: a cell-by-cell comparison, not a
  // sequence built per cell (a 1000x1000 window took 73-96 ms that way).
  std::string Out = "\x1b[0m\x1b[H\x1b[2J";
  VTermScreenCell Cell, Last{};
  bool LastSet = false; // Last is the look in force (after "\x1b[0m": none)
  for (unsigned R = 0; R < Rows; ++R) {
    // Blank cells at the end of a row with default colours need no output.
    unsigned End = Cols;
    while (End > 0 &&
           vterm_screen_get_cell(I->VS, {static_cast<int>(R),
                                         static_cast<int>(End - 1)},
                                 &Cell) &&
           plainBlank(Cell))
      --End;
    if (End == 0)
      continue;
    Out += fmt::format("\x1b[{};1H", R + 1);
    for (unsigned C = 0; C < End; ++C) {
      if (!vterm_screen_get_cell(
              I->VS, {static_cast<int>(R), static_cast<int>(C)}, &Cell))
        break;
      if (Cell.width == 0)
        continue; // The right half of a wide character.
      bool Changed = LastSet ? !sameLook(Cell, Last) : !plainBlank([&] {
        VTermScreenCell C = Cell;
        C.chars[0] = 0;
        return C;
      }());
      if (Changed) {
        Out += sgrOf(Cell);
        Last = Cell;
        LastSet = true;
      }
      if (Cell.chars[0] == 0)
        Out += ' ';
      for (int K = 0; K < VTERM_MAX_CHARS_PER_CELL && Cell.chars[K]; ++K)
        appendUtf8(Out, Cell.chars[K]);
      if (Cell.width > 1)
        C += static_cast<unsigned>(Cell.width) - 1;
    }
  }
  Out += fmt::format("\x1b[0m\x1b[{};{}H", cursorRow() + 1, cursorCol() + 1);
  Out += CursorVisible ? "\x1b[?25h" : "\x1b[?25l";
  Out += modes();
  return Out;
}

std::string Screen::modes() const {
  // libvterm keeps these modes to itself; what it sends for a key or a
  // paste shows them.
  std::string Out;
  std::string Keys;
  I->Capture = &Keys;
  vterm_keyboard_start_paste(I->VT);
  I->Capture = nullptr;
  Out += Keys.empty() ? "\x1b[?2004l" : "\x1b[?2004h";
  Keys.clear();
  I->Capture = &Keys;
  vterm_keyboard_key(I->VT, VTERM_KEY_UP, VTERM_MOD_NONE);
  I->Capture = nullptr;
  Out += llvm::StringRef(Keys).startswith("\x1bO") ? "\x1b[?1h" : "\x1b[?1l";
  switch (Mouse) {
  case VTERM_PROP_MOUSE_CLICK:
    Out += "\x1b[?1000h\x1b[?1006h";
    break;
  case VTERM_PROP_MOUSE_DRAG:
    Out += "\x1b[?1002h\x1b[?1006h";
    break;
  case VTERM_PROP_MOUSE_MOVE:
    Out += "\x1b[?1003h\x1b[?1006h";
    break;
  default:
    break;
  }
  return Out;
}

llvm::StringRef runtime::activityName(Activity A) {
  switch (A) {
  case Activity::Starting:
    return "starting";
  case Activity::Working:
    return "working";
  case Activity::WaitingForInput:
    return "waiting for input";
  case Activity::Idle:
    return "idle";
  case Activity::Exited:
    return "exited";
  }
  return "working";
}

Activity runtime::classify(const Screen &S, bool Printed, bool Exited,
                           double QuietS, llvm::StringRef IdlePattern) {
  if (Exited)
    return Activity::Exited;
  if (!Printed)
    return Activity::Starting;
  if (QuietS < QuietSeconds)
    return Activity::Working;
  std::string Last = S.lastText();
  if (!IdlePattern.empty()) {
    llvm::Regex Idle(IdlePattern,
                     llvm::Regex::IgnoreCase | llvm::Regex::Newline);
    std::string Window;
    // The three rows up to the cursor's or the last text's, the lower.
    unsigned End = S.cursorRow() + 1;
    for (unsigned R = S.rows(); R > End; --R)
      if (!llvm::StringRef(S.line(R - 1)).trim().empty()) {
        End = R;
        break;
      }
    for (unsigned R = End > 3 ? End - 3 : 0; R < End; ++R)
      Window += S.line(R) + "\n";
    if (Idle.isValid() && Idle.match(Window))
      return Activity::Idle;
  }
  // Text left of a resting cursor is a prompt it waits at ("Continue?
  // (y/n) ", "> "); so is a question as the last thing printed.
  if (!llvm::StringRef(S.beforeCursor()).trim().empty())
    return Activity::WaitingForInput;
  static const llvm::Regex Question(
      R"((\?|\(y/n\)|\[y/n\]|press enter[^a-z]*|:)[[:space:]]*$)",
      llvm::Regex::IgnoreCase);
  if (Question.match(Last))
    return Activity::WaitingForInput;
  return Activity::Idle;
}
