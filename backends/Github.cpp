//===- Github.cpp - a GitHub Actions workflow -----------------------------===//
//
// One job per task (workers of a phase are separate jobs, so they run in
// parallel on separate runners), `needs:` from the plan's DAG, the run
// directory carried from job to job as artifacts. Each task's step runs the
// shared attempt loop (CiScript.cpp) over an environment of encoded values:
// the only `${{ }}` in the workflow reads a secret, so no spec string is
// ever evaluated as an expression or as shell. A task on a machine of the
// spec runs on a self-hosted runner labelled with the machine's name.
// docs/backends.md, "github".
//
//===----------------------------------------------------------------------===//
#include "backends/Backend.h"
#include "backends/CiCommon.h"
#include "backends/YamlQuote.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

using namespace connectorc;
using namespace connectorc::ci;

namespace {
void emitTriggers(YAML::Emitter &Out, const ir::Plan &P) {
  yamlKey(Out, "on");
  Out << YAML::BeginMap;
  yamlKey(Out, "workflow_dispatch");
  Out << YAML::Null;
  if (!P.Cron.empty()) {
    UtcCron C = utcCron(P);
    yamlKey(Out, "schedule");
    if (!C.Note.empty())
      Out << YAML::Comment(C.Note);
    Out << YAML::BeginSeq << YAML::BeginMap;
    yamlPair(Out, "cron", C.Cron);
    Out << YAML::EndMap << YAML::EndSeq;
  }
  Out << YAML::EndMap;
}

void emitRunStep(YAML::Emitter &Out, llvm::StringRef Name,
                 llvm::StringRef Script) {
  Out << YAML::BeginMap;
  yamlPair(Out, "name", Name);
  yamlPair(Out, "run", Script, YamlStyle::Block);
  Out << YAML::EndMap;
}

void emitTaskStep(YAML::Emitter &Out, const CiJob &J) {
  Out << YAML::BeginMap;
  yamlPair(Out, "name", "run the task");
  yamlKey(Out, "env");
  Out << YAML::BeginMap;
  for (const auto &[Name, Value] : J.Env)
    yamlPair(Out, Name, Value);
  // The one expression in the workflow: a secret, by an identifier's name.
  for (const std::string &S : J.Secrets)
    yamlPair(Out, S, fmt::format("${{{{ secrets.{} }}}}", S));
  Out << YAML::EndMap;
  yamlPair(Out, "run", attemptScript(), YamlStyle::Block);
  Out << YAML::EndMap;
}

/// The run directory of the jobs so far, merged into one.
void emitDownloadStep(YAML::Emitter &Out) {
  Out << YAML::BeginMap;
  yamlPair(Out, "name", "download the answers of earlier tasks");
  yamlPair(Out, "uses", "actions/download-artifact@v4");
  yamlKey(Out, "with");
  Out << YAML::BeginMap;
  yamlPair(Out, "pattern", "connector-*");
  yamlPair(Out, "path", RunDir);
  yamlKey(Out, "merge-multiple");
  Out << true << YAML::EndMap << YAML::EndMap;
}

/// The run directory as this job leaves it, also after a failure.
void emitUploadStep(YAML::Emitter &Out, const CiJob &J) {
  Out << YAML::BeginMap;
  yamlPair(Out, "name", "upload the run directory");
  yamlPair(Out, "if", "always()");
  yamlPair(Out, "uses", "actions/upload-artifact@v4");
  yamlKey(Out, "with");
  Out << YAML::BeginMap;
  yamlPair(Out, "name", "connector-" + J.Id);
  yamlPair(Out, "path", RunDir);
  yamlPair(Out, "if-no-files-found", "ignore");
  Out << YAML::EndMap << YAML::EndMap;
}

/// A hosted runner for the machine running the workflow ("local"), else a
/// self-hosted runner labelled with the machine's name.
void emitRunsOn(YAML::Emitter &Out, const CiJob &J) {
  if (J.Machine.empty())
    return emitYamlString(Out, "ubuntu-latest");
  std::vector<std::string> Labels = {"self-hosted"};
  // Labels are case-insensitive: a machine named so adds nothing.
  if (!llvm::StringRef(J.Machine).equals_insensitive(Labels.front()))
    Labels.push_back(J.Machine);
  yamlList(Out, Labels);
}

void emitJob(YAML::Emitter &Out, const CiJob &J) {
  yamlKey(Out, J.Id);
  Out << YAML::BeginMap;
  if (std::string Note = placementComment(J); !Note.empty())
    Out << YAML::Comment(Note);
  yamlKey(Out, "runs-on");
  emitRunsOn(Out, J);
  if (!J.Needs.empty()) {
    yamlKey(Out, "needs");
    yamlList(Out, J.Needs);
  }
  yamlKey(Out, "steps");
  Out << YAML::BeginSeq << YAML::BeginMap;
  yamlPair(Out, "uses", "actions/checkout@v4");
  yamlKey(Out, "with");
  Out << YAML::BeginMap;
  yamlKey(Out, "persist-credentials");
  Out << false << YAML::EndMap << YAML::EndMap;
  for (const CiInstall &I : J.Installs)
    emitRunStep(Out, I.Title, I.Command);
  if (!J.Needs.empty())
    emitDownloadStep(Out);
  emitTaskStep(Out, J);
  emitUploadStep(Out, J);
  Out << YAML::EndSeq << YAML::EndMap;
}
} // namespace

llvm::Error connectorc::emitGithub(llvm::raw_ostream &OS, const ir::Plan &P,
                                   const EmitOptions &Opts) {
  if (llvm::Error E = refuseMesh(P, "github"))
    return E;
  llvm::Expected<CiPlan> C = lowerForCi(P);
  if (!C)
    return C.takeError();
  // GitHub evaluates `${{ }}` in runs-on.
  if (llvm::Error E = checkRunnerLabels(P, *C, "github", {"${{"}))
    return E;
  YAML::Emitter Out;
  Out << YAML::Comment(banner("GitHub Actions workflow", Opts.InputPath))
      << YAML::Newline << YAML::BeginMap;
  yamlPair(Out, "name", "connector " + slug(P.Workflow));
  emitTriggers(Out, P);
  yamlKey(Out, "permissions");
  Out << YAML::BeginMap;
  yamlPair(Out, "contents", "read");
  Out << YAML::EndMap;
  yamlKey(Out, "jobs");
  Out << YAML::BeginMap;
  for (const CiJob &J : C->Jobs)
    emitJob(Out, J);
  Out << YAML::EndMap << YAML::EndMap;
  OS << Out.c_str() << "\n";
  return llvm::Error::success();
}
