//===- Cron.cpp - parsing and checking cron schedules ---------------------===//
#include "ir/Cron.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

#include "ir/Fmt.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

using namespace connectorc;

namespace {
/// One field's rules: its name, range and optional value names.
struct FieldSpec {
  const char *Name;
  unsigned Min, Max;
  const char *const *Names; ///< Names[i] means Min + i; null when none.
  unsigned NumNames;
};

const char *const MonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                  "jul", "aug", "sep", "oct", "nov", "dec"};
const char *const DayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

const FieldSpec Fields[5] = {
    {"minute", 0, 59, nullptr, 0},
    {"hour", 0, 23, nullptr, 0},
    {"day of month", 1, 31, nullptr, 0},
    {"month", 1, 12, MonthNames, 12},
    {"day of week", 0, 7, DayNames, 7},
};

/// Parses one value of a field: a number or a name.
std::optional<unsigned> parseValue(llvm::StringRef Tok, const FieldSpec &F) {
  unsigned V;
  if (!Tok.getAsInteger(10, V))
    return V;
  for (unsigned I = 0; I < F.NumNames; ++I)
    if (Tok.equals_insensitive(F.Names[I]))
      return F.Min + I;
  return std::nullopt;
}

class FieldParser {
public:
  FieldParser(const FieldSpec &F, size_t FieldOffset, CronError &Err)
      : F(F), FieldOffset(FieldOffset), Err(Err) {}

  /// Parses a whole field into \p Bits (index = value).
  bool parse(llvm::StringRef Field, std::bitset<64> &Bits) {
    size_t Pos = 0;
    for (llvm::StringRef Item : llvm::split(Field, ',')) {
      if (!parseItem(Item, FieldOffset + Pos, Bits))
        return false;
      Pos += Item.size() + 1;
    }
    return true;
  }

private:
  bool fail(std::string Msg, size_t Off, size_t Len) {
    Err = {std::move(Msg), Off, Len};
    return false;
  }

  bool parseItem(llvm::StringRef Item, size_t Off, std::bitset<64> &Bits) {
    if (Item.empty())
      return fail(fmt::format("empty list item in the {} field", F.Name), Off, 1);
    auto [Range, StepText] = Item.split('/');
    unsigned Step = 1;
    if (Item.contains('/') &&
        (StepText.getAsInteger(10, Step) || Step == 0 || Step > F.Max))
      return fail(fmt::format("step '{}' in the {} field must be a number from "
                              "1 to {}", StepText, F.Name, F.Max),
                  Off + Range.size() + 1, StepText.size());
    unsigned Lo = F.Min, Hi = F.Max;
    if (Range != "*" && !parseRange(Range, Off, Lo, Hi))
      return false;
    if (Item.contains('/') && Range != "*" && !Range.contains('-'))
      Hi = F.Max; // "5/15" means 5, 20, 35, 50 as in Vixie cron.
    for (unsigned V = Lo; V <= Hi; V += Step)
      Bits.set(V);
    return true;
  }

  bool parseRange(llvm::StringRef Range, size_t Off, unsigned &Lo,
                  unsigned &Hi) {
    auto [LoText, HiText] = Range.split('-');
    if (LoText.empty() || (Range.contains('-') && HiText.empty()))
      return fail(fmt::format("'{}' is not a valid {}", Range, F.Name), Off,
                  Range.size());
    if (!parseBound(LoText, Off, Lo))
      return false;
    Hi = Lo;
    if (Range.contains('-') &&
        !parseBound(HiText, Off + LoText.size() + 1, Hi))
      return false;
    if (Hi < Lo)
      return fail(fmt::format("range '{}' in the {} field runs backwards",
                              Range, F.Name),
                  Off, Range.size());
    return true;
  }

  bool parseBound(llvm::StringRef Tok, size_t Off, unsigned &V) {
    std::optional<unsigned> Parsed = parseValue(Tok, F);
    if (!Parsed)
      return fail(fmt::format("'{}' is not a valid {}", Tok, F.Name), Off,
                  Tok.size());
    if (*Parsed < F.Min || *Parsed > F.Max)
      return fail(fmt::format("{} {} is out of range ({}-{})", F.Name, *Parsed,
                              F.Min, F.Max),
                  Off, Tok.size());
    V = *Parsed;
    return true;
  }

  const FieldSpec &F;
  size_t FieldOffset;
  CronError &Err;
};

llvm::StringRef expandMacro(llvm::StringRef Text) {
  return llvm::StringSwitch<llvm::StringRef>(Text)
      .Case("@hourly", "0 * * * *")
      .Cases("@daily", "@midnight", "0 0 * * *")
      .Case("@weekly", "0 0 * * 0")
      .Case("@monthly", "0 0 1 * *")
      .Cases("@yearly", "@annually", "0 0 1 1 *")
      .Default("");
}
} // namespace

std::optional<CronSchedule> connectorc::parseCron(llvm::StringRef Text,
                                                  CronError &Err) {
  if (Text.startswith("@")) {
    llvm::StringRef Expanded = expandMacro(Text.trim());
    if (Expanded.empty()) {
      Err = {fmt::format("unknown macro '{}' (use @hourly, @daily, @weekly, "
                         "@monthly or @yearly)", Text),
             0, Text.size()};
      return std::nullopt;
    }
    return parseCron(Expanded, Err);
  }
  llvm::SmallVector<std::pair<llvm::StringRef, size_t>, 5> Tokens;
  for (size_t I = 0; I < Text.size();) {
    if (Text[I] == ' ' || Text[I] == '\t') {
      ++I;
      continue;
    }
    size_t End = Text.find_first_of(" \t", I);
    End = End == llvm::StringRef::npos ? Text.size() : End;
    Tokens.push_back({Text.slice(I, End), I});
    I = End;
  }
  if (Tokens.size() != 5) {
    Err = {fmt::format("expected 5 fields (minute hour day-of-month month "
                       "day-of-week), found {}", Tokens.size()),
           0, Text.size()};
    return std::nullopt;
  }
  std::bitset<64> Bits[5];
  for (unsigned I = 0; I < 5; ++I)
    if (!FieldParser(Fields[I], Tokens[I].second, Err)
             .parse(Tokens[I].first, Bits[I]))
      return std::nullopt;
  CronSchedule S;
  for (unsigned V = 0; V < 60; ++V) {
    S.Minutes[V] = Bits[0][V];
    if (V < 24)
      S.Hours[V] = Bits[1][V];
    if (V < 32)
      S.Days[V] = Bits[2][V];
    if (V < 13)
      S.Months[V] = Bits[3][V];
    if (V < 7)
      S.Weekdays[V] = Bits[4][V] || (V == 0 && Bits[4][7]);
  }
  // As in Vixie cron, a field that starts with '*' ("*/2" too) does not
  // restrict the day for the either-day rule.
  S.DayRestricted = !Tokens[2].first.startswith("*");
  S.WeekdayRestricted = !Tokens[4].first.startswith("*");
  return S;
}

std::optional<std::string>
connectorc::whyCronNeverFires(const CronSchedule &S) {
  // With both day fields restricted cron fires when either matches, and every
  // weekday occurs in every month: such a schedule always fires.
  if (!S.DayRestricted || S.WeekdayRestricted)
    return std::nullopt;
  static const unsigned DaysIn[13] = {0,  31, 29, 31, 30, 31, 30,
                                      31, 31, 30, 31, 30, 31};
  static const char *const Names[13] = {
      "",     "January", "February",  "March",   "April",    "May",     "June",
      "July", "August",  "September", "October", "November", "December"};
  std::string Months;
  for (unsigned M = 1; M <= 12; ++M) {
    if (!S.Months[M])
      continue;
    for (unsigned D = 1; D <= DaysIn[M]; ++D)
      if (S.Days[D])
        return std::nullopt;
    Months += Months.empty() ? Names[M] : std::string(", ") + Names[M];
  }
  unsigned First = 1;
  while (First < 32 && !S.Days[First])
    ++First;
  return fmt::format("{} {} no day {}", Months,
                     Months.find(',') == std::string::npos ? "has" : "have",
                     First);
}

//===- Fire times ---------------------------------------------------------===//

namespace {
/// The tz database's directory (TZDIR overrides it, as in the C library).
std::string zoneInfoDir() {
  const char *Dir = std::getenv("TZDIR");
  return Dir && *Dir ? Dir : "/usr/share/zoneinfo";
}

llvm::Error unknownZone(llvm::StringRef TimeZone) {
  return llvm::createStringError(
      std::errc::invalid_argument,
      "unknown time zone '%s' (expected an IANA name such as 'Europe/Paris')",
      TimeZone.str().c_str());
}

/// Makes the C library's local time that of one zone while it lives. TZ is
/// process-wide state, so one lock serialises every use.
class ZoneScope {
public:
  explicit ZoneScope(llvm::StringRef TimeZone) : Lock(mutex()) {
    if (!TimeZone.empty()) {
      if (const char *Old = std::getenv("TZ"))
        Saved = Old;
      Changed = true;
      // The colon asks for the file of that name in the tz database.
      setenv("TZ", (":" + TimeZone).str().c_str(), /*overwrite=*/1);
    }
    tzset(); // localtime_r does not reread TZ by itself
  }
  ~ZoneScope() {
    if (!Changed)
      return;
    if (Saved)
      setenv("TZ", Saved->c_str(), /*overwrite=*/1);
    else
      unsetenv("TZ");
    tzset();
  }
  ZoneScope(const ZoneScope &) = delete;
  ZoneScope &operator=(const ZoneScope &) = delete;

  std::tm brokenDown(std::int64_t T) const {
    std::tm Tm{};
    auto TT = static_cast<std::time_t>(T);
    localtime_r(&TT, &Tm);
    return Tm;
  }
  /// The wall-clock time at \p T, in seconds since 1970-01-01 00:00 there.
  std::int64_t localAt(std::int64_t T) const {
    return T + brokenDown(T).tm_gmtoff;
  }
  /// The first instant whose wall-clock time is \p Local; none when the
  /// clocks skip it. An offset change is never closer than a day to another,
  /// so the offsets in force a day before and after are the only candidates.
  std::optional<std::int64_t> firstInstant(std::int64_t Local) const {
    std::optional<std::int64_t> First;
    for (std::int64_t Probe : {Local - 86400, Local, Local + 86400}) {
      std::int64_t T = Local - brokenDown(Probe).tm_gmtoff;
      if (localAt(T) == Local && (!First || T < *First))
        First = T;
    }
    return First;
  }

private:
  static std::mutex &mutex() {
    static std::mutex M;
    return M;
  }
  std::lock_guard<std::mutex> Lock;
  std::optional<std::string> Saved;
  bool Changed = false;
};

using Days = std::chrono::sys_days;

/// Whether \p S fires on day \p D (month aside): when both day fields are
/// restricted, either may match; an unrestricted field allows every day.
bool firesOnDay(const CronSchedule &S, std::chrono::year_month_day D) {
  bool DayOfMonth = S.Days[static_cast<unsigned>(D.day())];
  bool DayOfWeek = S.Weekdays[std::chrono::weekday(Days(D)).c_encoding()];
  if (S.DayRestricted && S.WeekdayRestricted)
    return DayOfMonth || DayOfWeek;
  return DayOfMonth && DayOfWeek;
}

/// Walks the days a schedule may fire on, collecting fire times.
class FireTimeSearch {
public:
  FireTimeSearch(const CronSchedule &S, const ZoneScope &Zone,
                 std::int64_t After, unsigned N)
      : S(S), Zone(Zone), After(After), N(N),
        // A day early: the local times of the previous day's repeated hour
        // may still come after After.
        From(Zone.localAt(After) - 86400) {}

  std::vector<std::int64_t> run() {
    using namespace std::chrono;
    Days Day = floor<days>(sys_seconds(seconds(From)));
    Days GiveUp = Day + days(MaxGapDays);
    while (Out.size() < N && Day <= GiveUp) {
      year_month_day D(Day);
      if (!S.Months[static_cast<unsigned>(D.month())]) { // skip the month
        Day = Days(D.year() / D.month() / 1 + months(1));
        continue;
      }
      if (firesOnDay(S, D) && fireOn(Day))
        GiveUp = Day + days(MaxGapDays);
      Day += days(1);
    }
    return std::move(Out);
  }

private:
  /// How long a schedule may stay silent before the search stops: long
  /// enough for February 29 across a century year (eight years).
  static constexpr int MaxGapDays = 3653;

  /// Adds the day's fire times; returns whether there were any.
  bool fireOn(Days Day) {
    std::int64_t Midnight = Day.time_since_epoch().count() * 86400LL;
    bool Fired = false;
    for (unsigned H = 0; H < 24 && Out.size() < N; ++H) {
      if (!S.Hours[H])
        continue;
      for (unsigned M = 0; M < 60 && Out.size() < N; ++M) {
        std::int64_t Local = Midnight + H * 3600 + M * 60;
        if (!S.Minutes[M] || Local < From)
          continue;
        std::optional<std::int64_t> T = Zone.firstInstant(Local);
        if (T && *T > After) {
          Out.push_back(*T);
          Fired = true;
        }
      }
    }
    return Fired;
  }

  const CronSchedule &S;
  const ZoneScope &Zone;
  std::int64_t After;
  unsigned N;
  std::int64_t From; ///< local time to start looking at
  std::vector<std::int64_t> Out;
};
} // namespace

bool connectorc::isKnownTimeZone(llvm::StringRef TimeZone) {
  if (TimeZone.empty() || TimeZone == "UTC")
    return true;
  if (TimeZone.startswith("/") || TimeZone.contains("..") ||
      TimeZone.find_first_of(" ,:") != llvm::StringRef::npos)
    return false;
  // An unreadable zone is quietly taken for UTC by the C library, so the file
  // itself is checked: it must be tz data ("TZif").
  std::string Path = zoneInfoDir() + "/" + TimeZone.str();
  std::FILE *F = std::fopen(Path.c_str(), "rb");
  if (!F)
    return false;
  char Magic[4] = {};
  bool IsTzif = std::fread(Magic, 1, 4, F) == 4 &&
                llvm::StringRef(Magic, 4) == "TZif";
  std::fclose(F);
  return IsTzif;
}

llvm::Expected<std::vector<std::int64_t>>
connectorc::nextFireTimes(const CronSchedule &S, std::int64_t After,
                          llvm::StringRef TimeZone, unsigned N) {
  if (!isKnownTimeZone(TimeZone))
    return unknownZone(TimeZone);
  ZoneScope Zone(TimeZone);
  return FireTimeSearch(S, Zone, After, N).run();
}

llvm::Expected<std::string> connectorc::formatFireTime(std::int64_t Time,
                                                       llvm::StringRef TimeZone) {
  if (!isKnownTimeZone(TimeZone))
    return unknownZone(TimeZone);
  ZoneScope Zone(TimeZone);
  std::tm Tm = Zone.brokenDown(Time);
  long Offset = Tm.tm_gmtoff;
  char Sign = Offset < 0 ? '-' : '+';
  Offset = Offset < 0 ? -Offset : Offset;
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02} {} ({}{:02}:{:02})",
                     Tm.tm_year + 1900, Tm.tm_mon + 1, Tm.tm_mday, Tm.tm_hour,
                     Tm.tm_min, Tm.tm_zone ? Tm.tm_zone : "", Sign,
                     Offset / 3600, Offset % 3600 / 60);
}
