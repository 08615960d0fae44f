//===- Libgit2.h - small helpers over libgit2's C API ------------*- C++
//-*-===//
//
// What runtime/workspace/Worktree.cpp and runtime/remote/RemoteGit.cpp both need from
// libgit2: its one-time setup, its last error as an llvm::Error, an owner
// for its objects, and hex ids. Internal to the runtime library.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_LIBGIT2_H
#define CONNECTORC_RUNTIME_LIBGIT2_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <git2.h>

#include <string>

namespace connectorc::runtime::git {

/// libgit2's global state, set up once per process.
inline void initLibgit2() {
  static const int Init = git_libgit2_init();
  (void)Init;
}

/// An error naming what failed and libgit2's own message.
inline llvm::Error gitError(const llvm::Twine &What) {
  const git_error *E = git_error_last();
  return llvm::createStringError(
      std::errc::io_error, "%s: %s", What.str().c_str(),
      E && E->message ? E->message : "unknown libgit2 error");
}

/// Owns one libgit2 object: `Owned<git_commit, git_commit_free> C;`.
template <typename T, void (*Free)(T *)> struct Owned {
  T *Ptr = nullptr;
  Owned() = default;
  Owned(const Owned &) = delete;
  Owned &operator=(const Owned &) = delete;
  ~Owned() {
    if (Ptr)
      Free(Ptr);
  }
  T **out() { return &Ptr; }
  T *get() const { return Ptr; }
};
using Commit = Owned<git_commit, git_commit_free>;
using Reference = Owned<git_reference, git_reference_free>;
using Object = Owned<git_object, git_object_free>;
using Tree = Owned<git_tree, git_tree_free>;
using Index = Owned<git_index, git_index_free>;
using Repository = Owned<git_repository, git_repository_free>;
using Signature = Owned<git_signature, git_signature_free>;
using Worktree = Owned<git_worktree, git_worktree_free>;
using Revwalk = Owned<git_revwalk, git_revwalk_free>;
using Packbuilder = Owned<git_packbuilder, git_packbuilder_free>;
using Odb = Owned<git_odb, git_odb_free>;

/// \p Id as 40 hex digits.
inline std::string hex(const git_oid &Id) {
  char Buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(Buf, sizeof Buf, &Id);
  return Buf;
}

/// The commit \p Rev names in \p R (peeling tags).
inline llvm::Error lookupCommit(git_repository *R, llvm::StringRef Rev,
                                Commit &Out) {
  Object Obj;
  if (git_revparse_single(Obj.out(), R, Rev.str().c_str()) < 0)
    return gitError("cannot resolve '" + Rev + "'");
  if (git_object_peel(reinterpret_cast<git_object **>(Out.out()), Obj.get(),
                      GIT_OBJECT_COMMIT) < 0)
    return gitError("'" + Rev + "' does not name a commit");
  return llvm::Error::success();
}

} // namespace connectorc::runtime::git

#endif
