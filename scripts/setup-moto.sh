#!/usr/bin/env bash
# Installs the pinned AWS emulator (moto server) into .venv-moto/ for the end-to-end tests and
# `npm run demo`, and next to it the pinned shellcheck the bootstrap tests run
# (requirements-shellcheck.txt). Idempotent: when the venv already holds exactly both files
# (recorded by a stamp of their hash), it does nothing and returns in well under a second.
# Needs python3 (>= 3.9, with the venv module) and PyPI; nothing else.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${MOTO_VENV:-$root/.venv-moto}"
requirements=("$root/requirements-emulator.txt" "$root/requirements-shellcheck.txt")
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"

wanted="$(cat "${requirements[@]}" | sha256sum | cut -d' ' -f1)"
if [[ -x "$venv/bin/moto_server" && -x "$venv/bin/shellcheck" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
  echo "moto emulator already installed in $venv"
  exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
  "$python" -m venv "$venv"
fi
# The stamp is removed first so an interrupted install is redone next time, not trusted.
rm -f "$stamp"
"$venv/bin/pip" install --quiet --disable-pip-version-check --require-virtualenv -r "${requirements[0]}" -r "${requirements[1]}"
"$venv/bin/pip" check --disable-pip-version-check >/dev/null
echo "$wanted" >"$stamp"
echo "moto emulator installed in $venv ($("$venv/bin/python" -c 'import moto; print("moto", moto.__version__)'), $("$venv/bin/shellcheck" --version | sed -n 's/^version: /shellcheck /p'))"
