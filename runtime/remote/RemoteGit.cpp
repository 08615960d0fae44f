//===- RemoteGit.cpp - git objects to and from a machine over ssh --------===//
#include "runtime/remote/RemoteGit.h"

#include "ir/RemoteGitScripts.h"
#include "ir/ShellQuote.h"
#include "runtime/support/Files.h"
#include "runtime/workspace/Libgit2.h"
#include "runtime/remote/Ssh.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <vector>

using namespace connectorc;
using namespace connectorc::runtime;
using namespace connectorc::runtime::git;
using llvm::ArrayRef;
using llvm::StringRef;

char RemoteCommandError::ID = 0;

void RemoteCommandError::log(llvm::raw_ostream &OS) const {
  OS << What;
  if (Status >= 0)
    OS << " (exit status " << Status << ")";
  if (!Reason.empty())
    OS << ": " << Reason;
}

std::error_code RemoteCommandError::convertToErrorCode() const {
  return std::make_error_code(unreachable() ? std::errc::host_unreachable
                                            : std::errc::io_error);
}

namespace {
/// Runs \p Command through \p Prefix with standard input from the file
/// \p StdinPath ("": /dev/null) and returns its standard output.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
runWithStdinFile(ArrayRef<std::string> Prefix, StringRef Command,
                 StringRef StdinPath) {
  assert(!Prefix.empty() && "a remote shell needs a program");
  std::vector<std::string> Argv(Prefix.begin(), Prefix.end());
  Argv.push_back(Command.str());
  llvm::Expected<Captured> C = runCaptured(Argv, StdinPath);
  if (!C)
    return C.takeError();
  if (C->Status != 0) {
    std::string Reason = lastNonBlankLine(C->Err);
    return llvm::make_error<RemoteCommandError>(
        "remote command through " + Prefix[0] + " failed",
        C->Status < 0 ? -1 : C->Status, Reason.empty() ? C->Message : Reason);
  }
  return std::move(C->Out);
}

/// runRemote, its output as a buffer (a big pack is mapped, not copied).
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
runRemoteBuffer(ArrayRef<std::string> Prefix, StringRef Command,
                StringRef Stdin) {
  TempFile In;
  if (!Stdin.empty()) {
    if (llvm::Error E = In.make("in"))
      return E;
    std::error_code EC;
    llvm::raw_fd_ostream OS(In.path(), EC);
    OS << Stdin;
    OS.close();
    if (EC || OS.has_error())
      return llvm::createStringError(EC ? EC : OS.error(),
                                     "cannot write a remote command's input");
  }
  return runWithStdinFile(Prefix, Command, In.path());
}

/// `sh -c SCRIPT connectorc ARGS…`, one line for any login shell: \p Script
/// is a constant and sees \p Args, quoted, as "$1", "$2", ….
std::string shLine(StringRef Script, ArrayRef<StringRef> Args) {
  std::string Line = "sh -c " + shellQuote(Script) + " connectorc";
  for (StringRef A : Args)
    Line += " " + shellQuote(A);
  return Line;
}

/// Adds \p What to a failed remote command's error.
llvm::Error context(llvm::Error E, const llvm::Twine &What) {
  return llvm::handleErrors(std::move(E),
                            [&](const RemoteCommandError &R) -> llvm::Error {
                              return llvm::make_error<RemoteCommandError>(
                                  What.str(), R.status(), R.reason());
                            });
}

/// Runs shLine(\p Script, \p Args); a failure says \p What failed.
llvm::Expected<std::string> runScript(ArrayRef<std::string> Prefix,
                                      const llvm::Twine &What, StringRef Script,
                                      ArrayRef<StringRef> Args) {
  llvm::Expected<std::string> Out = runRemote(Prefix, shLine(Script, Args));
  if (!Out)
    return context(Out.takeError(), What);
  return Out;
}

bool isFullHex(StringRef Sha) {
  return Sha.size() == GIT_OID_HEXSZ && llvm::all_of(Sha, llvm::isHexDigit);
}

llvm::Error invalid(const llvm::Twine &Message) {
  return llvm::createStringError(std::errc::invalid_argument,
                                 Message.str().c_str());
}

/// \p Sha (40 hex digits) as an id.
llvm::Error parseSha(StringRef Sha, git_oid &Out) {
  if (!isFullHex(Sha) || git_oid_fromstr(&Out, Sha.str().c_str()) < 0)
    return invalid("'" + Sha + "' is not a full commit id (40 hex digits)");
  return llvm::Error::success();
}

/// A remote path must be absolute: `git -C` would take one starting with
/// '-' for an option, and the remote's current directory is not ours.
llvm::Error checkRemotePath(StringRef What, StringRef Path) {
  if (!Path.startswith("/") || Path.contains('\0'))
    return invalid(What + " '" + Path + "' is not an absolute path");
  return llvm::Error::success();
}

/// checkRemotePath for a repository and one of its worktrees.
llvm::Error checkWorktreePaths(StringRef RemoteRepo, StringRef Path) {
  if (llvm::Error E = checkRemotePath("remote repository", RemoteRepo))
    return E;
  return checkRemotePath("remote worktree", Path);
}

llvm::Error checkBranchName(StringRef Branch) {
  initLibgit2();
  int Valid = 0;
  if (Branch.startswith("-") ||
      git_branch_name_is_valid(&Valid, Branch.str().c_str()) < 0 || !Valid)
    return invalid("'" + Branch + "' is not a valid branch name");
  return llvm::Error::success();
}

//===-- Pushing a commit --------------------------------------------------===//

/// Hides from \p Walk the commit object \p Hex names in \p R, when \p R has
/// it: the remote has that commit and all it reaches.
llvm::Error hideIfKnown(git_repository *R, git_odb *Db, git_revwalk *Walk,
                        StringRef Hex) {
  git_oid Id;
  if (!isFullHex(Hex) || git_oid_fromstr(&Id, Hex.str().c_str()) < 0 ||
      !git_odb_exists(Db, &Id))
    return llvm::Error::success();
  Object Obj, Peeled;
  if (git_object_lookup(Obj.out(), R, &Id, GIT_OBJECT_ANY) < 0 ||
      git_object_peel(Peeled.out(), Obj.get(), GIT_OBJECT_COMMIT) < 0)
    return llvm::Error::success(); // a tree or blob: hides no history
  if (git_revwalk_hide(Walk, git_object_id(Peeled.get())) < 0)
    return gitError("cannot walk the history the remote has");
  return llvm::Error::success();
}

int appendToStream(void *Data, size_t Size, void *Stream) {
  static_cast<llvm::raw_ostream *>(Stream)->write(
      static_cast<const char *>(Data), Size);
  return 0;
}

/// Writes to \p PackPath a pack of \p Sha's history in \p R without the
/// commits \p Known (the remote's refs) reach.
llvm::Error writePack(git_repository *R, const git_oid &Sha,
                      ArrayRef<StringRef> Known, StringRef PackPath) {
  Odb Db;
  Revwalk Walk;
  Packbuilder Pack;
  if (git_repository_odb(Db.out(), R) < 0 ||
      git_revwalk_new(Walk.out(), R) < 0 ||
      git_revwalk_push(Walk.get(), &Sha) < 0)
    return gitError("cannot walk the history of " + hex(Sha));
  for (StringRef Hex : Known)
    if (llvm::Error E = hideIfKnown(R, Db.get(), Walk.get(), Hex.trim()))
      return E;
  if (git_packbuilder_new(Pack.out(), R) < 0 ||
      git_packbuilder_insert_walk(Pack.get(), Walk.get()) < 0)
    return gitError("cannot pack the history of " + hex(Sha));
  if (git_packbuilder_object_count(Pack.get()) == 0)
    return invalid("the remote's refs reach " + hex(Sha) +
                   " but the remote lacks it: its repository is incomplete");
  std::error_code EC;
  llvm::raw_fd_ostream OS(PackPath, EC);
  if (EC)
    return llvm::createStringError(EC, "cannot write a pack to %s",
                                   PackPath.str().c_str());
  if (git_packbuilder_foreach(Pack.get(), appendToStream, &OS) < 0)
    return gitError("cannot write the pack of " + hex(Sha));
  OS.close();
  if (OS.has_error())
    return llvm::createStringError(OS.error(), "cannot write a pack to %s",
                                   PackPath.str().c_str());
  return llvm::Error::success();
}
} // namespace

llvm::Expected<std::string> runtime::runRemote(ArrayRef<std::string> Prefix,
                                               StringRef Command,
                                               StringRef Stdin) {
  auto Out = runRemoteBuffer(Prefix, Command, Stdin);
  if (!Out)
    return Out.takeError();
  return (*Out)->getBuffer().str();
}

llvm::Error runtime::pushCommit(git_repository *Local,
                                ArrayRef<std::string> Prefix,
                                StringRef RemoteRepo, StringRef Sha,
                                StringRef RunId) {
  initLibgit2();
  git_oid Id;
  if (llvm::Error E = parseSha(Sha, Id))
    return E;
  if (llvm::Error E = checkRemotePath("remote repository", RemoteRepo))
    return E;
  std::string Pin = ("refs/connector/base/" + RunId).str();
  int Valid = 0;
  if (git_reference_name_is_valid(&Valid, Pin.c_str()) < 0 || !Valid)
    return invalid("run id '" + RunId + "' cannot name a ref");
  Commit C;
  if (git_commit_lookup(C.out(), Local, &Id) < 0)
    return gitError("no commit " + Sha + " in the local repository");
  llvm::Expected<std::string> Probe =
      runScript(Prefix, "cannot ask " + RemoteRepo + " for commit " + Sha,
                ir::RemoteProbeScript, {RemoteRepo, Sha, Pin});
  if (!Probe)
    return Probe.takeError();
  llvm::SmallVector<StringRef, 64> Lines;
  StringRef(*Probe).split(Lines, '\n', -1, /*KeepEmpty=*/false);
  if (!Lines.empty() && Lines.front().trim() == "present")
    return llvm::Error::success();
  // A shallow remote lacks history its refs seem to reach: send it all.
  bool Shallow = !Lines.empty() && Lines.front().trim() == "true";
  ArrayRef<StringRef> Known(Lines);
  Known = Shallow || Known.empty() ? ArrayRef<StringRef>() : Known.drop_front();
  TempFile Pack;
  if (llvm::Error E = Pack.make("pack"))
    return E;
  if (llvm::Error E = writePack(Local, Id, Known, Pack.path()))
    return E;
  auto Out = runWithStdinFile(
      Prefix, shLine(ir::RemoteIndexPackScript, {RemoteRepo, Sha, Pin}), Pack.path());
  if (!Out)
    return context(Out.takeError(),
                   "cannot send commit " + Sha + " to " + RemoteRepo);
  return llvm::Error::success();
}

//===-- Remote worktrees --------------------------------------------------===//

namespace {
/// Objects in a pack (its header's count): 0 for a pack-objects output
/// that holds nothing, which libgit2's indexer need not see.
uint32_t packObjectCount(StringRef Pack) {
  if (Pack.size() < 12 || !Pack.startswith("PACK"))
    return ~0U; // let the indexer say what is wrong
  const auto *B = reinterpret_cast<const unsigned char *>(Pack.data() + 8);
  return uint32_t(B[0]) << 24 | uint32_t(B[1]) << 16 | uint32_t(B[2]) << 8 |
         uint32_t(B[3]);
}

/// Stores \p Pack in \p R's object database.
llvm::Error indexPack(git_repository *R, StringRef Pack) {
  if (packObjectCount(Pack) == 0)
    return llvm::Error::success();
  Odb Db;
  git_odb_writepack *Writer = nullptr;
  if (git_repository_odb(Db.out(), R) < 0 ||
      git_odb_write_pack(&Writer, Db.get(), nullptr, nullptr) < 0)
    return gitError("cannot store a pack in the local repository");
  git_indexer_progress Stats{};
  int RC = Writer->append(Writer, Pack.data(), Pack.size(), &Stats);
  if (RC >= 0)
    RC = Writer->commit(Writer, &Stats);
  llvm::Error E = RC < 0 ? gitError("cannot store the remote worktree's pack")
                         : llvm::Error::success();
  Writer->free(Writer);
  return E;
}

/// Points local branch \p Branch at \p Head: creates it, or moves it forward
/// when it is an ancestor of \p Head and no worktree has it checked out.
llvm::Error setBranch(git_repository *R, StringRef Branch,
                      const git_oid &Head) {
  std::string Name = ("refs/heads/" + Branch).str();
  Reference Ref, Out;
  int RC = git_reference_lookup(Ref.out(), R, Name.c_str());
  if (RC == GIT_ENOTFOUND) {
    Commit C;
    if (git_commit_lookup(C.out(), R, &Head) < 0 ||
        git_branch_create(Out.out(), R, Branch.str().c_str(), C.get(), 0) < 0)
      return gitError("cannot create branch '" + Branch + "'");
    return llvm::Error::success();
  }
  const git_oid *Old = RC < 0 ? nullptr : git_reference_target(Ref.get());
  if (!Old)
    return gitError("cannot read branch '" + Branch + "'");
  if (git_oid_equal(Old, &Head))
    return llvm::Error::success();
  if (git_graph_descendant_of(R, &Head, Old) != 1)
    return invalid("branch '" + Branch + "' is at " + hex(*Old) +
                   ", which the remote worktree's " + hex(Head) +
                   " does not contain: not moving it (that would lose work)");
  if (git_branch_is_checked_out(Ref.get()) == 1)
    return invalid("branch '" + Branch +
                   "' is checked out in a worktree: not moving it under it");
  if (git_reference_create_matching(Out.out(), R, Name.c_str(), &Head, 1, Old,
                                    "connectorc: fetched a remote worktree") <
      0)
    return gitError("cannot move branch '" + Branch + "'");
  return llvm::Error::success();
}
} // namespace

llvm::Error runtime::addRemoteWorktree(ArrayRef<std::string> Prefix,
                                       StringRef RemoteRepo, StringRef Path,
                                       StringRef Branch, StringRef Sha) {
  if (!isFullHex(Sha))
    return invalid("'" + Sha + "' is not a full commit id (40 hex digits)");
  if (llvm::Error E = checkWorktreePaths(RemoteRepo, Path))
    return E;
  if (llvm::Error E = checkBranchName(Branch))
    return E;
  return runScript(Prefix, "cannot make remote worktree " + Path,
                   ir::RemoteAddWorktreeScript, {RemoteRepo, Path, Branch, Sha})
      .takeError();
}

llvm::Expected<std::string>
runtime::fetchRemoteWorktree(git_repository *Local,
                             ArrayRef<std::string> Prefix, StringRef RemoteRepo,
                             StringRef Path, StringRef BaseSha,
                             StringRef LocalBranch, StringRef Message) {
  initLibgit2();
  git_oid Base, Head;
  if (llvm::Error E = parseSha(BaseSha, Base))
    return E;
  if (llvm::Error E = checkWorktreePaths(RemoteRepo, Path))
    return E;
  if (llvm::Error E = checkBranchName(LocalBranch))
    return E;
  llvm::Expected<std::string> Out =
      runScript(Prefix, "cannot commit in remote worktree " + Path,
                ir::RemoteCommitScript, {Path, Message});
  if (!Out)
    return Out.takeError();
  std::string HeadHex = lastNonBlankLine(*Out);
  if (llvm::Error E = parseSha(HeadHex, Head))
    return E;
  if (!git_oid_equal(&Head, &Base)) {
    auto Pack = runRemoteBuffer(Prefix, shLine(ir::RemotePackObjectsScript, {RemoteRepo}),
                                HeadHex + "\n^" + BaseSha.str() + "\n");
    if (!Pack)
      return context(Pack.takeError(),
                     "cannot fetch " + HeadHex + " from " + RemoteRepo);
    if (llvm::Error E = indexPack(Local, (*Pack)->getBuffer()))
      return E;
  }
  if (llvm::Error E = setBranch(Local, LocalBranch, Head))
    return E;
  return HeadHex;
}

llvm::Error runtime::removeRemoteWorktree(ArrayRef<std::string> Prefix,
                                          StringRef RemoteRepo,
                                          StringRef Path) {
  if (llvm::Error E = checkWorktreePaths(RemoteRepo, Path))
    return E;
  return runScript(Prefix, "cannot remove remote worktree " + Path,
                   ir::RemoteRemoveWorktreeScript, {RemoteRepo, Path})
      .takeError();
}
