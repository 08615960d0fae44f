//===- AnsiStrip.h - terminal output to plain text ---------------*- C++
//-*-===//
//
// A streaming stripper of terminal control sequences: what an agent printed
// into its PTY, as a reader of its answer would see it. It removes CSI, OSC,
// DCS/PM/APC strings, charset selections and other escapes, folds "\r\n" to
// "\n", lets a lone "\r" start the line over (progress spinners) and a
// backspace erase a character. Input may arrive in any chunks; a sequence cut
// between two chunks is finished in the next.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_ANSISTRIP_H
#define CONNECTORC_RUNTIME_ANSISTRIP_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace connectorc::runtime {

/// Strips control sequences from a byte stream, a chunk at a time.
class AnsiStripper {
public:
  /// Longest unfinished line kept in memory: a longer line is passed on in
  /// pieces (and a "\r" then only starts the remaining piece over).
  static constexpr size_t MaxLine = 64 * 1024;

  /// Strips \p In and appends the finished text to \p Out. The current line
  /// is held back until its end (or MaxLine) since a "\r" may overwrite it.
  void feed(llvm::StringRef In, std::string &Out);
  /// Appends what is held back (the unfinished last line) to \p Out.
  void finish(std::string &Out);
  /// The line being printed now, stripped (for progress displays).
  llvm::StringRef currentLine() const { return Line; }

private:
  enum class StateKind { Text, Esc, EscIntermediate, Csi, Str, StrEsc };
  void text(char C, std::string &Out);
  void escape(char C);
  StateKind State = StateKind::Text;
  bool PendingCR = false;
  bool StrIsOsc = false;
  std::string Line;
};

/// Strips a whole text at once.
std::string stripAnsi(llvm::StringRef In);

} // namespace connectorc::runtime

#endif
