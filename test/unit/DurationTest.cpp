//===- DurationTest.cpp - "30m", "1h30m", "1.5h" -------------------------===//
#include "ir/Module.h"

#include <gtest/gtest.h>

using namespace connectorc;

TEST(Duration, WholeNumbers) {
  EXPECT_EQ(ir::parseDuration("30m"), 1800.0);
  EXPECT_EQ(ir::parseDuration("1h30m"), 5400.0);
  EXPECT_EQ(ir::parseDuration("90s"), 90.0);
  EXPECT_EQ(ir::parseDuration("250ms"), 0.25);
  EXPECT_EQ(ir::parseDuration("2d"), 172800.0);
  EXPECT_EQ(ir::parseDuration("007s"), 7.0);
  // Past 15 digits the APFloat path takes over, with the same answer.
  EXPECT_EQ(ir::parseDuration("1234567890123456s"), 1234567890123456.0);
}

TEST(Duration, Fractions) {
  EXPECT_EQ(ir::parseDuration("1.5h"), 5400.0);
  EXPECT_EQ(ir::parseDuration(".5m"), 30.0);
  EXPECT_EQ(ir::parseDuration("1.m"), 60.0);
}

TEST(Duration, NotDurations) {
  for (llvm::StringRef S : {"", "m", "30", "30x", "1..5h", "1.2.3s", ".m",
                            "-5m", "5 m"})
    EXPECT_FALSE(ir::parseDuration(S)) << S.str();
}
