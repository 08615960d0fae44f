//===- CiCommon.cpp - what the github and gitlab backends share -----------===//
//
// The lowering of a plan into CI jobs, and the one shell script every task
// step runs. The script mirrors the runtime (runtime/Request.cpp,
// runtime/Executor.cpp, runtime/Classifier.cpp) in POSIX shell, with the
// limits listed in docs/backends.md.
//
//===----------------------------------------------------------------------===//
#include "backends/CiCommon.h"

#include "ir/Cron.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Base64.h"

#include <fmt/format.h>

#include <algorithm>

using namespace connectorc;
using namespace connectorc::ci;
using llvm::StringRef;

// Reads (all set by lowerForCi). A "word" is one string encoded by
// encodeWord: p<the string> when it is made of SafeChars only, else
// b<base64>; either way no blank, quote, `$` or glob character.
//   CONNECTOR_CI_TASK, CONNECTOR_CI_OUTPUT, CONNECTOR_CI_STAGE_OUTPUT  words
//   CONNECTOR_CI_PROMPT      words: t<base64 text>, r ({run}), s ({scratchpad})
//   CONNECTOR_CI_INPUTS      words: run-relative paths
//   CONNECTOR_CI_RETRIES, CONNECTOR_CI_TIMEOUT_S, CONNECTOR_CI_CANDIDATES
//                            numbers
//   CONNECTOR_CI_C<n>_ARGV   words: the arguments
//   CONNECTOR_CI_C<n>_VIA    arg | stdin
//   CONNECTOR_CI_C<n>_ENV    words: NAME=VALUE
//   CONNECTOR_CI_C<n>_SIM    1 when the sim agent stands in; _AS (a word)
//                            for whom
//   CONNECTOR_CI_C<n>_RULES  <exit codes or ->:<base64 ERE> ...
//   CONNECTOR_CI_C<n>_FIELD  a word: the JSON member that is the answer
// The only eval'd names are CONNECTOR_CI_C<n>_* with <n> a number of ours.
static const char Script[] = R"SH(# connectorc: one task's attempt loop; see docs/backends.md.
# Everything from the spec is in the environment, encoded (see dec).
set +e -fu
run_dir="$PWD/connector-run"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# dec NAME WORD: sets NAME to the string WORD encodes: p<string> or
# b<base64>. Trailing newlines are kept.
dec() {
  case $2 in
  p*) _dec="${2#p}x" ;;
  *) _dec=$(printf '%s' "${2#b}" | base64 -d; printf x) ;;
  esac
  eval "$1=\${_dec%x}"
}

# replace TEXT FROM TO: sets replaced to TEXT with each FROM made TO.
replace() {
  _rest=$1
  replaced=
  while :; do
    case $_rest in
    *"$2"*)
      replaced=$replaced${_rest%%"$2"*}$3
      _rest=${_rest#*"$2"}
      ;;
    *) break ;;
    esac
  done
  replaced=$replaced$_rest
}

# Set by dec and eval below; named here for readers (and shellcheck).
task='' output='' stage_output='' input='' arg='' pair='' rule='' field=''
argv='' via='' extra_env='' sim='' sim_as='' rules='' prompt=''
dec task "$CONNECTOR_CI_TASK"
dec output "$CONNECTOR_CI_OUTPUT"
dec stage_output "$CONNECTOR_CI_STAGE_OUTPUT"
session="$run_dir/sessions/$task"
mkdir -p "$session" || exit 1
for part in $CONNECTOR_CI_PROMPT; do
  case $part in
  r) printf '%s' "$run_dir" ;;
  s) printf '%s/scratchpad' "$run_dir" ;;
  *) printf '%s' "${part#t}" | base64 -d ;;
  esac
done >"$work/prompt"
inputs=
for word in $CONNECTOR_CI_INPUTS; do
  dec input "$word"
  inputs="${inputs:+$inputs:}$run_dir/$input"
done

# attempt N: runs candidate N once; sets status.
attempt() {
  eval "argv=\$CONNECTOR_CI_C$1_ARGV via=\$CONNECTOR_CI_C$1_VIA"
  eval "extra_env=\$CONNECTOR_CI_C$1_ENV sim=\$CONNECTOR_CI_C$1_SIM"
  eval "sim_as=\$CONNECTOR_CI_C$1_AS"
  if [ "$via" = arg ] && [ -z "$prompt" ]; then
    prompt=$(cat "$work/prompt"; printf x)
    prompt=${prompt%x}
  fi
  set --
  for word in $argv; do
    dec arg "$word"
    replace "$arg" '{connectorc}' "${CONNECTORC:-connectorc}"
    arg=$replaced
    if [ "$via" = arg ]; then
      replace "$arg" '{prompt}' "$prompt"
      arg=$replaced
    fi
    set -- "$@" "$arg"
  done
  stdin="$work/prompt"
  if [ "$via" = arg ]; then stdin=/dev/null; fi
  if (
    for word in $extra_env; do
      dec pair "$word"
      export "${pair%%=*}=${pair#*=}"
    done
    export TERM=xterm-256color CONNECTOR_RUN_DIR="$run_dir"
    export CONNECTOR_SCRATCHPAD="$run_dir/scratchpad" CONNECTOR_TASK="$task"
    export CONNECTOR_INPUTS="$inputs" CONNECTOR_OUTPUT="$run_dir/$output"
    if [ "$sim" = 1 ]; then
      dec sim_as "$sim_as"
      export CONNECTOR_SIM_AS="$sim_as"
    fi
    if [ "$CONNECTOR_CI_TIMEOUT_S" = 0 ]; then exec "$@" <"$stdin"; fi
    exec timeout -k 10 "$CONNECTOR_CI_TIMEOUT_S" "$@" <"$stdin"
  ) >"$work/out" 2>"$work/err"; then
    status=0
  else
    status=$?
  fi
  cat "$work/err" "$work/out" >>"$session/transcript.log"
}

# classify N: sets outcome to success, provider (fail over) or task (retry).
classify() {
  outcome=success
  if [ "$status" = 0 ] && [ -s "$work/out" ]; then
    eval "field=\$CONNECTOR_CI_C$1_FIELD"
    dec field "$field"
    if [ -z "$field" ]; then return; fi
    if ! jq -j --arg f "$field" '.[$f] | strings' <"$work/out" >"$work/answer"; then
      outcome=task
      return
    fi
    mv "$work/answer" "$work/out"
    if [ -s "$work/out" ]; then return; fi
  fi
  outcome=provider
  if [ "$status" = 0 ] || [ "$status" = 126 ] || [ "$status" = 127 ]; then
    return
  fi
  outcome=task
  if [ "$status" = 124 ]; then return; fi
  cat "$work/err" "$work/out" | tail -n 64 >"$work/tail"
  eval "rules=\$CONNECTOR_CI_C$1_RULES"
  for word in $rules; do
    case ",${word%%:*}," in
    ,-, | *",$status,"*) ;;
    *) continue ;;
    esac
    dec rule "${word#*:}"
    if [ -z "$rule" ] || grep -Eiq -e "$rule" "$work/tail"; then
      outcome=provider
      return
    fi
  done
}

succeed() {
  cp "$work/out" "$session/output.md" || exit 1
  target="$run_dir/$output"
  mkdir -p "${target%/*}" || exit 1
  cp "$session/output.md" "$target" || exit 1
  if [ -n "$stage_output" ]; then
    target="$run_dir/$stage_output"
    mkdir -p "${target%/*}" || exit 1
    cp "$session/output.md" "$run_dir/$stage_output" || exit 1
  fi
}

candidate=1
retries=0
attempts=0
while [ "$candidate" -le "$CONNECTOR_CI_CANDIDATES" ]; do
  attempts=$((attempts + 1))
  attempt "$candidate"
  classify "$candidate"
  echo "connectorc: attempt $attempts (candidate $candidate): $outcome, exit status $status"
  case $outcome in
  success)
    succeed
    exit 0
    ;;
  provider) candidate=$((candidate + 1)) ;;
  *)
    if [ "$retries" -ge "$CONNECTOR_CI_RETRIES" ]; then
      echo "connectorc: the task failed" >&2
      exit 1
    fi
    retries=$((retries + 1))
    ;;
  esac
done
echo "connectorc: every candidate failed" >&2
exit 1
)SH";

StringRef ci::attemptScript() { return StringRef(Script, sizeof Script - 1); }

std::string ci::slug(StringRef S, size_t Max) {
  std::string Out;
  for (char C : S) {
    if (Out.size() >= Max)
      break;
    if (llvm::isAlnum(C))
      Out += llvm::toLower(C);
    else if (!Out.empty() && Out.back() != '-')
      Out += '-';
  }
  while (!Out.empty() && Out.back() == '-')
    Out.pop_back();
  return Out.empty() ? "x" : Out;
}

std::string ci::commentText(StringRef S) {
  std::string Out;
  for (char C : S)
    Out += (C == '\n' || C == '\r' || C == '\0') ? ' ' : C;
  return Out;
}

std::string ci::banner(StringRef What, StringRef InputPath) {
  return fmt::format("{} generated by connectorc from {}; see docs/backends.md",
                     What, commentText(InputPath));
}

namespace {
std::string b64(StringRef S) { return llvm::encodeBase64(S); }

/// Characters a word may carry as they are: none is a blank, quote, `$`
/// (GitHub's `${{`, GitLab's `$VAR`), `%` or glob character.
bool isSafeChar(char C) {
  return llvm::isAlnum(C) || StringRef("_./:+,=@{}-").contains(C);
}

/// One string as a word of the script's environment (see dec in Script).
std::string encodeWord(StringRef S) {
  return llvm::all_of(S, isSafeChar) ? "p" + S.str() : "b" + b64(S);
}

/// The prompt as CONNECTOR_CI_PROMPT: literal text base64-encoded, the
/// runtime's {run} and {scratchpad} as words of their own, {{ and }} as
/// single braces — runtime/Request.cpp's expandPrompt, split at run time.
std::string promptParts(StringRef Prompt) {
  std::vector<std::string> Words;
  std::string Text;
  auto Flush = [&] {
    if (!Text.empty())
      Words.push_back("t" + b64(Text));
    Text.clear();
  };
  for (size_t I = 0; I < Prompt.size(); ++I) {
    StringRef Rest = Prompt.substr(I);
    if (Rest.startswith("{{") || Rest.startswith("}}")) {
      Text += Rest[0];
      ++I;
    } else if (Rest.startswith("{run}")) {
      Flush();
      Words.push_back("r");
      I += 4;
    } else if (Rest.startswith("{scratchpad}")) {
      Flush();
      Words.push_back("s");
      I += 11;
    } else {
      Text += Rest[0];
    }
  }
  Flush();
  return llvm::join(Words, " ");
}

bool isIdentifier(StringRef S) {
  return !S.empty() && !llvm::isDigit(S.front()) &&
         llvm::all_of(S, [](char C) { return llvm::isAlnum(C) || C == '_'; });
}

/// "${NAME}": a value the spec leaves to the environment (a secret).
std::optional<StringRef> secretReference(StringRef Value) {
  if (Value.startswith("${") && Value.endswith("}"))
    return Value.drop_front(2).drop_back();
  return std::nullopt;
}

std::string failureRules(const ir::ModelBinding &B) {
  std::vector<std::string> Words;
  for (const ir::FailurePattern &F : B.Failures) {
    std::string Codes = F.ExitCodes.empty() ? "-" : "";
    for (int C : F.ExitCodes)
      Codes += (Codes.empty() ? "" : ",") + std::to_string(C);
    Words.push_back(Codes + ":" + b64(F.Pattern));
  }
  return llvm::join(Words, " ");
}

using EnvVec = std::vector<std::pair<std::string, std::string>>;

/// Candidate \p N's variables; secrets it reads are added to \p Secrets.
llvm::Error candidateEnv(const ir::ModelBinding &B, unsigned N, EnvVec &Env,
                         std::vector<std::string> &Secrets) {
  std::string Prefix = fmt::format("CONNECTOR_CI_C{}_", N);
  std::vector<std::string> Argv, Pairs;
  for (const std::string &A : B.Argv)
    Argv.push_back(encodeWord(A));
  for (const auto &[Name, Value] : B.Env) {
    if (!isIdentifier(Name))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "environment variable name '%s' of '%s' is not an identifier",
          Name.c_str(), B.Id.c_str());
    if (std::optional<StringRef> Ref = secretReference(Value))
      Secrets.push_back(Ref->str());
    else
      Pairs.push_back(encodeWord(Name + "=" + Value));
  }
  if (!B.Simulated)
    llvm::append_range(Secrets, B.EnvKeys);
  Env.push_back({Prefix + "ARGV", llvm::join(Argv, " ")});
  Env.push_back({Prefix + "VIA", B.Via == ir::PromptVia::Arg ? "arg" : "stdin"});
  Env.push_back({Prefix + "ENV", llvm::join(Pairs, " ")});
  Env.push_back({Prefix + "SIM", B.Simulated ? "1" : "0"});
  Env.push_back({Prefix + "AS", encodeWord(B.Id)});
  Env.push_back({Prefix + "RULES", failureRules(B)});
  Env.push_back({Prefix + "FIELD", encodeWord(B.AnswerJsonField)});
  return llvm::Error::success();
}

/// The output of the stage \p T ends, if it is the stage's last task.
std::string stageOutput(const ir::Plan &P, unsigned T) {
  const ir::PlanStage &S = P.Stages[P.Tasks[T].Stage];
  return !S.Tasks.empty() && S.Tasks.back() == T ? S.Output : "";
}

std::string formatSeconds(double S) {
  return S > 0 ? fmt::format("{}", S) : "0";
}

llvm::Expected<CiJob> lowerTask(const ir::Plan &P, unsigned T,
                                llvm::ArrayRef<std::string> JobIds,
                                llvm::ArrayRef<std::string> StageIds) {
  const ir::Task &Task = P.Tasks[T];
  CiJob J;
  J.Id = JobIds[T];
  J.Stage = StageIds[Task.Stage];
  J.Task = T;
  std::vector<unsigned> Inputs = ir::taskInputs(P, T);
  std::vector<std::string> InputWords;
  for (unsigned I : Inputs) {
    InputWords.push_back(encodeWord(P.Tasks[I].Output));
    if (!llvm::is_contained(J.Needs, JobIds[I]))
      J.Needs.push_back(JobIds[I]);
  }
  J.Env = {{"CONNECTOR_CI_TASK", encodeWord(Task.Id)},
           {"CONNECTOR_CI_PROMPT", promptParts(Task.Prompt)},
           {"CONNECTOR_CI_OUTPUT", encodeWord(Task.Output)},
           {"CONNECTOR_CI_STAGE_OUTPUT", encodeWord(stageOutput(P, T))},
           {"CONNECTOR_CI_INPUTS", llvm::join(InputWords, " ")},
           {"CONNECTOR_CI_RETRIES", std::to_string(Task.Retries)},
           {"CONNECTOR_CI_TIMEOUT_S", formatSeconds(Task.TimeoutS)},
           {"CONNECTOR_CI_CANDIDATES", std::to_string(Task.Candidates.size())}};
  for (unsigned N = 0; N < Task.Candidates.size(); ++N)
    if (llvm::Error E = candidateEnv(P.Bindings[Task.Candidates[N]], N + 1,
                                     J.Env, J.Secrets))
      return E;
  for (const std::string &S : J.Secrets)
    if (!isIdentifier(S))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "secret name '%s' is not an identifier",
                                     S.c_str());
  llvm::sort(J.Secrets);
  J.Secrets.erase(std::unique(J.Secrets.begin(), J.Secrets.end()),
                  J.Secrets.end());
  return J;
}

/// How each provider's CLI gets onto a CI runner (docs/backends.md).
std::optional<CiInstall> installFor(StringRef Provider) {
  if (Provider == "claude")
    return CiInstall{"install claude",
                     "npm install -g @anthropic-ai/claude-code"};
  if (Provider == "codex")
    return CiInstall{"install codex", "npm install -g @openai/codex"};
  if (Provider == "gemini")
    return CiInstall{"install gemini", "npm install -g @google/gemini-cli"};
  if (Provider == "aider")
    return CiInstall{"install aider", "python3 -m pip install aider-chat"};
  if (Provider == "ollama")
    return CiInstall{
        "check ollama",
        "command -v ollama >/dev/null || { echo 'connectorc: ollama is not "
        "installed; its installer is a download: see docs/backends.md' >&2; "
        "exit 1; }"};
  return std::nullopt;
}

std::vector<CiInstall> installs(const ir::Plan &P) {
  std::vector<CiInstall> Out;
  llvm::StringSet<> Seen;
  bool Simulated = false;
  for (const ir::ModelBinding &B : P.Bindings) {
    Simulated |= B.Simulated || B.Provider == "sim";
    if (B.Simulated || !Seen.insert(B.Provider).second)
      continue;
    if (std::optional<CiInstall> I = installFor(B.Provider))
      Out.push_back(std::move(*I));
  }
  if (Simulated)
    Out.insert(Out.begin(),
               CiInstall{"check connectorc",
                         "command -v \"${CONNECTORC:-connectorc}\" >/dev/null "
                         "|| { echo 'connectorc: put connectorc on PATH (or "
                         "set CONNECTORC) for the sim agent: see "
                         "docs/backends.md' >&2; exit 1; }"});
  return Out;
}
/// The stages in an order where each comes after those it depends on
/// (team stages come last in the plan but may be depended on), otherwise in
/// plan order.
std::vector<unsigned> stageOrder(const ir::Plan &P) {
  std::vector<unsigned> Order;
  std::vector<bool> Placed(P.Stages.size(), false);
  while (Order.size() < P.Stages.size()) {
    size_t Before = Order.size();
    for (unsigned S = 0; S < P.Stages.size(); ++S)
      if (!Placed[S] && llvm::all_of(P.Stages[S].DependsOn,
                                     [&](unsigned D) { return Placed[D]; })) {
        Placed[S] = true;
        Order.push_back(S);
      }
    assert(Order.size() > Before && "a verified plan's stages form a DAG");
    (void)Before;
  }
  return Order;
}
} // namespace

llvm::Expected<CiPlan> ci::lowerForCi(const ir::Plan &P) {
  CiPlan Out;
  std::vector<std::string> StageIds, JobIds;
  for (unsigned S = 0; S < P.Stages.size(); ++S)
    StageIds.push_back(fmt::format("s{}-{}", S + 1, slug(P.Stages[S].Name)));
  for (unsigned S : stageOrder(P))
    if (!P.Stages[S].Tasks.empty())
      Out.Stages.push_back(StageIds[S]);
  for (unsigned T = 0; T < P.Tasks.size(); ++T)
    JobIds.push_back(fmt::format("t{}-{}", T + 1, slug(P.Tasks[T].Id)));
  for (unsigned T = 0; T < P.Tasks.size(); ++T) {
    llvm::Expected<CiJob> J = lowerTask(P, T, JobIds, StageIds);
    if (!J)
      return J.takeError();
    llvm::append_range(Out.Secrets, J->Secrets);
    Out.Jobs.push_back(std::move(*J));
  }
  llvm::sort(Out.Secrets);
  Out.Secrets.erase(std::unique(Out.Secrets.begin(), Out.Secrets.end()),
                    Out.Secrets.end());
  Out.Installs = installs(P);
  return Out;
}

/// The zone's fixed offset from UTC in hours, if it has one: UTC itself and
/// the Etc/GMT±N zones (whose sign is POSIX's: Etc/GMT+5 is UTC-5).
static std::optional<int> fixedOffsetHours(StringRef Zone) {
  if (Zone.empty() || Zone == "UTC" || Zone == "Etc/UTC" || Zone == "GMT" ||
      Zone == "Etc/GMT" || Zone == "Etc/UCT" || Zone == "UCT" ||
      Zone == "Etc/Universal" || Zone == "Universal" || Zone == "Etc/Zulu" ||
      Zone == "Zulu")
    return 0;
  int West = 0;
  if (Zone.consume_front("Etc/GMT") && Zone.size() >= 2 &&
      (Zone.front() == '+' || Zone.front() == '-') &&
      !Zone.drop_front().getAsInteger(10, West))
    return Zone.front() == '+' ? -West : West;
  return std::nullopt;
}

UtcCron ci::utcCron(const ir::Plan &P) {
  UtcCron Out{P.Cron, ""};
  std::optional<int> Offset = fixedOffsetHours(P.TimeZone);
  if (Offset == 0)
    return Out;
  std::string Why = fmt::format(
      "the schedule is in time zone {} but this service reads cron in UTC",
      commentText(P.TimeZone));
  CronError Err;
  std::optional<CronSchedule> S = parseCron(P.Cron, Err);
  llvm::SmallVector<StringRef, 5> Fields;
  StringRef(P.Cron).split(Fields, ' ', -1, /*KeepEmpty=*/false);
  bool EveryDay = Fields.size() == 5 && Fields[2] == "*" &&
                  Fields[3] == "*" && Fields[4] == "*";
  if (!Offset || !S || !EveryDay) {
    Out.Note = Why + ": convert it by hand (docs/backends.md)";
    return Out;
  }
  std::vector<std::string> Hours;
  for (int H = 0; H < 24; ++H)
    if (S->Hours.test(((H + *Offset) % 24 + 24) % 24))
      Hours.push_back(std::to_string(H));
  Out.Cron = fmt::format("{} {} * * *", Fields[0].str(), llvm::join(Hours, ","));
  Out.Note = Why + fmt::format(": converted from '{}' (UTC{:+d})",
                               commentText(P.Cron), *Offset);
  return Out;
}
