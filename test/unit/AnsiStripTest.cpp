//===- AnsiStripTest.cpp - the terminal control sequence stripper ---------===//
#include "runtime/session/AnsiStrip.h"

#include <gtest/gtest.h>

using connectorc::runtime::AnsiStripper;
using connectorc::runtime::stripAnsi;

TEST(AnsiStripTest, PlainTextPassesThrough) {
  EXPECT_EQ(stripAnsi("hello\nworld\n"), "hello\nworld\n");
  EXPECT_EQ(stripAnsi("tab\there"), "tab\there");
  EXPECT_EQ(stripAnsi("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93");
}

TEST(AnsiStripTest, CsiSequences) {
  EXPECT_EQ(stripAnsi("\x1b[1;31mred\x1b[0m text"), "red text");
  EXPECT_EQ(stripAnsi("\x1b[2J\x1b[H\x1b[?25lscreen\x1b[?25h"), "screen");
  EXPECT_EQ(stripAnsi("\x1b[38;2;255;0;0mrgb\x1b[m"), "rgb");
  EXPECT_EQ(stripAnsi("a\x1b[200~pasted\x1b[201~b"), "apastedb");
}

TEST(AnsiStripTest, OscAndOtherStrings) {
  // Window title ended by BEL and by ST; a hyperlink; a DCS string.
  EXPECT_EQ(stripAnsi("\x1b]0;title\x07text"), "text");
  EXPECT_EQ(stripAnsi("\x1b]2;title\x1b\\text"), "text");
  EXPECT_EQ(stripAnsi("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"), "link");
  EXPECT_EQ(stripAnsi("\x1bPq#0;2;0;0;0\x1b\\after"), "after");
}

TEST(AnsiStripTest, CharsetAndShortEscapes) {
  EXPECT_EQ(stripAnsi("\x1b(Bplain\x1b)0x"), "plainx");
  EXPECT_EQ(stripAnsi("\x1b=keypad\x1b>\x1b"
                      "7saved\x1b"
                      "8"),
            "keypadsaved");
  EXPECT_EQ(stripAnsi("\x1b#8grid"), "grid");
}

TEST(AnsiStripTest, CarriageReturnsAndBackspaces) {
  EXPECT_EQ(stripAnsi("line\r\nnext\r\n"), "line\nnext\n");
  // A spinner rewrites its line; only the last version stays.
  EXPECT_EQ(stripAnsi("10%\r50%\r100%\ndone\n"), "100%\ndone\n");
  EXPECT_EQ(stripAnsi("abc\b\bX\n"), "aX\n");
  EXPECT_EQ(stripAnsi("bell\x07 and nul\0x"), "bell and nul");
}

TEST(AnsiStripTest, SequencesSplitAcrossChunks) {
  std::string Whole = "\x1b[1;32mgreen\x1b[0m\r\n\x1b]0;t\x07ok\r50%\r99%\n";
  std::string Expected = stripAnsi(Whole);
  EXPECT_EQ(Expected, "green\n99%\n");
  // Every split point, and byte by byte.
  for (size_t Cut = 0; Cut <= Whole.size(); ++Cut) {
    AnsiStripper S;
    std::string Out;
    S.feed(llvm::StringRef(Whole).take_front(Cut), Out);
    S.feed(llvm::StringRef(Whole).drop_front(Cut), Out);
    S.finish(Out);
    EXPECT_EQ(Out, Expected) << "cut at " << Cut;
  }
  AnsiStripper S;
  std::string Out;
  for (char C : Whole)
    S.feed(llvm::StringRef(&C, 1), Out);
  S.finish(Out);
  EXPECT_EQ(Out, Expected);
}

TEST(AnsiStripTest, CurrentLineAndBoundedMemory) {
  AnsiStripper S;
  std::string Out;
  S.feed("first\nworking \x1b[1mhard\x1b[0m", Out);
  EXPECT_EQ(Out, "first\n");
  EXPECT_EQ(S.currentLine(), "working hard");
  // A line without end is passed on in pieces, not kept whole.
  std::string Long(3 * AnsiStripper::MaxLine, 'x');
  Out.clear();
  S.feed(Long, Out);
  EXPECT_LT(S.currentLine().size(), AnsiStripper::MaxLine);
  S.finish(Out);
  EXPECT_EQ(Out.size(), Long.size() + 12);
}
