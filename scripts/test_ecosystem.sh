#!/usr/bin/env bash
# Build the second test environment (MONAI Label 0.8.5 + MONAI Deploy App SDK 4.0, which need torchvision) and run
# the tests that skip in the main environment: tests/apps (MONAI Label server and task API, the Deploy app run for
# real) plus the bundle and packaging tests again beside torch 2.14.
#
# The installs are sequential on purpose: monailabel 0.8.5 pulls pydicom-seg 0.4.1, which declares jsonschema<4 and
# numpy<2 (numpymaxflow too), while this project's test extra needs jsonschema>=4; one resolver run over everything
# fails (ResolutionImpossible). Installed in this order they work together (`pip check` lists those declarations;
# the tests pass).
#
# Usage: bash scripts/test_ecosystem.sh [VENV [TEST PATHS...]]
#        (default VENV: .venv-ecosystem, about 8 GB on disk; default tests: tests/apps tests/bundles tests/scripts;
#        CI runs tests/apps only, the others already ran in the main environment)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv-ecosystem}"
shift || true
TESTS=("$@")
[ ${#TESTS[@]} -gt 0 ] || TESTS=(tests/apps tests/bundles tests/scripts)
start=$(date +%s)
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
"${PIP[@]}" torch==2.14.1 torchvision==0.29.1          # the CPU build on this disk; runs on CUDA hosts as well
"${PIP[@]}" "monai==1.6.1" monailabel==0.8.5 monai-deploy-app-sdk==4.0.0 highdicom
"${PIP[@]}" -e ".[test]"
echo "environment ready in $(( $(date +%s) - start )) s"
ulimit -s 32768 2>/dev/null || true                    # Holoscan (MONAI Deploy) wants a 32 MB stack
"$VENV/bin/python" -c "import torchvision, monailabel, monai.deploy, holoscan, highdicom"  # fail early, never skip
log="$(mktemp)"
"$VENV/bin/python" -m pytest -q -rs "${TESTS[@]}" | tee "$log"
if grep -qE "[0-9]+ skipped" "$log"; then
    echo "error: tests were skipped in the environment made to run them" >&2
    exit 1
fi
echo "done in $(( $(date +%s) - start )) s"
