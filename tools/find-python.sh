#!/usr/bin/env bash
# Print the path of a Python 3.12 interpreter, or fail with a clear message.
# Looks at $QUORUM_PYTHON, python3.12 / python3 on PATH, pyenv's versions, and the
# usual system locations. A pyenv shim is tried for real: shims exist on PATH even
# when they would refuse to run.
set -u
want="3.12"
is_312() { "$1" -c "import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)" >/dev/null 2>&1; }
candidates=()
[ -n "${QUORUM_PYTHON:-}" ] && candidates+=("$QUORUM_PYTHON")
for name in python3.12 python3; do
  path=$(command -v "$name" 2>/dev/null) && candidates+=("$path")
done
pyenv_root=${PYENV_ROOT:-}
[ -z "$pyenv_root" ] && command -v pyenv >/dev/null 2>&1 && pyenv_root=$(pyenv root 2>/dev/null)
[ -z "$pyenv_root" ] && [ -d "$HOME/.pyenv" ] && pyenv_root="$HOME/.pyenv"
if [ -n "$pyenv_root" ] && [ -d "$pyenv_root/versions" ]; then
  for dir in $(ls -d "$pyenv_root"/versions/3.12* 2>/dev/null | sort -rV); do
    candidates+=("$dir/bin/python3.12")
  done
fi
candidates+=(/usr/local/bin/python3.12 /usr/bin/python3.12)
for cand in "${candidates[@]}"; do
  if [ -x "$cand" ] || command -v "$cand" >/dev/null 2>&1; then
    if is_312 "$cand"; then
      "$cand" -c "import sys; print(sys.executable)"
      exit 0
    fi
  fi
done
echo "error: Python $want not found. Looked at \$QUORUM_PYTHON, python3.12 and python3 on PATH," >&2
echo "       pyenv versions (${pyenv_root:-no pyenv}/versions/3.12*), /usr/local/bin and /usr/bin." >&2
echo "       Install Python $want (e.g. 'pyenv install 3.12') or set QUORUM_PYTHON=/path/to/python3.12." >&2
exit 1
