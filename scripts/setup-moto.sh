#!/usr/bin/env bash
# Installs the pinned AWS emulator (moto server) into .venv-moto/ for the end-to-end tests and
# `npm run demo`. Idempotent: when the venv already holds exactly requirements-emulator.txt
# (recorded by a stamp of its hash), it does nothing and returns in well under a second.
# Needs python3 (>= 3.9, with the venv module) and PyPI; nothing else.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${MOTO_VENV:-$root/.venv-moto}"
requirements="$root/requirements-emulator.txt"
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"

wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ -x "$venv/bin/moto_server" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
  echo "moto emulator already installed in $venv"
  exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
  "$python" -m venv "$venv"
fi
# The stamp is removed first so an interrupted install is redone next time, not trusted.
rm -f "$stamp"
"$venv/bin/pip" install --quiet --disable-pip-version-check --require-virtualenv -r "$requirements"
"$venv/bin/pip" check --disable-pip-version-check >/dev/null
echo "$wanted" >"$stamp"
echo "moto emulator installed in $venv ($("$venv/bin/python" -c 'import moto; print("moto", moto.__version__)'))"
