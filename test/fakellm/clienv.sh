# shellcheck shell=sh
# Sourced (POSIX sh) to point the five real agent CLIs at the fake LLM service
# (fake_llm.py) with a private home. Before sourcing, set:
#   FAKE_URL   http://127.0.0.1:PORT/<condition>   (ok, s429, hang, ...; no trailing /)
#   CLI_HOME   an empty directory: becomes HOME and holds every CLI's state
# Optional:
#   CLI_RETRIES     retries each CLI may make on its own (default 0; set it to the
#                   empty string to leave every CLI at its own default)
#   CLI_TIMEOUT_MS  request / stream-idle timeout in ms where a CLI has one (default
#                   30000; empty: the CLIs' defaults)
#   CLI_MODEL_*     override the model ids below
# It writes the config files into CLI_HOME and exports the environment; it does not
# change the working directory. See FINDINGS.md for the command lines:
#   claude -p --output-format json            (prompt on stdin)
#   codex exec --json --skip-git-repo-check --output-last-message F -   (prompt on stdin)
#   gemini --output-format json               (prompt on stdin)
#   qwen --output-format json                 (prompt on stdin)
#   opencode run --format json                (prompt on stdin)
# (Qwen appends "\n\n" to a stdin prompt; the others pass it byte-exact.)

: "${FAKE_URL:?set FAKE_URL=http://127.0.0.1:PORT/<condition>}"
: "${CLI_HOME:?set CLI_HOME to a private directory}"
CLI_RETRIES="${CLI_RETRIES-0}"
CLI_TIMEOUT_MS="${CLI_TIMEOUT_MS-30000}"
CLI_MODEL_CLAUDE="${CLI_MODEL_CLAUDE:-claude-sonnet-4-5}"
CLI_MODEL_CODEX="${CLI_MODEL_CODEX:-gpt-6.2-sol}"
CLI_MODEL_GEMINI="${CLI_MODEL_GEMINI:-gemini-2.5-flash}"
CLI_MODEL_QWEN="${CLI_MODEL_QWEN:-qwen3-coder-plus}"
CLI_MODEL_OPENCODE="${CLI_MODEL_OPENCODE:-fake-model}"

mkdir -p "$CLI_HOME/.codex" "$CLI_HOME/.gemini" "$CLI_HOME/.qwen" \
  "$CLI_HOME/.config/opencode" "$CLI_HOME/.local/share" "$CLI_HOME/.local/state" "$CLI_HOME/.cache"

export HOME="$CLI_HOME"
export XDG_CONFIG_HOME="$CLI_HOME/.config" XDG_DATA_HOME="$CLI_HOME/.local/share" \
  XDG_STATE_HOME="$CLI_HOME/.local/state" XDG_CACHE_HOME="$CLI_HOME/.cache"
export NO_UPDATE_NOTIFIER=1 DO_NOT_TRACK=1
# Gemini CLI writes error reports to os.tmpdir(): keep them in the private home too.
mkdir -p "$CLI_HOME/tmp"
export TMPDIR="$CLI_HOME/tmp"

# --- Claude Code ------------------------------------------------------------------
export ANTHROPIC_BASE_URL="$FAKE_URL"
export ANTHROPIC_API_KEY="sk-ant-api03-fake-key"
export ANTHROPIC_MODEL="$CLI_MODEL_CLAUDE"
if [ -n "$CLI_RETRIES" ]; then export CLAUDE_CODE_MAX_RETRIES="$CLI_RETRIES"; fi
if [ -n "$CLI_TIMEOUT_MS" ]; then export API_TIMEOUT_MS="$CLI_TIMEOUT_MS"; fi
export DISABLE_AUTOUPDATER=1 DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1 \
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1

# --- Codex --------------------------------------------------------------------------
export CODEX_HOME="$CLI_HOME/.codex"
export FAKE_OPENAI_API_KEY="sk-fake-openai-key"
cat > "$CODEX_HOME/config.toml" <<EOF
model = "$CLI_MODEL_CODEX"
model_provider = "fake"
check_for_update_on_startup = false

[analytics]
enabled = false

[model_providers.fake]
name = "fake"
base_url = "$FAKE_URL/v1"
env_key = "FAKE_OPENAI_API_KEY"
wire_api = "responses"
EOF
if [ -n "$CLI_RETRIES" ]; then
  printf 'request_max_retries = %s\nstream_max_retries = %s\n' "$CLI_RETRIES" "$CLI_RETRIES" \
    >> "$CODEX_HOME/config.toml"
fi
if [ -n "$CLI_TIMEOUT_MS" ]; then
  printf 'stream_idle_timeout_ms = %s\n' "$CLI_TIMEOUT_MS" >> "$CODEX_HOME/config.toml"
fi

# --- Gemini CLI ---------------------------------------------------------------------
export GOOGLE_GEMINI_BASE_URL="$FAKE_URL"
export GEMINI_API_KEY="fake-gemini-key"
export GEMINI_MODEL="$CLI_MODEL_GEMINI"
export GEMINI_CLI_TRUST_WORKSPACE=true
_fk_gen_retry=""
if [ -n "$CLI_RETRIES" ]; then
  _fk_gen_retry=", \"maxAttempts\": $((CLI_RETRIES + 1)), \"retryFetchErrors\": false"
fi
cat > "$CLI_HOME/.gemini/settings.json" <<EOF
{
  "security": {"auth": {"selectedType": "gemini-api-key"}},
  "general": {"enableAutoUpdate": false, "enableAutoUpdateNotification": false$_fk_gen_retry},
  "privacy": {"usageStatisticsEnabled": false},
  "telemetry": {"enabled": false}
}
EOF

# --- Qwen Code ----------------------------------------------------------------------
export OPENAI_BASE_URL="$FAKE_URL/v1"
export OPENAI_API_KEY="sk-fake-openai-key"
export OPENAI_MODEL="$CLI_MODEL_QWEN"
_fk_qgc=""
if [ -n "$CLI_TIMEOUT_MS" ]; then
  export QWEN_CODE_API_TIMEOUT_MS="$CLI_TIMEOUT_MS"
  _fk_qgc="\"timeout\": $CLI_TIMEOUT_MS"
fi
if [ -n "$CLI_RETRIES" ]; then
  _fk_qgc="$_fk_qgc${_fk_qgc:+, }\"maxRetries\": $CLI_RETRIES"
fi
cat > "$CLI_HOME/.qwen/settings.json" <<EOF
{
  "security": {"auth": {"selectedType": "openai"}},
  "model": {"name": "$CLI_MODEL_QWEN", "generationConfig": {$_fk_qgc}},
  "general": {"enableAutoUpdate": false},
  "privacy": {"usageStatisticsEnabled": false},
  "telemetry": {"enabled": false}
}
EOF

# --- opencode -----------------------------------------------------------------------
# The model's price (USD per million tokens) is what opencode's step_finish "cost" is
# computed from: 3/15 like Claude's sonnet, so 1000 in + 50 out = 0.00375.
_fk_octo=""
if [ -n "$CLI_TIMEOUT_MS" ]; then _fk_octo=", \"timeout\": $CLI_TIMEOUT_MS"; fi
export OPENCODE_DISABLE_MODELS_FETCH=1 OPENCODE_DISABLE_AUTOUPDATE=1 \
  OPENCODE_DISABLE_DEFAULT_PLUGINS=1 OPENCODE_DISABLE_LSP_DOWNLOAD=1 \
  OPENCODE_DISABLE_SHARE=1 OPENCODE_PURE=1
cat > "$CLI_HOME/.config/opencode/opencode.json" <<EOF
{
  "\$schema": "https://opencode.ai/config.json",
  "model": "fake/$CLI_MODEL_OPENCODE",
  "small_model": "fake/$CLI_MODEL_OPENCODE",
  "autoupdate": false,
  "share": "disabled",
  "provider": {
    "fake": {
      "npm": "@ai-sdk/openai-compatible",
      "name": "Fake",
      "options": {"baseURL": "$FAKE_URL/v1", "apiKey": "sk-fake-openai-key"$_fk_octo},
      "models": {"$CLI_MODEL_OPENCODE": {"name": "Fake model",
                                          "cost": {"input": 3, "output": 15}}}
    }
  }
}
EOF
unset _fk_gen_retry _fk_qgc _fk_octo
