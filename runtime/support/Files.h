//===- Files.h - durable file writes for the run directory -------*- C++
//-*-===//
#ifndef CONNECTORC_RUNTIME_FILES_H
#define CONNECTORC_RUNTIME_FILES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace connectorc::runtime {

/// Writes \p Contents to \p Path (created or truncated), with no flush: for
/// a file that is committed later (commitFile).
llvm::Error writeFile(llvm::StringRef Path, llvm::StringRef Contents);

/// Writes \p Contents to \p Path atomically: a temporary file beside it,
/// fsync, rename, so a reader (or a resumed run) sees all or nothing.
llvm::Error writeFileAtomic(llvm::StringRef Path, llvm::StringRef Contents);

/// Makes \p Tmp (already written) durable and renames it to \p Path.
llvm::Error commitFile(llvm::StringRef Tmp, llvm::StringRef Path);

/// Flushes the files \p Paths to disk together (one group commit): their
/// writeback is started for all of them first (sync_file_range), then each
/// is fdatasync'ed, so the file system commits them in one or two journal
/// transactions rather than one each. \returns, for each path, success or
/// why it could not be flushed.
std::vector<llvm::Error> syncFiles(llvm::ArrayRef<std::string> Paths);

/// Renames \p Tmp (already durable) to \p Path, with no flush.
llvm::Error renameFile(llvm::StringRef Tmp, llvm::StringRef Path);

/// Flushes directory \p Dir's entries to disk (fsync): after a rename into
/// it, the new name survives a crash of the machine.
llvm::Error syncDirectory(llvm::StringRef Dir);

/// Copies \p From to \p To atomically (creating To's directory). The
/// temporary copy is made in \p TmpDir (same file system), so that a crash
/// leaves nothing half-written beside To.
llvm::Error copyFileAtomic(llvm::StringRef From, llvm::StringRef To,
                           llvm::StringRef TmpDir);

/// Puts \p From (already durable) at \p To as well, atomically: a hard link
/// made in \p TmpDir and renamed (no second copy of a big answer), or a copy
/// where links do not work. To's directory is made only when the rename
/// finds it missing (one mkdir per directory, not per file).
llvm::Error linkFileAtomic(llvm::StringRef From, llvm::StringRef To,
                           llvm::StringRef TmpDir);

/// \p What as an error whose code is errno's (after a failed system call).
llvm::Error errnoError(const llvm::Twine &What);

/// Makes directory \p Dir, mode 0700, or checks the one there: an error
/// (naming it \p What) when it is a symbolic link, not this user's, or open
/// to others. For the sockets only their owner may reach.
llvm::Error makePrivateDir(const std::string &Dir, llvm::StringRef What);

/// Creates the directory that will hold \p Path.
llvm::Error createParentDirs(llvm::StringRef Path);

/// Makes the (innermost) `.connector` directory \p Path is in, or is,
/// invisible to git before anything goes there: it gets a `.gitignore` of
/// `*` (ir::ConnectorGitIgnore) unless it has one. Nothing when \p Path is in
/// no `.connector` directory (a --run-dir the user chose elsewhere).
llvm::Error hideFromGit(llvm::StringRef Path);

/// A temporary file (made by make()), removed when this goes out of scope.
class TempFile {
public:
  TempFile() = default;
  TempFile(const TempFile &) = delete;
  TempFile &operator=(const TempFile &) = delete;
  ~TempFile();

  /// Makes the file, empty, in the system's temporary directory.
  llvm::Error make(llvm::StringRef Suffix);
  /// Its path; "" before make().
  llvm::StringRef path() const { return Path; }
  /// Its contents ("" when it cannot be read).
  std::string read() const;

private:
  llvm::SmallString<128> Path;
};

} // namespace connectorc::runtime

#endif
