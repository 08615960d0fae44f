//===- CiScript.cpp - the shell of every CI task step ---------------------===//
//
// The attempt loop of one task in POSIX shell (dash, busybox sh and bash),
// the same text for every task of every workflow: it mirrors the runtime
// (runtime/executor/Request.cpp, runtime/executor/Executor.cpp, runtime/executor/Classifier.cpp) with
// the limits listed in docs/backends.md, and reads everything from the spec
// from its environment (CiCommon.h).
//
//===----------------------------------------------------------------------===//
#include "backends/CiCommon.h"
#include "backends/JsonAnswer.h"

#include <string_view>

using namespace connectorc;
using llvm::StringRef;

// Reads (all set by lowerForCi). A "word" is one string encoded by
// encodeWord (CiCommon.cpp): p<the string> when isSafeChar holds for each
// character, else b<base64>; either way no blank, quote, `$` or glob
// character.
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
//   CONNECTOR_CI_C<n>_RULES  <exit codes or ->:b<base64 ERE> ...
//   CONNECTOR_CI_C<n>_SET_ENV  words: NAME=VALUE, set unless NAME is set
//   CONNECTOR_CI_C<n>_JQ     a word: the jq program that finds the answer in
//                            the JSON of the output (JsonAnswer.h), or empty
// No value is ever in eval'd text: eval only assigns one of the script's
// own variables, or reads CONNECTOR_CI_C<n>_* with <n> a number of ours.
static const char Script[] =
    R"SH(# connectorc: one task's attempt loop; see docs/backends.md.
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
task='' output='' stage_output='' input='' arg='' pair='' rule='' program=''
argv='' via='' extra_env='' set_env='' sim='' sim_as='' rules='' prompt=''
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
  eval "sim_as=\$CONNECTOR_CI_C$1_AS set_env=\$CONNECTOR_CI_C$1_SET_ENV"
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
    for word in $set_env; do
      dec pair "$word"
      if ! printenv "${pair%%=*}" >/dev/null; then
        export "${pair%%=*}=${pair#*=}"
      fi
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
    eval "program=\$CONNECTOR_CI_C$1_JQ"
    dec program "$program"
    if [ -z "$program" ]; then return; fi
    # No answer there is a task failure; a blank one an empty answer.
    if ! jq -Rsj "$program" <"$work/out" >"$work/answer"; then
      outcome=task
      return
    fi
    mv "$work/answer" "$work/out"
    if grep -q '[^[:space:]]' "$work/out"; then return; fi
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

# A candidate whose answer is in its JSON needs jq: none fails the task
# before any attempt.
candidate=1
while [ "$candidate" -le "$CONNECTOR_CI_CANDIDATES" ]; do
  eval "program=\$CONNECTOR_CI_C${candidate}_JQ"
  if [ "$program" != p ] && ! command -v jq >/dev/null 2>&1; then
    echo "connectorc: task $task: jq is not installed, and candidate $candidate answers in JSON (answer_json_field), which the script reads with jq" >&2
    exit 1
  fi
  candidate=$((candidate + 1))
done

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

// The script's jq call spells out the options the program is written for.
static_assert(std::string_view(AnswerJqOptions) == "-Rsj");

StringRef ci::attemptScript() { return StringRef(Script, sizeof Script - 1); }
