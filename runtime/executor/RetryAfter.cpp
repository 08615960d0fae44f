//===- RetryAfter.cpp - reset times printed by AI CLIs --------------------===//
//
// CLIs say when a limit resets in many ways: as a delay ("try again in 20s",
// "Retry-After: 30", "retryDelay": "31s") or as a clock time ("resets 3pm
// (Europe/Berlin)"). A clock time is turned into a delay with the cron
// machinery (ir/Cron.h), which knows time zones.
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/Classifier.h"

#include "ir/Cron.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

#include <cstdlib>
#include <cstring>

using namespace connectorc;
using llvm::StringRef;

/// Seconds per \p Unit ("s", "minutes", "hrs", ...), or std::nullopt.
static std::optional<double> unitSeconds(StringRef Unit) {
  return llvm::StringSwitch<std::optional<double>>(Unit)
      .Cases("ms", "msec", "millisecond", "milliseconds", 0.001)
      .Cases("s", "sec", "secs", "second", "seconds", 1.0)
      .Cases("m", "min", "mins", "minute", "minutes", 60.0)
      .Cases("h", "hr", "hrs", "hour", "hours", 3600.0)
      .Cases("d", "day", "days", 86400.0)
      .Cases("w", "week", "weeks", 604800.0)
      .Default(std::nullopt);
}

/// A decimal number at the start of \p S, consumed.
static std::optional<double> number(StringRef &S) {
  size_t N = 0;
  bool Dot = false;
  while (N < S.size() &&
         (llvm::isDigit(S[N]) || (S[N] == '.' && !Dot && N + 1 < S.size() &&
                                  llvm::isDigit(S[N + 1])))) {
    Dot |= S[N] == '.';
    ++N;
  }
  if (N == 0)
    return std::nullopt;
  double V = std::strtod(S.take_front(N).str().c_str(), nullptr);
  S = S.drop_front(N);
  return V;
}

/// "1m30s", "5 days 22 hours 11 minutes", "6.5s" at the start of \p S.
static std::optional<double> duration(StringRef S) {
  double Total = 0;
  bool Any = false;
  for (;;) {
    S = S.ltrim(" \t\r\n,");
    if (S.consume_front("and "))
      S = S.ltrim();
    std::optional<double> V = number(S);
    if (!V)
      break;
    S = S.ltrim(" \t\r\n");
    size_t Len = 0;
    while (Len < S.size() && llvm::isAlpha(S[Len]))
      ++Len;
    std::optional<double> Unit = unitSeconds(S.take_front(Len));
    if (!Unit)
      break;
    Total += *V * *Unit;
    Any = true;
    S = S.drop_front(Len);
  }
  return Any ? std::optional<double>(Total) : std::nullopt;
}

/// The number after a JSON key or header at the start of \p S
/// (`": 30`, `: 30`, `":"30"`).
static std::optional<double> valueAfterKey(StringRef S) {
  S = S.ltrim(" \t\"");
  if (!S.consume_front(":"))
    return std::nullopt;
  S = S.ltrim(" \t\"");
  return number(S);
}

static unsigned monthNumber(StringRef Word) {
  static const char *const Names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                      "jul", "aug", "sep", "oct", "nov", "dec"};
  for (unsigned I = 0; I < 12; ++I)
    if (Word.size() >= 3 && Word.startswith(Names[I]))
      return I + 1;
  return 0;
}

namespace {
/// A clock time as a CLI prints it: "7:40pm", "Jul 31, 2am", "Sep 15 at 7pm".
struct ClockTime {
  unsigned Month = 0, Day = 0; ///< 0: not given
  unsigned Hour = 0, Minute = 0;
  std::string Zone;
};
} // namespace

/// "Jul 31, " / "Jul 5th, 2026 " / "Sep 15 at " at the start of \p S
/// (lowercase), consumed.
static void date(StringRef &S, ClockTime &T) {
  StringRef Rest = S;
  size_t Len = 0;
  while (Len < Rest.size() && llvm::isAlpha(Rest[Len]))
    ++Len;
  unsigned Month = monthNumber(Rest.take_front(Len));
  Rest = Rest.drop_front(Len).ltrim(" .");
  std::optional<double> Day = number(Rest);
  if (!Month || !Day || *Day < 1 || *Day > 31)
    return;
  for (StringRef Suffix : {"st", "nd", "rd", "th"})
    if (Rest.consume_front(Suffix))
      break;
  Rest = Rest.ltrim(" ,");
  StringRef Year = Rest.take_while(llvm::isDigit);
  if (Year.size() == 4)
    Rest = Rest.drop_front(4).ltrim(" ,");
  if (Rest.consume_front("at "))
    Rest = Rest.ltrim();
  T.Month = Month;
  T.Day = static_cast<unsigned>(*Day);
  S = Rest;
}

/// "(Asia/Shanghai)" at the start of \p Orig (original case).
static std::string zoneName(StringRef Orig) {
  Orig = Orig.ltrim(" ");
  if (!Orig.consume_front("("))
    return "";
  StringRef Name = Orig.take_until([](char C) { return C == ')'; });
  bool Plausible = !Name.empty() && llvm::all_of(Name, [](char C) {
    return llvm::isAlnum(C) || C == '/' || C == '_' || C == '-' || C == '+';
  });
  return Plausible && isKnownTimeZone(Name) ? Name.str() : "";
}

/// "7", "7:40", "12:30" at the start of \p S, consumed into \p T. Returns
/// whether minutes were given, std::nullopt when it is no time.
static std::optional<bool> hourMinute(StringRef &S, ClockTime &T) {
  std::optional<double> Hour = number(S);
  if (!Hour || *Hour != static_cast<unsigned>(*Hour) || *Hour > 23)
    return std::nullopt;
  T.Hour = static_cast<unsigned>(*Hour);
  if (!S.consume_front(":"))
    return false;
  StringRef Digits = S.take_while(llvm::isDigit);
  if (Digits.size() != 2 || Digits.getAsInteger(10, T.Minute) || T.Minute > 59)
    return std::nullopt;
  S = S.drop_front(2);
  return true;
}

/// "am"/"pm" ("a.m."/"p.m.") at the start of \p S, applied to \p T's
/// 12-hour time. Returns whether one was there, std::nullopt when the hour
/// cannot be a 12-hour one.
static std::optional<bool> meridiem(StringRef &S, ClockTime &T) {
  S = S.ltrim(" ");
  bool Pm = S.consume_front("pm") || S.consume_front("p.m.");
  bool Am = !Pm && (S.consume_front("am") || S.consume_front("a.m."));
  if (!Am && !Pm)
    return false;
  if (T.Hour < 1 || T.Hour > 12)
    return std::nullopt;
  T.Hour = T.Hour % 12 + (Pm ? 12 : 0);
  return true;
}

/// A clock time at the start of \p S (lowercase; \p Orig is the same text in
/// its original case, for the zone name).
static std::optional<ClockTime> clockTime(StringRef S, StringRef Orig) {
  size_t Start = S.size();
  ClockTime T;
  S = S.ltrim(" ");
  if (S.consume_front("at "))
    S = S.ltrim();
  date(S, T);
  std::optional<bool> HasMinutes = hourMinute(S, T);
  std::optional<bool> HasMeridiem = HasMinutes ? meridiem(S, T) : std::nullopt;
  // "resets 5" is no time of day: it needs minutes or am/pm.
  if (!HasMeridiem || (!*HasMinutes && !*HasMeridiem))
    return std::nullopt;
  T.Zone = zoneName(Orig.drop_front(Start - S.size()));
  return T;
}

/// Seconds from \p Now to the next \p T.
static std::optional<double> secondsUntil(const ClockTime &T,
                                          std::int64_t Now) {
  CronSchedule S;
  S.Minutes.set(T.Minute);
  S.Hours.set(T.Hour);
  for (unsigned D = 1; D <= 31; ++D)
    S.Days.set(D, !T.Day || D == T.Day);
  for (unsigned M = 1; M <= 12; ++M)
    S.Months.set(M, !T.Month || M == T.Month);
  S.Weekdays.set();
  S.DayRestricted = T.Day != 0;
  llvm::Expected<std::vector<std::int64_t>> Next =
      nextFireTimes(S, Now, T.Zone, 1);
  if (!Next) {
    llvm::consumeError(Next.takeError());
    return std::nullopt;
  }
  if (Next->empty())
    return std::nullopt;
  return static_cast<double>(Next->front() - Now);
}

namespace {
enum class Reading { Delay, Seconds, Milliseconds, UnixTime, Clock };
struct Anchor {
  const char *Text;
  Reading How;
};
} // namespace

/// Where reset times are announced (lowercase; the CLI's own "retrying in"
/// progress lines match none of them).
static const Anchor Anchors[] = {
    {"try again in", Reading::Delay},
    {"retry in", Reading::Delay},
    {"retry after", Reading::Delay},
    {"resets in", Reading::Delay},
    {"reset in", Reading::Delay},
    {"retrydelay\"", Reading::Delay},
    {"retry-after-ms", Reading::Milliseconds},
    {"retry-after", Reading::Seconds},
    {"resets_in_seconds", Reading::Seconds},
    {"reset-after-seconds", Reading::Seconds},
    {"\"resets_at\"", Reading::UnixTime},
    {"try again at", Reading::Clock},
    {"resets at", Reading::Clock},
    {"reset at", Reading::Clock},
    {"resets ", Reading::Clock},
};

static std::optional<double> readAt(const Anchor &A, StringRef After,
                                    StringRef OrigAfter, std::int64_t Now) {
  switch (A.How) {
  case Reading::Delay:
    return duration(After.ltrim(" \t\":"));
  case Reading::Seconds:
    return valueAfterKey(After);
  case Reading::Milliseconds:
    if (std::optional<double> Ms = valueAfterKey(After))
      return *Ms / 1000;
    return std::nullopt;
  case Reading::UnixTime:
    if (std::optional<double> T = valueAfterKey(After); T && *T > Now)
      return *T - static_cast<double>(Now);
    return std::nullopt;
  case Reading::Clock:
    if (std::optional<ClockTime> T = clockTime(After, OrigAfter))
      return secondsUntil(*T, Now);
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<double> runtime::parseRetryAfter(StringRef Text,
                                               std::int64_t Now) {
  std::string Lower = Text.lower();
  StringRef L(Lower);
  std::optional<double> Best;
  size_t BestAt = 0;
  for (const Anchor &A : Anchors) {
    size_t Len = std::strlen(A.Text);
    for (size_t At = L.find(A.Text); At != StringRef::npos;
         At = L.find(A.Text, At + 1)) {
      if (Best && At < BestAt)
        continue;
      std::optional<double> V =
          readAt(A, L.drop_front(At + Len), Text.drop_front(At + Len), Now);
      if (V && *V >= 0) {
        Best = V;
        BestAt = At;
      }
    }
  }
  return Best;
}
