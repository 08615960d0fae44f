//===- Gitlab.cpp - a GitLab CI pipeline ----------------------------------===//
//
// The github backend's layout in .gitlab-ci.yml terms: a CI stage per phase,
// a job per task with `needs:` from the plan's DAG, the run directory as the
// jobs' artifacts, the task's values as job variables. Variables are base64
// or numbers, so GitLab's `$VAR` expansion finds nothing to expand; secrets
// are the project's CI/CD variables, named in a comment, never written. A
// task on a machine of the spec runs on a runner tagged with its name.
// docs/backends.md, "gitlab".
//
//===----------------------------------------------------------------------===//
#include "backends/Backend.h"
#include "backends/CiCommon.h"
#include "backends/YamlQuote.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

using namespace connectorc;
using namespace connectorc::ci;

namespace {
/// When the pipeline runs: by its schedule (made in GitLab's settings, where
/// the time zone is chosen), or started by hand.
void emitWorkflowRules(YAML::Emitter &Out, const ir::Plan &P) {
  yamlKey(Out, "workflow");
  Out << YAML::BeginMap;
  yamlKey(Out, "rules");
  Out << YAML::BeginSeq;
  std::vector<std::string> Sources = {"web"};
  if (!P.Cron.empty())
    Sources.insert(Sources.begin(), "schedule");
  for (const std::string &S : Sources) {
    Out << YAML::BeginMap;
    yamlPair(Out, "if", "$CI_PIPELINE_SOURCE == \"" + S + "\"");
    Out << YAML::EndMap;
  }
  Out << YAML::EndSeq << YAML::EndMap;
}

/// GitLab refuses a job that needs more than 50 others (the default of
/// ci_max_needs).
constexpr size_t MaxNeeds = 50;

/// Whether every job \p J needs is in an earlier stage: then, without
/// `needs:`, the stage order alone makes it wait for them.
bool needsOnlyEarlierStages(const CiPlan &C, const CiJob &J) {
  llvm::StringMap<llvm::StringRef> StageOf;
  for (const CiJob &Other : C.Jobs)
    StageOf[Other.Id] = Other.Stage;
  return llvm::none_of(
      J.Needs, [&](const std::string &N) { return StageOf[N] == J.Stage; });
}

llvm::Error emitJob(YAML::Emitter &Out, const CiPlan &C, const CiJob &J) {
  bool ByStage = J.Needs.size() > MaxNeeds;
  if (ByStage && !needsOnlyEarlierStages(C, J))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "job %s needs %zu jobs, some in its own stage; GitLab allows %zu",
        J.Id.c_str(), J.Needs.size(), MaxNeeds);
  yamlKey(Out, J.Id);
  Out << YAML::BeginMap;
  // Inside the job's map: before its key, yaml-cpp would put the comment at
  // the end of the previous job's last line.
  if (std::string Note = placementComment(J); !Note.empty())
    Out << YAML::Comment(Note);
  yamlPair(Out, "stage", J.Stage);
  if (!J.Machine.empty()) {
    yamlKey(Out, "tags");
    yamlList(Out, {J.Machine});
  }
  if (!ByStage) {
    yamlKey(Out, "needs");
    yamlList(Out, J.Needs);
  }
  yamlKey(Out, "variables");
  Out << YAML::BeginMap;
  for (const auto &[Name, Value] : J.Env)
    yamlPair(Out, Name, Value);
  Out << YAML::EndMap;
  if (!J.Installs.empty()) {
    std::vector<std::string> Commands;
    for (const CiInstall &I : J.Installs)
      Commands.push_back(I.Command);
    yamlKey(Out, "before_script");
    yamlList(Out, Commands);
  }
  yamlKey(Out, "script");
  yamlList(Out, {attemptScript().str()}, YamlStyle::Block);
  yamlKey(Out, "artifacts");
  Out << YAML::BeginMap;
  yamlPair(Out, "when", "always");
  yamlKey(Out, "paths");
  yamlList(Out, {std::string(RunDir) + "/"});
  Out << YAML::EndMap << YAML::EndMap;
  return llvm::Error::success();
}

void emitHeader(YAML::Emitter &Out, const ir::Plan &P, const CiPlan &C,
                const EmitOptions &Opts) {
  Out << YAML::Comment(banner("GitLab CI pipeline", Opts.InputPath));
  if (!P.Cron.empty())
    Out << YAML::Newline
        << YAML::Comment("schedule: create a pipeline schedule (Build > "
                         "Pipeline schedules) with cron '" +
                         commentText(P.Cron) + "' in time zone " +
                         (P.TimeZone.empty() ? std::string("UTC")
                                             : commentText(P.TimeZone)));
  if (!C.Secrets.empty())
    Out << YAML::Newline
        << YAML::Comment("masked CI/CD variables the jobs read: " +
                         llvm::join(C.Secrets, ", "));
  Out << YAML::Newline;
}
} // namespace

llvm::Error connectorc::emitGitlab(llvm::raw_ostream &OS, const ir::Plan &P,
                                   const EmitOptions &Opts) {
  if (llvm::Error E = refuseMesh(P, "gitlab"))
    return E;
  llvm::Expected<CiPlan> C = lowerForCi(P);
  if (!C)
    return C.takeError();
  // GitLab expands `$VAR`, `${VAR}` and `%VAR%` in tags.
  if (llvm::Error E = checkRunnerLabels(P, *C, "gitlab", {"$", "%"}))
    return E;
  YAML::Emitter Out;
  emitHeader(Out, P, *C, Opts);
  Out << YAML::BeginMap;
  emitWorkflowRules(Out, P);
  yamlKey(Out, "stages");
  yamlList(Out, C->Stages);
  for (const CiJob &J : C->Jobs)
    if (llvm::Error E = emitJob(Out, *C, J))
      return E;
  Out << YAML::EndMap;
  OS << Out.c_str() << "\n";
  return llvm::Error::success();
}
