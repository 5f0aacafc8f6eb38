#!/usr/bin/env bash
# An environment of its own for the FinOps Foundation's focus-validator (docs/focus.md): it
# declares Python >= 3.12 and pins pandas 2 / numpy 1, so it cannot share ours. Prints the
# interpreter to put in FOCUS_VALIDATOR_PYTHON. Usage: scripts/focus_validator_env.sh [DIR]
set -euo pipefail
dir=${1:-/opt/focus-validator}
if [[ ! -x $dir/bin/python ]] || ! "$dir/bin/python" -c "import focus_validator" 2>/dev/null; then
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check \
    'ddt<2,>=1.7.1' 'duckdb<2,>=1.4.1' 'graphviz<0.22,>=0.21' 'jsonschema<5,>=4.25.1' \
    'multimethod<2.1,>=2.0' 'numpy<2.0,>=1.26' 'pandas<3,>=2' 'pandasql<0.8,>=0.7.3' \
    'pandera<0.27,>=0.26.1' 'polars<2,>=1.34' 'pyarrow<22' 'pydantic<3,>=2.12' \
    'pytz<2026,>=2025.2' 'pyyaml<7,>=6.0.3' requests 'sqlglot<28,>=27.28.1' tabulate
  "$dir/bin/pip" install --quiet --disable-pip-version-check --no-deps --ignore-requires-python \
    focus-validator==2.2.1
fi
echo "$dir/bin/python"
