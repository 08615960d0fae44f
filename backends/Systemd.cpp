//===- Systemd.cpp - the systemd backend ----------------------------------===//
//
// `--emit=systemd`: a oneshot service that runs `connectorc run SPEC` in the
// project root, and a timer that starts it at the spec's schedule. Written
// into a directory (`-o DIR`: DIR/connector-<workflow>.service and .timer),
// or both to one stream, each after a `# ---- file: NAME ----` line.
//
// The cron schedule becomes OnCalendar= expressions (onCalendarExpressions),
// schedule.timezone their zone suffix (systemd 235 and later).
//
//===----------------------------------------------------------------------===//
#include "backends/Backend.h"
#include "backends/Scheduled.h"

#include "fmt/format.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace connectorc;

std::string connectorc::quoteSystemdArg(llvm::StringRef S) {
  // Bytes of valid UTF-8 stay as they are; in a string that is not, every
  // byte over 0x7f is written \xNN, as the unit file must be UTF-8.
  const auto *Begin = reinterpret_cast<const llvm::UTF8 *>(S.data());
  bool Utf8 = llvm::isLegalUTF8String(&Begin, Begin + S.size());
  std::string Out = "\"";
  for (unsigned char C : S) {
    switch (C) {
    case '"':
      Out += "\\\"";
      break;
    case '\\':
      Out += "\\\\";
      break;
    case '%': // specifiers are expanded before the line is split into words
      Out += "%%";
      break;
    case '$': // $NAME and ${NAME} are replaced by environment variables
      Out += "$$";
      break;
    case '\n':
      Out += "\\n";
      break;
    case '\t':
      Out += "\\t";
      break;
    default:
      if (C < 0x20 || C == 0x7f || (C > 0x7f && !Utf8))
        Out += fmt::format("\\x{:02x}", C);
      else
        Out += static_cast<char>(C);
    }
  }
  return Out + "\"";
}

namespace {

template <size_t N>
llvm::SmallVector<unsigned, 60> valuesOf(const std::bitset<N> &Bits) {
  llvm::SmallVector<unsigned, 60> Values;
  for (unsigned I = 0; I < N; ++I)
    if (Bits[I])
      Values.push_back(I);
  return Values;
}

/// Whether \p Values step evenly from the first to the last one a repetition
/// `first/step` reaches below \p Max (at least three values, step > 1).
bool isRepetition(llvm::ArrayRef<unsigned> Values, unsigned Max) {
  if (Values.size() < 3)
    return false;
  unsigned Step = Values[1] - Values[0];
  for (unsigned I = 1; I < Values.size(); ++I)
    if (Values[I] - Values[I - 1] != Step)
      return false;
  return Step > 1 && Values.back() + Step > Max;
}

/// \p Values, ascending, as a comma list where three or more consecutive
/// values are a range `a..b`; \p Name writes one value.
std::string rangeList(llvm::ArrayRef<unsigned> Values,
                      llvm::function_ref<std::string(unsigned)> Name) {
  std::string Out;
  for (size_t I = 0; I < Values.size();) {
    size_t J = I;
    while (J + 1 < Values.size() && Values[J + 1] == Values[J] + 1)
      ++J;
    Out += Out.empty() ? "" : ",";
    if (J - I >= 2) {
      Out += Name(Values[I]) + ".." + Name(Values[J]);
    } else {
      J = I;
      Out += Name(Values[I]);
    }
    I = J + 1;
  }
  return Out;
}

/// A calendar field allowing \p Values out of [\p Min, \p Max]: `*`, a
/// repetition `a/step`, or a list of values and ranges.
std::string calendarField(llvm::ArrayRef<unsigned> Values, unsigned Min,
                          unsigned Max) {
  auto TwoDigits = [](unsigned V) { return fmt::format("{:02}", V); };
  if (Values.size() == Max - Min + 1)
    return "*";
  if (isRepetition(Values, Max))
    return fmt::format("{:02}/{}", Values[0], Values[1] - Values[0]);
  return rangeList(Values, TwoDigits);
}

/// The weekday part of an expression ("" for every day), Monday first as
/// systemd orders the week, so that Sat..Sun and Mon..Fri are ranges.
std::string weekdayField(const std::bitset<7> &Weekdays) {
  static const char *const Names[] = {"Mon", "Tue", "Wed", "Thu",
                                      "Fri", "Sat", "Sun"};
  if (Weekdays.all())
    return "";
  llvm::SmallVector<unsigned, 7> MondayFirst;
  for (unsigned I = 0; I < 7; ++I)
    if (Weekdays[(I + 1) % 7]) // cron's 0 is Sunday
      MondayFirst.push_back(I);
  return rangeList(MondayFirst,
                   [](unsigned I) { return std::string(Names[I]); }) +
         " ";
}

std::string calendarExpression(const CronSchedule &S,
                               const std::bitset<7> &Weekdays,
                               const std::bitset<32> &Days,
                               llvm::StringRef TimeZone) {
  llvm::SmallVector<unsigned, 60> DayValues = valuesOf(Days);
  llvm::SmallVector<unsigned, 60> MonthValues = valuesOf(S.Months);
  return fmt::format("{}*-{}-{} {}:{}:00{}{}", weekdayField(Weekdays),
                     calendarField(MonthValues, 1, 12),
                     calendarField(DayValues, 1, 31),
                     calendarField(valuesOf(S.Hours), 0, 23),
                     calendarField(valuesOf(S.Minutes), 0, 59),
                     TimeZone.empty() ? "" : " ", TimeZone.str());
}

} // namespace

std::vector<std::string>
connectorc::onCalendarExpressions(const CronSchedule &S,
                                  llvm::StringRef TimeZone) {
  std::bitset<32> AllDays;
  for (unsigned D = 1; D <= 31; ++D)
    AllDays.set(D);
  if (!(S.DayRestricted && S.WeekdayRestricted))
    return {calendarExpression(S, S.Weekdays, S.Days, TimeZone)};
  // Both restricted: cron fires on a day matching either field.
  return {calendarExpression(S, std::bitset<7>().set(), S.Days, TimeZone),
          calendarExpression(S, S.Weekdays, AllDays, TimeZone)};
}

namespace {

/// \p Path for a unit setting that takes a path (specifiers expanded, no
/// quoting): `%` doubled; an error when it has control characters or
/// surrounding blanks, which such a setting cannot hold.
llvm::Expected<std::string> unitPath(llvm::StringRef Path) {
  if (Path.trim() != Path ||
      llvm::any_of(Path, [](unsigned char C) { return C < 0x20 || C == 0x7f; }))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the project root '%s' cannot be a systemd WorkingDirectory= (control "
        "characters or surrounding blanks)",
        Path.str().c_str());
  std::string Out;
  for (char C : Path)
    Out += C == '%' ? std::string("%%") : std::string(1, C);
  return Out;
}

struct UnitFiles {
  std::string Name; ///< without the suffix
  std::string Service, Timer;
};

llvm::Expected<UnitFiles> makeUnits(const ir::Plan &P, const ScheduledRun &R) {
  llvm::Expected<std::string> Root = unitPath(R.ProjectRoot);
  if (!Root)
    return Root.takeError();
  UnitFiles U;
  U.Name = "connector-" + P.Workflow;
  std::string Zone = P.TimeZone.empty() ? "local time" : P.TimeZone;
  U.Service = fmt::format("# Generated by `connectorc build --emit=systemd`; "
                          "started by {0}.timer.\n"
                          "[Unit]\n"
                          "Description=connectorc workflow {1}\n\n"
                          "[Service]\n"
                          "Type=oneshot\n"
                          "WorkingDirectory={2}\n"
                          "ExecStart={3} {4} {5}\n",
                          U.Name, P.Workflow, *Root, quoteSystemdArg(R.Exe),
                          quoteSystemdArg("run"), quoteSystemdArg(R.Spec));
  U.Timer = fmt::format("# Generated by `connectorc build --emit=systemd`: "
                        "cron '{0}', {1}.\n"
                        "[Unit]\n"
                        "Description=connectorc workflow {2} at '{0}' ({1})\n\n"
                        "[Timer]\n",
                        R.Cron, Zone, P.Workflow);
  for (const std::string &E : onCalendarExpressions(R.Schedule, P.TimeZone))
    U.Timer += "OnCalendar=" + E + "\n";
  U.Timer += fmt::format("Persistent=true\nUnit={}.service\n\n"
                         "[Install]\nWantedBy=timers.target\n",
                         U.Name);
  return U;
}

llvm::Error writeUnitsInto(llvm::StringRef Dir, const UnitFiles &U) {
  for (auto [Suffix, Text] :
       {std::pair{".service", &U.Service}, std::pair{".timer", &U.Timer}}) {
    llvm::SmallString<256> Path(Dir);
    llvm::sys::path::append(Path, U.Name + Suffix);
    if (llvm::Error E = llvm::writeToOutput(Path, [&](llvm::raw_ostream &OS) {
          OS << *Text;
          return llvm::Error::success();
        }))
      return E;
  }
  return llvm::Error::success();
}

} // namespace

llvm::Error connectorc::emitSystemd(llvm::raw_ostream &OS, const ir::Plan &P,
                                    const EmitOptions &Opts) {
  llvm::Expected<ScheduledRun> R = scheduledRun(P, Opts, "systemd");
  if (!R)
    return R.takeError();
  llvm::Expected<UnitFiles> U = makeUnits(P, *R);
  if (!U)
    return U.takeError();
  if (Opts.OutputPath != "-" && llvm::sys::fs::is_directory(Opts.OutputPath))
    return writeUnitsInto(Opts.OutputPath, *U);
  OS << "# ---- file: " << U->Name << ".service ----\n"
     << U->Service << "\n# ---- file: " << U->Name << ".timer ----\n"
     << U->Timer;
  return llvm::Error::success();
}
