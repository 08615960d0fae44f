//===- Screen.h - a session's terminal screen, from libvterm -----*- C++ -*-===//
//
// What a session's terminal shows now: every byte the agent prints goes
// through libvterm's screen (Debian's libvterm-dev), not a hand-written
// emulator. It answers three questions: what to draw for a client that
// attaches (redraw(), the current screen, not a replay of the transcript),
// what the last lines say (the session's state), and where the cursor is.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_SCREEN_H
#define CONNECTORC_RUNTIME_SCREEN_H

#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>
#include <vector>

namespace connectorc::runtime {

/// A terminal screen model.
class Screen {
public:
  Screen(unsigned Rows, unsigned Cols);
  ~Screen();
  Screen(const Screen &) = delete;
  Screen &operator=(const Screen &) = delete;

  /// Takes what the program wrote to its terminal.
  void feed(llvm::StringRef Bytes);
  /// A hard reset (RIS): blank, cursor home, default modes; same size.
  void reset();
  /// The window changed size (the text reflows as a terminal's would).
  void resize(unsigned Rows, unsigned Cols);

  unsigned rows() const { return Rows; }
  unsigned cols() const { return Cols; }
  unsigned cursorRow() const;
  unsigned cursorCol() const;
  bool cursorVisible() const { return CursorVisible; }
  bool altScreen() const { return AltScreen; }
  const std::string &title() const { return Title; }

  /// Row \p R's text, UTF-8, trailing blanks removed.
  std::string line(unsigned R) const;
  /// The cursor's row up to the cursor, trailing blanks removed.
  std::string beforeCursor() const;
  /// The last row with text on it, or "".
  std::string lastText() const;

  /// The bytes that paste \p Text into the program: bracketed (ESC [200~
  /// ... ESC [201~) when it asked for bracketed paste, as a terminal does.
  std::string paste(llvm::StringRef Text) const;

  /// Escape sequences that paint this screen on a terminal of the same size
  /// whatever it showed before: every cell with its attributes and colours,
  /// then the cursor's place and visibility.
  std::string redraw() const;
  /// The input modes the program asked its terminal for, as the sequences
  /// that set them: bracketed paste and cursor keys (set or reset), mouse
  /// reporting (when on). Part of redraw(): an attached terminal then sends
  /// the agent's keys, pastes and clicks as the agent expects.
  std::string modes() const;

private:
  struct Impl;
  std::unique_ptr<Impl> I;
  unsigned Rows, Cols;
  bool CursorVisible = true, AltScreen = false;
  std::string Title;
  int Mouse = 0; ///< VTERM_PROP_MOUSE
  friend struct ScreenCallbacks;
};

/// A session's state, as `ps`, the status block and the journal show it.
enum class Activity { Starting, Working, WaitingForInput, Idle, Exited };
llvm::StringRef activityName(Activity A);

/// How long a terminal must be quiet before the session counts as waiting
/// or idle rather than working.
inline constexpr double QuietSeconds = 2.0;

/// What a session is doing: \p Printed is false until its first output,
/// \p QuietS how long since its last; \p Screen's cursor line and last
/// lines, with the provider's \p IdlePattern (a POSIX ERE, "" for none),
/// tell waiting for input (a question or an input prompt at the cursor)
/// from idle (its ready prompt back, or nothing asked).
Activity classify(const Screen &S, bool Printed, bool Exited, double QuietS,
                  llvm::StringRef IdlePattern = "");

} // namespace connectorc::runtime

#endif
