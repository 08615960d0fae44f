//===- Files.cpp - durable file writes for the run directory --------------===//
#include "runtime/support/Files.h"

#include "ir/GitIgnore.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::runtime;

llvm::Error runtime::errnoError(const llvm::Twine &What) {
  return llvm::createStringError(
      std::error_code(errno, std::generic_category()), What);
}

namespace {

llvm::Error writeAll(int FD, llvm::StringRef Data, llvm::StringRef Path) {
  while (!Data.empty()) {
    ssize_t N = ::write(FD, Data.data(), Data.size());
    if (N < 0 && errno == EINTR)
      continue;
    if (N < 0)
      return errnoError("cannot write " + Path);
    Data = Data.drop_front(static_cast<size_t>(N));
  }
  return llvm::Error::success();
}

std::string tmpName(llvm::StringRef Path) {
  return (Path + ".tmp." + llvm::Twine(::getpid())).str();
}
} // namespace

llvm::Error runtime::createParentDirs(llvm::StringRef Path) {
  llvm::StringRef Dir = llvm::sys::path::parent_path(Path);
  if (Dir.empty())
    return llvm::Error::success();
  if (std::error_code EC = llvm::sys::fs::create_directories(Dir))
    return llvm::createStringError(EC, "cannot create " + Dir);
  return llvm::Error::success();
}

/// Flushes \p Path to disk: a file's data (fdatasync), or a directory's
/// entries (fsync).
static llvm::Error flush(llvm::StringRef Path, bool Directory) {
  int FD = ::open(Path.str().c_str(),
                  O_RDONLY | O_CLOEXEC | (Directory ? O_DIRECTORY : 0));
  if (FD < 0)
    return errnoError("cannot open " + Path);
  int Err = (Directory ? ::fsync(FD) : ::fdatasync(FD)) == 0 ? 0 : errno;
  ::close(FD);
  if (Err)
    return llvm::createStringError(
        std::error_code(Err, std::generic_category()), "cannot flush " + Path);
  return llvm::Error::success();
}

llvm::Error runtime::syncDirectory(llvm::StringRef Dir) {
  return flush(Dir, /*Directory=*/true);
}

llvm::Error runtime::renameFile(llvm::StringRef Tmp, llvm::StringRef Path) {
  if (::rename(Tmp.str().c_str(), Path.str().c_str()) != 0)
    return errnoError("cannot rename " + Tmp + " to " + Path);
  return llvm::Error::success();
}

llvm::Error runtime::commitFile(llvm::StringRef Tmp, llvm::StringRef Path) {
  if (llvm::Error E = flush(Tmp, /*Directory=*/false))
    return E;
  return renameFile(Tmp, Path);
}

// One fdatasync per file, each its own journal commit, was a thousand
// commits for a thousand small answers (docs/benchmarks.md, "Run"). Started
// together, their data and metadata go in the same transaction; the first
// fdatasync waits for it and the others find their file already clean.
std::vector<llvm::Error> runtime::syncFiles(llvm::ArrayRef<std::string> Paths) {
  std::vector<int> FDs;
  std::vector<llvm::Error> Results;
  for (const std::string &Path : Paths) {
    int FD = ::open(Path.c_str(), O_RDONLY | O_CLOEXEC);
    FDs.push_back(FD);
    Results.push_back(FD < 0 ? errnoError("cannot open " + Path)
                             : llvm::Error::success());
    if (FD >= 0)
      ::sync_file_range(FD, 0, 0, SYNC_FILE_RANGE_WRITE);
  }
  for (size_t I = 0; I < Paths.size(); ++I) {
    if (FDs[I] < 0)
      continue;
    if (::fdatasync(FDs[I]) != 0)
      Results[I] = errnoError("cannot flush " + Paths[I]);
    ::close(FDs[I]);
  }
  return Results;
}

llvm::Error runtime::writeFile(llvm::StringRef Path, llvm::StringRef Contents) {
  int FD = ::open(Path.str().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0644);
  if (FD < 0)
    return errnoError("cannot create " + Path);
  llvm::Error E = writeAll(FD, Contents, Path);
  ::close(FD);
  return E;
}

llvm::Error runtime::writeFileAtomic(llvm::StringRef Path,
                                     llvm::StringRef Contents) {
  if (llvm::Error E = createParentDirs(Path))
    return E;
  std::string Tmp = tmpName(Path);
  if (llvm::Error E = writeFile(Tmp, Contents))
    return E;
  return commitFile(Tmp, Path);
}

/// Makes \p To's directory and names the temporary file for it in \p TmpDir.
static llvm::Expected<std::string> tmpFor(llvm::StringRef To,
                                          llvm::StringRef TmpDir) {
  if (llvm::Error E = createParentDirs(To))
    return E;
  return tmpName((TmpDir + "/" + llvm::sys::path::filename(To)).str());
}

llvm::Error runtime::copyFileAtomic(llvm::StringRef From, llvm::StringRef To,
                                    llvm::StringRef TmpDir) {
  llvm::Expected<std::string> Tmp = tmpFor(To, TmpDir);
  if (!Tmp)
    return Tmp.takeError();
  if (std::error_code EC = llvm::sys::fs::copy_file(From, *Tmp))
    return llvm::createStringError(EC, "cannot copy " + From + " to " + *Tmp);
  return commitFile(*Tmp, To);
}

/// Links \p From at \p Tmp, replacing a file left there (by a crash).
static bool linkReplacing(const std::string &From, const std::string &Tmp) {
  if (::link(From.c_str(), Tmp.c_str()) == 0)
    return true;
  if (errno != EEXIST)
    return false;
  ::unlink(Tmp.c_str());
  return ::link(From.c_str(), Tmp.c_str()) == 0;
}

// Called once per task: nothing is looked up or made that is there already
// (the directory is made when the rename says it is missing).
llvm::Error runtime::linkFileAtomic(llvm::StringRef From, llvm::StringRef To,
                                    llvm::StringRef TmpDir) {
  std::string Tmp =
      tmpName((TmpDir + "/" + llvm::sys::path::filename(To)).str());
  if (!linkReplacing(From.str(), Tmp))
    return copyFileAtomic(From, To, TmpDir);
  std::string Dest = To.str();
  bool Renamed = ::rename(Tmp.c_str(), Dest.c_str()) == 0;
  if (!Renamed && errno == ENOENT) {
    if (llvm::Error E = createParentDirs(To)) {
      ::unlink(Tmp.c_str());
      return E;
    }
    Renamed = ::rename(Tmp.c_str(), Dest.c_str()) == 0;
  }
  if (Renamed)
    return llvm::Error::success();
  llvm::Error E = errnoError("cannot rename " + Tmp + " to " + To);
  ::unlink(Tmp.c_str());
  return E;
}

/// The last `.connector` directory on \p Path, "" when there is none: the
/// innermost, as a nested run's in an agent's worktree is ignored by that
/// worktree's git.
static std::string connectorDirOf(llvm::StringRef Path) {
  llvm::SmallString<256> Dir;
  std::string Found;
  for (auto It = llvm::sys::path::begin(Path), End = llvm::sys::path::end(Path);
       It != End; ++It) {
    llvm::sys::path::append(Dir, *It);
    if (*It == ir::ConnectorDirName)
      Found = std::string(Dir);
  }
  return Found;
}

// A .gitignore inside .connector/ rather than a line in the repository's
// info/exclude: it works whether or not the directory is at a repository's
// top (a run started in a subdirectory), in a repository made later, and for
// the sh and make backends without asking git anything; it touches nothing
// of the user's, and goes when .connector/ does.
llvm::Error runtime::hideFromGit(llvm::StringRef Path) {
  std::string Dir = connectorDirOf(Path);
  if (Dir.empty())
    return llvm::Error::success();
  std::string Ignore = Dir + "/.gitignore";
  // One that is there (an earlier run's, or the user's own) is kept.
  if (llvm::sys::fs::exists(Ignore))
    return llvm::Error::success();
  if (std::error_code EC = llvm::sys::fs::create_directories(Dir))
    return llvm::createStringError(EC, "cannot create " + Dir);
  std::string Tmp = tmpName(Ignore);
  if (llvm::Error E = writeFile(Tmp, ir::ConnectorGitIgnore))
    return E;
  // Linked in, not renamed: link() never replaces a file, so a .gitignore
  // made meanwhile (the user's, another run's) is kept, and git never reads
  // half of ours.
  if (::link(Tmp.c_str(), Ignore.c_str()) == 0 || errno == EEXIST) {
    ::unlink(Tmp.c_str());
    return llvm::Error::success();
  }
  // A file system without hard links: renamed in. One made in this instant
  // can only be another run's, with the same text.
  return commitFile(Tmp, Ignore);
}

TempFile::~TempFile() {
  if (!Path.empty())
    llvm::sys::fs::remove(Path);
}

llvm::Error TempFile::make(llvm::StringRef Suffix) {
  if (std::error_code EC = llvm::sys::fs::createTemporaryFile("connectorc",
                                                              Suffix, Path))
    return llvm::createStringError(EC, "cannot make a temporary file");
  return llvm::Error::success();
}

std::string TempFile::read() const {
  auto Buf = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  return Buf ? (*Buf)->getBuffer().str() : "";
}

llvm::Error runtime::makePrivateDir(const std::string &Dir,
                                    llvm::StringRef What) {
  if (::mkdir(Dir.c_str(), 0700) != 0 && errno != EEXIST)
    return errnoError("cannot make " + Dir);
  struct stat St;
  if (::lstat(Dir.c_str(), &St) != 0)
    return errnoError("cannot examine " + Dir);
  bool Private =
      S_ISDIR(St.st_mode) && St.st_uid == geteuid() && (St.st_mode & 077) == 0;
  if (!Private)
    return llvm::createStringError(
        std::make_error_code(std::errc::permission_denied),
        "%s, %s, must be a directory of yours that no one else can use "
        "(mode 0700)",
        Dir.c_str(), What.str().c_str());
  return llvm::Error::success();
}
