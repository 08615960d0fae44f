//===- Cron.cpp - parsing and checking cron schedules ---------------------===//
#include "ir/Cron.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

#include "ir/Fmt.h"

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
  S.DayRestricted = Tokens[2].first != "*";
  S.WeekdayRestricted = Tokens[4].first != "*";
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
