//===- ScreenTest.cpp - the screen model and the session state ------------===//
#include "runtime/session/Screen.h"

#include <gtest/gtest.h>

using namespace connectorc::runtime;

TEST(ScreenTest, KeepsWhatIsOnScreenNotWhatWasPrinted) {
  Screen S(5, 20);
  S.feed("first line\r\nsecond\r\n");
  S.feed("\x1b[1;1Hrewritten \x1b[K"); // over the first line, cleared to end
  EXPECT_EQ(S.line(0), "rewritten");
  EXPECT_EQ(S.line(1), "second");
  EXPECT_EQ(S.cursorRow(), 0u);
  EXPECT_EQ(S.cursorCol(), 10u);
  EXPECT_EQ(S.lastText(), "second");
}

TEST(ScreenTest, ClearedScreenForgetsTheOldText) {
  Screen S(4, 10);
  S.feed("secret\r\n\x1b[2J\x1b[Hfresh");
  EXPECT_EQ(S.line(0), "fresh");
  EXPECT_EQ(S.line(1), "");
}

TEST(ScreenTest, RedrawPaintsTheSameScreenOnAnotherTerminal) {
  Screen S(6, 30);
  S.feed("plain \x1b[1;31mbold red\x1b[0m and \x1b[38;5;200mx\x1b[0m\r\n");
  S.feed("wide: \xe4\xbd\xa0\xe5\xa5\xbd!\r\n\x1b[7mrev\x1b[0m");
  S.feed("\x1b[3;8H");
  std::string Paint = S.redraw();
  Screen Copy(6, 30);
  Copy.feed("garbage everywhere\r\nmore garbage\r\n\x1b[44mblue bg\x1b[0m");
  Copy.feed(Paint);
  for (unsigned R = 0; R < 6; ++R)
    EXPECT_EQ(Copy.line(R), S.line(R)) << "row " << R;
  EXPECT_EQ(Copy.cursorRow(), 2u);
  EXPECT_EQ(Copy.cursorCol(), 7u);
  // The attributes come across: a second redraw of the copy is the same.
  EXPECT_EQ(Copy.redraw(), Paint);
  EXPECT_NE(Paint.find("\x1b[0;1;31m"), std::string::npos);
  EXPECT_NE(Paint.find("38;5;200"), std::string::npos);
}

TEST(ScreenTest, RedrawCarriesTheInputModes) {
  // What an attached terminal must send as the agent expects: pastes
  // bracketed, cursor keys in application mode, mouse reports.
  Screen S(10, 40);
  std::string Plain = S.modes();
  EXPECT_NE(Plain.find("\x1b[?2004l"), std::string::npos);
  EXPECT_NE(Plain.find("\x1b[?1l"), std::string::npos);
  EXPECT_EQ(Plain.find("?1000h"), std::string::npos);
  S.feed("\x1b[?2004h\x1b[?1h\x1b[?1000h");
  std::string Paint = S.redraw();
  EXPECT_NE(Paint.find("\x1b[?2004h"), std::string::npos);
  EXPECT_NE(Paint.find("\x1b[?1h"), std::string::npos);
  EXPECT_NE(Paint.find("\x1b[?1000h"), std::string::npos);
  // A copy drawn from it has the same modes.
  Screen Copy(10, 40);
  Copy.feed(Paint);
  EXPECT_EQ(Copy.modes(), S.modes());
}

TEST(ScreenTest, FollowsCursorVisibilityAltScreenAndResize) {
  Screen S(10, 40);
  S.feed("\x1b[?1049h\x1b[?25l\x1b]2;agent title\x07");
  EXPECT_TRUE(S.altScreen());
  EXPECT_FALSE(S.cursorVisible());
  EXPECT_EQ(S.title(), "agent title");
  EXPECT_NE(S.redraw().find("\x1b[?25l"), std::string::npos);
  S.resize(20, 100);
  EXPECT_EQ(S.rows(), 20u);
  EXPECT_EQ(S.cols(), 100u);
  S.feed("\x1b[20;95Hend");
  EXPECT_EQ(S.line(19), std::string(94, ' ') + "end");
  S.resize(0, 5); // ignored
  EXPECT_EQ(S.rows(), 20u);
}

TEST(ScreenTest, HostileBytesAreJustText) {
  Screen S(3, 8);
  std::string Junk;
  for (int I = 0; I < 4096; ++I)
    Junk += static_cast<char>((I * 131) & 0xff);
  S.feed(Junk);
  S.feed("\x1b[999;999H\x1b[99999999999999999999m\xff\xfe");
  EXPECT_LT(S.cursorRow(), 3u);
  EXPECT_LT(S.cursorCol(), 8u);
  (void)S.redraw();
}

TEST(ScreenTest, PastesBracketedOnlyWhenAsked) {
  Screen S(4, 20);
  EXPECT_EQ(S.paste("yes"), "yes");
  S.feed("\x1b[?2004h");
  EXPECT_EQ(S.paste("yes"), "\x1b[200~yes\x1b[201~");
  S.feed("\x1b[?2004l");
  EXPECT_EQ(S.paste("no"), "no");
}

TEST(ActivityTest, FromOutputQuietTimeAndTheScreen) {
  Screen S(5, 40);
  EXPECT_EQ(classify(S, false, false, 10), Activity::Starting);
  S.feed("compiling...\r\n");
  EXPECT_EQ(classify(S, true, false, 0.5), Activity::Working);
  // Quiet with the cursor on an empty line after plain output: idle.
  EXPECT_EQ(classify(S, true, false, 5), Activity::Idle);
  // A question at the cursor.
  S.feed("Do you trust this folder? (y/n) ");
  EXPECT_EQ(classify(S, true, false, 5), Activity::WaitingForInput);
  EXPECT_EQ(classify(S, true, false, 1), Activity::Working);
  // A question printed with its newline is still a question.
  Screen Q(5, 40);
  Q.feed("Continue? [y/N]\r\n");
  EXPECT_EQ(classify(Q, true, false, 5), Activity::WaitingForInput);
  Q.feed("done: 3 files\r\n");
  EXPECT_EQ(classify(Q, true, false, 5), Activity::Idle);
  Q.feed("Overwrite the file?\r\n");
  EXPECT_EQ(classify(Q, true, false, 5), Activity::WaitingForInput);
  // The provider's idle pattern: its ready prompt is back.
  Screen T(5, 40);
  T.feed("answer text\r\n> ");
  EXPECT_EQ(classify(T, true, false, 5), Activity::WaitingForInput);
  EXPECT_EQ(classify(T, true, false, 5, "^> ?$"), Activity::Idle);
  EXPECT_EQ(classify(T, true, true, 5), Activity::Exited);
  EXPECT_EQ(activityName(Activity::WaitingForInput), "waiting for input");
}
