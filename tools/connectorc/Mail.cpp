//===- Mail.cpp - `connectorc mail send|read|list` ------------------------===//
//
// Thin: the session's identity and mail root come from the environment the
// runtime sets (CONNECTOR_MAIL_NAME, CONNECTOR_MAIL_DIR) or from --as and
// --mail-dir; the maildirs are runtime/executor/Mailbox.h's. docs/mail.md.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "frontend/Suggest.h"
#include "ir/Module.h"
#include "runtime/support/Clock.h"
#include "runtime/executor/Mailbox.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

using namespace connectorc;
using namespace connectorc::driver;
namespace cl = llvm::cl;

namespace {
cl::opt<std::string>
    MailDir("mail-dir",
            cl::desc("The mail root, whose subdirectories are the mailboxes "
                     "(default: $CONNECTOR_MAIL_DIR)"),
            cl::value_desc("dir"), cl::sub(mailSendCommand()),
            cl::sub(mailReadCommand()), cl::sub(mailListCommand()),
            cl::cat(Category));
cl::opt<std::string> As("as",
                        cl::desc("Whose mailbox: the sender, or the reader "
                                 "(default: $CONNECTOR_MAIL_NAME)"),
                        cl::value_desc("name"), cl::sub(mailSendCommand()),
                        cl::sub(mailReadCommand()), cl::sub(mailListCommand()),
                        cl::cat(Category));

cl::opt<std::string> To("to",
                        cl::desc("The recipient's name, or 'all' for every "
                                 "other mailbox"),
                        cl::value_desc("name"), cl::sub(mailSendCommand()),
                        cl::cat(Category));
cl::opt<std::string> Subject("subject", cl::desc("The subject (one line)"),
                             cl::value_desc("text"), cl::sub(mailSendCommand()),
                             cl::cat(Category));
// The body: a file, or standard input ("-", the default).
cl::opt<std::string> BodyFile(cl::Positional, cl::init("-"),
                              cl::desc("[FILE | -]"),
                              cl::sub(mailSendCommand()), cl::cat(Category));

cl::opt<std::string>
    Wait("wait",
         cl::desc("When no message is there, wait up to this long for one "
                  "(30s, 5m); exit 3 when none came"),
         cl::value_desc("duration"), cl::sub(mailReadCommand()),
         cl::cat(Category));

cl::opt<std::string> Unknown(cl::Positional, cl::desc("<send | read | list>"),
                             cl::sub(mailCommand()), cl::cat(Category));

/// An option's value, else the environment variable's; "" when neither.
std::string optionOrEnv(const std::string &Option, const char *Var) {
  if (!Option.empty())
    return Option;
  return llvm::sys::Process::GetEnv(Var).getValueOr("");
}

/// Whose mail, and where.
struct Identity {
  std::string Root;
  std::string Name;
};

/// The identity from --mail-dir/--as or the environment; a usage error
/// (its status in \p Status) when one is missing.
std::optional<Identity> identity(llvm::StringRef Tool, int &Status) {
  Identity I{optionOrEnv(MailDir, "CONNECTOR_MAIL_DIR"),
             optionOrEnv(As, "CONNECTOR_MAIL_NAME")};
  if (I.Root.empty())
    Status = usage(Tool, "no mail root: CONNECTOR_MAIL_DIR is not set (the "
                         "runtime sets it in a session with a mailbox); "
                         "pass --mail-dir DIR");
  else if (I.Name.empty())
    Status = usage(Tool, "no identity: CONNECTOR_MAIL_NAME is not set (the "
                         "runtime sets it in a session with a mailbox); "
                         "pass --as NAME");
  else
    return I;
  return std::nullopt;
}

/// ExitOk when \p Name is a mailbox under \p Root, else a usage error that
/// lists the mailboxes there.
int checkKnown(llvm::StringRef Tool, const Identity &I, llvm::StringRef Name) {
  std::vector<std::string> Known = runtime::listMailboxes(I.Root);
  if (llvm::is_contained(Known, Name))
    return ExitOk;
  return usage(Tool,
               fmt::format("no mailbox '{}' in {} (mailboxes: {}){}",
                           Name.str(), I.Root,
                           Known.empty() ? "none" : llvm::join(Known, ", "),
                           didYouMean(nearestName(Name, Known))));
}

void printMessage(llvm::raw_ostream &OS, const runtime::MailEntry &E) {
  if (!E.Error.empty()) {
    OS << "(" << E.Path << " is not a message: " << E.Error << ")\n";
    return;
  }
  llvm::Expected<std::string> Text = runtime::formatMessage(E.Message);
  if (!Text) { // it parsed, so only a hand-made file gets here
    OS << "(" << E.Path << ": " << llvm::toString(Text.takeError()) << ")\n";
    return;
  }
  OS << *Text;
  if (!llvm::StringRef(*Text).endswith("\n"))
    OS << '\n';
}
} // namespace

cl::SubCommand &driver::mailCommand() {
  static cl::SubCommand S("mail", "Message the run's other agents: "
                                  "'connectorc mail send|read|list' "
                                  "(docs/mail.md)");
  return S;
}

cl::SubCommand &driver::mailSendCommand() {
  static cl::SubCommand S("mail send",
                          "Send a message (the body: FILE or standard "
                          "input) to another agent's mailbox, or to all");
  return S;
}

cl::SubCommand &driver::mailReadCommand() {
  static cl::SubCommand S("mail read",
                          "Print the new messages of your mailbox and mark "
                          "them read; exit 3 when there were none and "
                          "--wait was given");
  return S;
}

cl::SubCommand &driver::mailListCommand() {
  static cl::SubCommand S("mail list", "List your mailbox's messages, new "
                                       "and read: state, date, sender, "
                                       "subject");
  return S;
}

std::vector<const char *> driver::joinNestedCommand(int Argc, char **Argv) {
  std::vector<const char *> Out(Argv, Argv + Argc);
  static std::string Joined;
  static const llvm::StringRef Nested[] = {"send", "read", "list"};
  if (Argc >= 3 && llvm::StringRef(Argv[1]) == "mail" &&
      llvm::is_contained(Nested, llvm::StringRef(Argv[2]))) {
    Joined = std::string("mail ") + Argv[2];
    Out.erase(Out.begin() + 1);
    Out[1] = Joined.c_str();
  }
  return Out;
}

int driver::runMail() {
  const char *Tool = "connectorc mail";
  if (Unknown.empty())
    return usage(Tool, "say what to do: connectorc mail send|read|list "
                       "(--help on each)");
  return usage(Tool, fmt::format("unknown mail command '{}' (the commands "
                                 "are send, read and list){}",
                                 Unknown.getValue(),
                                 didYouMean(nearestName(
                                     Unknown, std::vector<std::string>{
                                                  "send", "read", "list"}))));
}

int driver::runMailSend() {
  const char *Tool = "connectorc mail send";
  int Status = ExitOk;
  std::optional<Identity> I = identity(Tool, Status);
  if (!I)
    return Status;
  if (To.empty())
    return usage(Tool, "--to NAME is required (or --to all)");
  if (To != "all")
    if (int Bad = checkKnown(Tool, *I, To))
      return Bad;
  auto Body =
      llvm::MemoryBuffer::getFileOrSTDIN(BodyFile, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!Body)
    return usage(Tool,
                 "cannot read " + BodyFile + ": " + Body.getError().message());
  std::vector<std::string> Names = runtime::recipients(I->Root, I->Name, To);
  if (Names.empty())
    return failure(Tool,
                   llvm::createStringError(llvm::inconvertibleErrorCode(),
                                           "no other mailbox in " + I->Root));
  runtime::MailMessage M{I->Name, Names.front(), Subject,
                         runtime::SystemClock().utcStamp(),
                         (*Body)->getBuffer().str()};
  // A bad sender name or subject is the user's to fix, before any delivery.
  if (llvm::Expected<std::string> Text = runtime::formatMessage(M); !Text)
    return usage(Tool, llvm::toString(Text.takeError()));
  for (const std::string &Name : Names) {
    M.To = Name;
    llvm::Expected<std::string> Path = runtime::deliver(I->Root, M);
    if (!Path)
      return failure(Tool, Path.takeError());
    llvm::outs() << "delivered to " << Name << "\n";
  }
  return ExitOk;
}

int driver::runMailRead() {
  const char *Tool = "connectorc mail read";
  int Status = ExitOk;
  std::optional<Identity> I = identity(Tool, Status);
  if (!I)
    return Status;
  std::optional<double> Seconds = 0.0;
  if (!Wait.empty() && !(Seconds = ir::parseDuration(Wait)))
    return usage(Tool, "--wait wants a duration such as 30s, 5m or 1h; got '" +
                           Wait + "'");
  if (int Bad = checkKnown(Tool, *I, I->Name))
    return Bad;
  llvm::Expected<std::vector<runtime::MailEntry>> Got =
      runtime::waitForMail(I->Root, I->Name, *Seconds);
  if (!Got)
    return failure(Tool, Got.takeError());
  for (size_t N = 0; N < Got->size(); ++N) {
    if (N)
      llvm::outs() << '\n';
    printMessage(llvm::outs(), (*Got)[N]);
  }
  if (!Got->empty())
    return ExitOk;
  llvm::errs() << "no new mail" << (Wait.empty() ? "" : " within " + Wait)
               << "\n";
  return Wait.empty() ? ExitOk : ExitNoMail;
}

int driver::runMailList() {
  const char *Tool = "connectorc mail list";
  int Status = ExitOk;
  std::optional<Identity> I = identity(Tool, Status);
  if (!I)
    return Status;
  if (int Bad = checkKnown(Tool, *I, I->Name))
    return Bad;
  llvm::Expected<std::vector<runtime::MailEntry>> All =
      runtime::listMail(I->Root, I->Name);
  if (!All)
    return failure(Tool, All.takeError());
  for (const runtime::MailEntry &E : *All) {
    const runtime::MailMessage &M = E.Message;
    llvm::outs() << fmt::format(
        "{:<4} {} {} {}\n", E.Seen ? "read" : "new",
        E.Error.empty() ? M.Date : "-", E.Error.empty() ? M.From : "-",
        E.Error.empty() ? M.Subject : "(not a message)");
  }
  return ExitOk;
}
