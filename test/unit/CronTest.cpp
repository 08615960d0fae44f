//===- CronTest.cpp - cron parsing and impossible dates -------------------===//
#include "ir/Cron.h"

#include <gtest/gtest.h>

using namespace connectorc;

TEST(Cron, ParsesFields) {
  CronError Err;
  std::optional<CronSchedule> S = parseCron("*/15 3 1-5 jan,Jul mon-fri", Err);
  ASSERT_TRUE(S) << Err.Message;
  EXPECT_TRUE(S->Minutes[0] && S->Minutes[15] && S->Minutes[45]);
  EXPECT_FALSE(S->Minutes[1]);
  EXPECT_TRUE(S->Hours[3]);
  EXPECT_EQ(S->Hours.count(), 1u);
  EXPECT_EQ(S->Days.count(), 5u);
  EXPECT_TRUE(S->Months[1] && S->Months[7]);
  EXPECT_EQ(S->Weekdays.count(), 5u);
  EXPECT_FALSE(S->Weekdays[0]);
}

TEST(Cron, SundayIsZeroOrSeven) {
  CronError Err;
  std::optional<CronSchedule> S = parseCron("0 0 * * 7", Err);
  ASSERT_TRUE(S);
  EXPECT_TRUE(S->Weekdays[0]);
}

TEST(Cron, ReportsBadFieldWithOffset) {
  CronError Err;
  EXPECT_FALSE(parseCron("0 25 * * *", Err));
  EXPECT_EQ(Err.Offset, 2u);
  EXPECT_EQ(Err.Length, 2u);
  EXPECT_NE(Err.Message.find("out of range"), std::string::npos);
  EXPECT_FALSE(parseCron("0 0 * *", Err));
  EXPECT_NE(Err.Message.find("expected 5 fields"), std::string::npos);
  EXPECT_FALSE(parseCron("0 0 * * 1/0", Err));
  EXPECT_FALSE(parseCron("0 0 5-1 * *", Err));
}

TEST(Cron, ImpossibleDates) {
  CronError Err;
  auto Never = [&](const char *Text) {
    std::optional<CronSchedule> S = parseCron(Text, Err);
    EXPECT_TRUE(S) << Text;
    return whyCronNeverFires(*S);
  };
  EXPECT_EQ(Never("0 0 31 2 *").value_or(""), "February has no day 31");
  EXPECT_EQ(Never("0 0 31 4,6 *").value_or(""), "April, June have no day 31");
  EXPECT_FALSE(Never("0 0 29 2 *"));   // leap years
  EXPECT_FALSE(Never("0 0 31 2 1"));   // either day field matches
  EXPECT_FALSE(Never("0 3 * * *"));
}

TEST(Cron, Macros) {
  CronError Err;
  EXPECT_TRUE(parseCron("@daily", Err));
  EXPECT_FALSE(parseCron("@sometimes", Err));
}
