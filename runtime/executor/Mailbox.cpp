//===- Mailbox.cpp - maildir mailboxes for a run's participants -----------===//
#include "runtime/executor/Mailbox.h"
#include "runtime/support/Files.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <functional>
#include <random>
#include <sys/inotify.h>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::runtime;
using llvm::StringRef;
namespace asio = boost::asio;

namespace {
llvm::Error fail(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

/// "<What>: <the reason>", for a failed system call.
llvm::Error errnoError(const llvm::Twine &What) {
  std::error_code EC(errno, std::generic_category());
  return llvm::createStringError(EC, What + ": " + EC.message());
}

std::string boxDir(StringRef Root, StringRef Name, StringRef Sub) {
  return (Root + "/" + Name + "/" + Sub).str();
}

bool hasControl(StringRef S) {
  return llvm::any_of(S, [](char C) {
    return static_cast<unsigned char>(C) < 0x20 || C == 0x7f;
  });
}

/// The host part of a message name, as maildir writes it.
std::string hostPart() {
  char Buf[256] = {};
  if (::gethostname(Buf, sizeof Buf - 1) != 0 || !Buf[0])
    return "localhost";
  std::string Out;
  for (char C : StringRef(Buf))
    Out += C == '/' ? "\\057" : C == ':' ? "\\072" : std::string(1, C);
  return Out;
}

/// Writes \p Text to a new file in \p TmpDir (never over an existing one)
/// and returns its name.
llvm::Expected<std::string> writeNew(const std::string &TmpDir,
                                     StringRef Text) {
  for (unsigned Attempt = 0;; ++Attempt) {
    std::string Name = uniqueMessageName();
    std::string Path = TmpDir + "/" + Name;
    int FD =
        ::open(Path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (FD < 0 && errno == EEXIST && Attempt < 8)
      continue;
    if (FD < 0)
      return errnoError("cannot create " + Path);
    llvm::raw_fd_ostream OS(FD, /*shouldClose=*/true);
    OS << Text;
    OS.close();
    if (OS.has_error()) {
      std::error_code EC = OS.error();
      OS.clear_error();
      ::unlink(Path.c_str()); // half a message helps no one
      return llvm::createStringError(EC, "cannot write " + Path + ": " +
                                             EC.message());
    }
    return Name;
  }
}

/// The message files of \p Dir (not dot files), sorted by name.
std::vector<std::string> messageFiles(const std::string &Dir) {
  std::vector<std::string> Names;
  std::error_code EC;
  for (llvm::sys::fs::directory_iterator It(Dir, EC), End; !EC && It != End;
       It.increment(EC)) {
    StringRef Name = llvm::sys::path::filename(It->path());
    if (!Name.startswith("."))
      Names.push_back(Name.str());
  }
  llvm::sort(Names);
  return Names;
}

/// Reads the message at \p Path into an entry.
MailEntry readEntry(std::string Path, StringRef Name, bool Seen) {
  MailEntry E;
  E.Path = std::move(Path);
  E.Name = Name.str();
  E.Seen = Seen;
  auto Buf = llvm::MemoryBuffer::getFile(E.Path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!Buf) {
    E.Error = "cannot read " + E.Path + ": " + Buf.getError().message();
    return E;
  }
  llvm::Expected<MailMessage> M = parseMessage((*Buf)->getBuffer());
  if (M) {
    E.Message = std::move(*M);
    return E;
  }
  E.Error = llvm::toString(M.takeError());
  E.Message.Body = (*Buf)->getBuffer().str();
  return E;
}

llvm::Error checkBox(StringRef Root, StringRef Name) {
  if (std::string Why = checkMailboxName(Name); !Why.empty())
    return fail(Why);
  if (!llvm::sys::fs::is_directory(boxDir(Root, Name, "new")))
    return fail("no mailbox '" + Name + "' in " + Root);
  return llvm::Error::success();
}
} // namespace

std::string runtime::checkMailboxName(StringRef Name) {
  if (Name.empty())
    return "a mailbox name is empty";
  if (Name == "." || Name == ".." || Name.contains('/') || hasControl(Name))
    return "'" + Name.str() +
           "' is not a mailbox name (one directory name, no control "
           "characters)";
  return "";
}

llvm::Expected<std::string> runtime::formatMessage(const MailMessage &M) {
  for (StringRef Name : {StringRef(M.From), StringRef(M.To)})
    if (std::string Why = checkMailboxName(Name); !Why.empty())
      return fail(Why);
  if (hasControl(M.Subject))
    return fail("the subject holds a line break or another control "
                "character; give it on one line");
  if (hasControl(M.Date))
    return fail("the date holds a control character");
  return fmt::format("From: {}\nTo: {}\nSubject: {}\nDate: {}\n\n{}", M.From,
                     M.To, M.Subject, M.Date, M.Body);
}

llvm::Expected<MailMessage> runtime::parseMessage(StringRef Text) {
  size_t End = Text.find("\n\n");
  if (End == StringRef::npos)
    return fail("not a message: no blank line after the headers");
  MailMessage M;
  llvm::SmallVector<StringRef, 4> Lines;
  Text.take_front(End).split(Lines, '\n');
  for (StringRef Line : Lines) {
    auto [Key, Value] = Line.split(": ");
    if (Key == "From")
      M.From = Value.str();
    else if (Key == "To")
      M.To = Value.str();
    else if (Key == "Subject")
      M.Subject = Value.str();
    else if (Key == "Date")
      M.Date = Value.str();
  }
  if (M.From.empty() || M.To.empty() || M.Date.empty())
    return fail("not a message: it lacks From, To or Date");
  M.Body = Text.drop_front(End + 2).str();
  return M;
}

std::string runtime::uniqueMessageName() {
  static std::atomic<unsigned> Counter{0};
  static const std::string Host = hostPart();
  auto Now = std::chrono::system_clock::now().time_since_epoch();
  auto Usecs =
      std::chrono::duration_cast<std::chrono::microseconds>(Now).count();
  // A sandbox's PID namespace makes PIDs collide across sessions, and a
  // counter starts at 0 in every process: 64 random bits keep names apart.
  std::random_device Random;
  uint64_t R = (uint64_t(Random()) << 32) | Random();
  return fmt::format("{}.M{:06}P{}R{:016x}Q{}.{}", Usecs / 1000000,
                     Usecs % 1000000, ::getpid(), R, ++Counter, Host);
}

llvm::Error runtime::createMailbox(StringRef Root, StringRef Name) {
  if (std::string Why = checkMailboxName(Name); !Why.empty())
    return fail(Why);
  for (const char *Sub : {"tmp", "new", "cur"}) {
    std::string Dir = boxDir(Root, Name, Sub);
    if (std::error_code EC = llvm::sys::fs::create_directories(Dir))
      return llvm::createStringError(EC, "cannot create " + Dir);
  }
  return llvm::Error::success();
}

std::vector<std::string> runtime::listMailboxes(StringRef Root) {
  std::vector<std::string> Out;
  std::error_code EC;
  for (llvm::sys::fs::directory_iterator It(Root, EC), End; !EC && It != End;
       It.increment(EC))
    if (llvm::sys::fs::is_directory(It->path() + "/new"))
      Out.push_back(llvm::sys::path::filename(It->path()).str());
  llvm::sort(Out);
  return Out;
}

std::vector<std::string> runtime::recipients(StringRef Root, StringRef From,
                                             StringRef To) {
  if (To != "all")
    return {To.str()};
  std::vector<std::string> Out = listMailboxes(Root);
  llvm::erase_value(Out, From.str());
  return Out;
}

llvm::Expected<std::string> runtime::deliver(StringRef Root,
                                             const MailMessage &M) {
  if (llvm::Error E = checkBox(Root, M.To))
    return E;
  llvm::Expected<std::string> Text = formatMessage(M);
  if (!Text)
    return Text.takeError();
  std::string Tmp = boxDir(Root, M.To, "tmp"), New = boxDir(Root, M.To, "new");
  llvm::Expected<std::string> Name = writeNew(Tmp, *Text);
  if (!Name)
    return Name.takeError();
  std::string To = New + "/" + *Name;
  // fdatasync, then rename: new/ never holds part of a message.
  if (llvm::Error E = commitFile(Tmp + "/" + *Name, To))
    return E;
  if (llvm::Error E = syncDirectory(New))
    return E;
  return To;
}

llvm::Expected<std::vector<MailEntry>> runtime::readNewMail(StringRef Root,
                                                            StringRef Name) {
  if (llvm::Error E = checkBox(Root, Name))
    return E;
  std::string New = boxDir(Root, Name, "new"), Cur = boxDir(Root, Name, "cur");
  std::vector<MailEntry> Out;
  for (const std::string &File : messageFiles(New)) {
    std::string To = Cur + "/" + File + ":2,S";
    if (::rename((New + "/" + File).c_str(), To.c_str()) != 0) {
      if (errno == ENOENT) // another reader took it
        continue;
      return errnoError("cannot move " + New + "/" + File + " to " + Cur);
    }
    Out.push_back(readEntry(To, File, /*Seen=*/true));
  }
  if (!Out.empty())
    if (llvm::Error E = syncDirectory(Cur))
      return E;
  return Out;
}

llvm::Expected<std::vector<MailEntry>>
runtime::waitForMail(StringRef Root, StringRef Name, double Seconds) {
  if (llvm::Error E = checkBox(Root, Name))
    return E;
  // Watch first, then look: a message that arrives in between is not missed.
  int In = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (In < 0)
    return errnoError("cannot watch " + boxDir(Root, Name, "new"));
  asio::io_context Io;
  asio::posix::stream_descriptor Watch(Io, In);
  if (::inotify_add_watch(In, boxDir(Root, Name, "new").c_str(),
                          IN_MOVED_TO | IN_CREATE) < 0)
    return errnoError("cannot watch " + boxDir(Root, Name, "new"));
  llvm::Expected<std::vector<MailEntry>> Got = readNewMail(Root, Name);
  if (!Got || !Got->empty() || Seconds <= 0)
    return Got;
  asio::steady_timer Deadline(Io);
  Deadline.expires_after(
      std::chrono::duration_cast<asio::steady_timer::duration>(
          std::chrono::duration<double>(Seconds)));
  Deadline.async_wait([&Watch](boost::system::error_code EC) {
    if (!EC)
      Watch.cancel();
  });
  std::array<char, 4096> Buf;
  std::function<void()> Wait = [&] {
    Watch.async_read_some(asio::buffer(Buf),
                          [&](boost::system::error_code EC, size_t) {
                            if (EC)
                              return;
                            Got = readNewMail(Root, Name);
                            if (!Got || !Got->empty())
                              Deadline.cancel();
                            else
                              Wait();
                          });
  };
  Wait();
  Io.run();
  return Got;
}

llvm::Expected<std::vector<MailEntry>> runtime::listMail(StringRef Root,
                                                         StringRef Name) {
  if (llvm::Error E = checkBox(Root, Name))
    return E;
  std::vector<MailEntry> Out;
  for (bool Seen : {false, true}) {
    std::string Dir = boxDir(Root, Name, Seen ? "cur" : "new");
    for (const std::string &File : messageFiles(Dir))
      Out.push_back(readEntry(
          Dir + "/" + File,
          Seen ? StringRef(File).split(':').first : StringRef(File), Seen));
  }
  llvm::sort(Out, [](const MailEntry &A, const MailEntry &B) {
    return A.Name < B.Name;
  });
  return Out;
}
