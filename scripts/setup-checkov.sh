#!/usr/bin/env bash
# Installs the pinned checkov (requirements-checkov.txt) into .venv-checkov/ for
# test/stack/checkov.test.ts. Idempotent: when the venv already holds exactly that file (a stamp
# of its hash), it does nothing. Needs python3 (with the venv module) and PyPI.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${CHECKOV_VENV:-$root/.venv-checkov}"
requirements="$root/requirements-checkov.txt"
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"

wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ -x "$venv/bin/checkov" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
  echo "checkov already installed in $venv"
  exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
  "$python" -m venv "$venv"
fi
rm -f "$stamp"
"$venv/bin/pip" install --quiet --disable-pip-version-check --require-virtualenv --no-deps -r "$requirements"
"$venv/bin/pip" check --disable-pip-version-check >/dev/null
echo "$wanted" >"$stamp"
echo "checkov installed in $venv ($("$venv/bin/checkov" --version))"
