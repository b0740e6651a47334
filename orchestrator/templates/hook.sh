#!/bin/sh
# orch's hook launcher, committed with the repository (`.orch/hook`, written by `orch init`):
# `sh .orch/hook EVENT`, with Claude Code's hook payload on stdin (passed through untouched).
# Runs this machine's orch: the interpreter and hook script `orch init` recorded in the
# machine-local runtime folder (<git common dir>/orch/hook-command), else an `orch` on PATH. On a
# clone where orch is not installed it says so, instead of failing silently; with
# policy.strict it refuses the tool call.
event=${1:-}
state=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
root=$(dirname -- "$state")
git=$root/.git
if [ -f "$git" ]; then
  IFS= read -r line < "$git" || line=
  git=${line#gitdir: }
  case $git in /*) ;; *) git=$root/$git ;; esac
  if [ -r "$git/commondir" ]; then
    IFS= read -r common < "$git/commondir" || common=
    case $common in /*) git=$common ;; *) git=$git/$common ;; esac
  fi
fi
recorded=${ORCH_RUNTIME_DIR:-$git/orch}/hook-command
if [ -r "$recorded" ]; then
  { IFS= read -r py; IFS= read -r script; } < "$recorded"
  if [ -x "$py" ] && [ -f "$script" ]; then
    exec "$py" -I "$script" "$event"
  fi
fi
if command -v orch >/dev/null 2>&1; then
  exec orch hook "$event"
fi
echo "orch: this repository's plan is enforced by orch, which is not installed on this machine: install it (pip install claude-orch, or the orch plugin for Claude Code), then run \`orch init\` here. Nothing was checked." >&2
if [ "$event" = PreToolUse ] && grep -q '"strict": *true' "$state/config.json" 2>/dev/null; then
  exit 2
fi
exit 1
