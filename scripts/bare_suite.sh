#!/usr/bin/env bash
# Run the test suite as on a machine WITHOUT LibreOffice (soffice, python3-uno), Gnumeric
# (ssconvert) and poppler (pdftotext, pdftoppm, pdfinfo, ...), outside CI, without
# uninstalling anything: PATH becomes a folder of links to every program on it except
# those, and a sitecustomize on PYTHONPATH makes `import uno` fail (for every Python the
# suite starts, /usr/bin/python3 included). Every test that needs one of them must skip
# with a message naming what to install; nothing else may fail. At the end it lists
# every skipped test with its reason.
#
#   bash scripts/bare_suite.sh                    # the whole `make test` (lint, mypy, pytest)
#   bash scripts/bare_suite.sh tests/test_x.py    # only these pytest arguments
#   BARE_HIDE=poppler bash scripts/bare_suite.sh  # hide only poppler (soffice | gnumeric | uno)
#   CI=true bash scripts/bare_suite.sh tests/test_legibility.py   # the reverse: in CI a
#                                                  # missing program FAILS the test
set -euo pipefail
cd "$(dirname "$0")/.."

SOFFICE="soffice libreoffice loffice localc lowriter unoconv"
GNUMERIC="ssconvert gnumeric ssindex ssgrep"
POPPLER="pdftotext pdftoppm pdfinfo pdftocairo pdftohtml pdftops pdfattach pdfdetach pdffonts
pdfimages pdfseparate pdfsig pdfunite"
HIDDEN=""
block_uno=0
for what in ${BARE_HIDE:-soffice gnumeric poppler uno}; do
  case $what in
    soffice) HIDDEN="$HIDDEN $SOFFICE" ;;
    gnumeric) HIDDEN="$HIDDEN $GNUMERIC" ;;
    poppler) HIDDEN="$HIDDEN $POPPLER" ;;
    uno) block_uno=1 ;;
    *) echo "bare_suite.sh: BARE_HIDE takes soffice, gnumeric, poppler, uno" >&2; exit 2 ;;
  esac
done
HIDDEN=$(echo $HIDDEN)

bare=$(mktemp -d "${TMPDIR:-/tmp}/mne-bare-suite.XXXXXX")
trap 'rm -rf "$bare"' EXIT
mkdir "$bare/bin" "$bare/py"

# every program on PATH (the first of each name wins, as in a shell), except the hidden ones
IFS=: read -r -a dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  [ -d "$dir" ] || continue
  for prog in "$dir"/*; do
    name=${prog##*/}
    [ -x "$prog" ] && [ ! -d "$prog" ] || continue
    [ -e "$bare/bin/$name" ] && continue
    case " $HIDDEN " in *" $name "*) continue ;; esac
    ln -s "$prog" "$bare/bin/$name"
  done
done

if [ $block_uno = 1 ]; then
  cat >"$bare/py/sitecustomize.py" <<'EOF'
"""Written by scripts/bare_suite.sh: this Python behaves as if python3-uno were missing."""
import sys


class _NoUno:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"uno", "unohelper", "pyuno"}:
            raise ModuleNotFoundError(f"No module named {name!r} (hidden by bare_suite.sh)")
        return None


sys.meta_path.insert(0, _NoUno())
EOF
fi

for prog in $HIDDEN; do
  if PATH="$bare/bin" command -v "$prog" >/dev/null 2>&1; then
    echo "bare_suite.sh: $prog is still reachable" >&2
    exit 3
  fi
done
if [ $block_uno = 1 ] && PYTHONPATH="$bare/py" /usr/bin/python3 -c 'import uno' 2>/dev/null; then
  echo "bare_suite.sh: import uno still works" >&2
  exit 3
fi

if [ -z "${CI:-}" ]; then unset CI; fi
echo "bare_suite.sh: hidden from PATH: ${HIDDEN:-nothing}; import uno blocked: $block_uno; CI=${CI:-unset}"
export PATH="$bare/bin" PYTHONPATH="$bare/py${PYTHONPATH:+:$PYTHONPATH}"
export PYTEST_ADDOPTS="${PYTEST_ADDOPTS:-} -rs --junitxml=$bare/junit.xml"
rc=0
if [ $# -eq 0 ]; then make test || rc=$?; else .venv/bin/pytest -q "$@" || rc=$?; fi
if [ -f "$bare/junit.xml" ]; then
  .venv/bin/python - "$bare/junit.xml" <<'EOF'
"""Each skipped test and why, then the counts."""
import sys
import xml.etree.ElementTree as ET

cases = list(ET.parse(sys.argv[1]).getroot().iter("testcase"))
skipped = [(c, s) for c in cases if (s := c.find("skipped")) is not None]
print(f"\nbare_suite.sh: {len(skipped)} skipped of {len(cases)}:")
for c, s in skipped:
    print(f"  {c.get('classname')}::{c.get('name')}: {s.get('message')}")
EOF
fi
exit $rc
