//===- Journal.cpp - the run's append-only event log ----------------------===//
#include "runtime/executor/Journal.h"
#include "runtime/support/Files.h"
#include "runtime/support/JsonText.h"

#include "llvm/Support/CRC.h"
#include "llvm/Support/Errc.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::runtime;

namespace {
/// `,"crc":"0123abcd"}` closes every line.
constexpr llvm::StringLiteral CrcKey = ",\"crc\":\"";
constexpr size_t CrcTail = CrcKey.size() + 8 + 2;

uint32_t crcOf(llvm::StringRef Body) {
  return llvm::crc32(llvm::arrayRefFromStringRef(Body));
}

/// Cuts \p FD's file after its last newline (a torn record).
llvm::Error cutTornTail(int FD, llvm::StringRef Path) {
  auto Buf = llvm::MemoryBuffer::getOpenFile(FD, Path, -1);
  if (!Buf)
    return llvm::errorCodeToError(Buf.getError());
  llvm::StringRef Text = (*Buf)->getBuffer();
  if (Text.empty() || Text.back() == '\n')
    return llvm::Error::success();
  size_t Keep = Text.rfind('\n');
  Keep = Keep == llvm::StringRef::npos ? 0 : Keep + 1;
  if (::ftruncate(FD, static_cast<off_t>(Keep)) != 0)
    return errnoError("cannot cut the torn record off " + Path);
  return llvm::Error::success();
}
} // namespace

llvm::StringRef runtime::eventString(const llvm::json::Object &E,
                                     llvm::StringRef Key) {
  return E.getString(Key).getValueOr("");
}

int64_t runtime::eventInteger(const llvm::json::Object &E,
                              llvm::StringRef Key) {
  return E.getInteger(Key).getValueOr(0);
}

double runtime::eventNumber(const llvm::json::Object &E, llvm::StringRef Key) {
  return E.getNumber(Key).getValueOr(0);
}

std::string runtime::encodeJournalLine(const llvm::json::Object &Event) {
  std::string Body = toJsonText(llvm::json::Object(Event));
  // Body is "{...}": the crc goes in before the closing brace.
  assert(!Body.empty() && Body.back() == '}');
  uint32_t Crc = crcOf(Body);
  Body.pop_back();
  bool Empty = Body.size() == 1;
  Body += fmt::format("{}\"crc\":\"{:08x}\"}}\n", Empty ? "" : ",", Crc);
  return Body;
}

std::optional<llvm::json::Object>
runtime::decodeJournalLine(llvm::StringRef Line) {
  Line = Line.rtrim("\r\n");
  if (Line.size() < CrcTail || !Line.endswith("\"}"))
    return std::nullopt;
  llvm::StringRef Hex = Line.substr(Line.size() - 10, 8);
  llvm::StringRef Key = Line.substr(0, Line.size() - 10);
  std::string Body;
  if (Key.consume_back(CrcKey))
    Body = (Key + "}").str();
  else if (Key == "{\"crc\":\"")
    Body = "{}";
  else
    return std::nullopt;
  uint32_t Want = 0;
  if (Hex.getAsInteger(16, Want) || Want != crcOf(Body))
    return std::nullopt;
  llvm::Expected<llvm::json::Value> V = llvm::json::parse(Body);
  if (!V) {
    llvm::consumeError(V.takeError());
    return std::nullopt;
  }
  if (llvm::json::Object *O = V->getAsObject())
    return std::move(*O);
  return std::nullopt;
}

std::vector<llvm::json::Object> runtime::readJournalText(llvm::StringRef Text,
                                                         unsigned *Damaged) {
  std::vector<llvm::json::Object> Events;
  while (!Text.empty()) {
    auto [Line, Rest] = Text.split('\n');
    Text = Rest;
    if (Line.trim().empty())
      continue;
    if (std::optional<llvm::json::Object> E = decodeJournalLine(Line))
      Events.push_back(std::move(*E));
    else if (Damaged)
      ++*Damaged;
  }
  return Events;
}

llvm::Expected<std::vector<llvm::json::Object>>
runtime::readJournal(llvm::StringRef Path) {
  auto Buf = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!Buf) {
    if (Buf.getError() == llvm::errc::no_such_file_or_directory)
      return std::vector<llvm::json::Object>();
    return llvm::createStringError(Buf.getError(),
                                   "cannot read journal " + Path);
  }
  return readJournalText((*Buf)->getBuffer());
}

llvm::Expected<Journal> Journal::open(llvm::StringRef Path) {
  int FD =
      ::open(Path.str().c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (FD < 0)
    return errnoError("cannot open journal " + Path);
  if (llvm::Error E = cutTornTail(FD, Path)) {
    ::close(FD);
    return E;
  }
  return Journal(FD);
}

Journal::Journal(Journal &&Other) noexcept : FD(Other.FD) { Other.FD = -1; }

Journal &Journal::operator=(Journal &&Other) noexcept {
  std::swap(FD, Other.FD);
  return *this;
}

Journal::~Journal() {
  if (FD >= 0)
    ::close(FD);
}

llvm::Error Journal::append(const llvm::json::Object &Event, bool Sync) {
  std::string Line = encodeJournalLine(Event);
  // One write() per record: with O_APPEND a record is never interleaved.
  llvm::StringRef Left = Line;
  while (!Left.empty()) {
    ssize_t N = ::write(FD, Left.data(), Left.size());
    if (N < 0 && errno == EINTR)
      continue;
    if (N < 0)
      return errnoError("cannot write to the journal");
    Left = Left.drop_front(static_cast<size_t>(N));
  }
  return Sync ? sync() : llvm::Error::success();
}

llvm::Error Journal::sync() {
  if (::fdatasync(FD) != 0)
    return errnoError("cannot flush the journal");
  return llvm::Error::success();
}
