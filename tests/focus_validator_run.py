"""Run the FinOps Foundation's ``focus-validator`` (2.x) on a FOCUS CSV; print JSON
``{"failed": [rule ids], "passed": n}`` as the last line.

Run it with the validator's own Python (it needs pandas 2 and numpy 1, unlike the toolkit):
``python focus_validator_run.py FILE.csv CRITERIA``. The validator declares Python ≥ 3.12 for
one line of 3.12-only f-string syntax in ``config_objects/focus_to_duckdb_converter.py``; on
3.11 this script copies the installed package to a temporary folder, rewrites that line to
its 3.11 equivalent and runs the copy (from the copy's parent folder, where the validator
looks for ``focus_validator/rules/currency_codes.csv``). Nothing of the validator is kept.
"""

import contextlib
import importlib.util
import io
import json
import os
import shutil
import sys
import tempfile

OLD = """", ".join(f"'{k.replace('\\"', '\\"\\"')}'" for k in ignore_keys)"""
NEW = """", ".join("'" + k.replace('"', '""') + "'" for k in ignore_keys)"""
MODULE = os.path.join("config_objects", "focus_to_duckdb_converter.py")


def patched_copy(root: str) -> None:
    spec = importlib.util.find_spec("focus_validator")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("focus_validator is not installed for this Python")
    target = os.path.join(root, "focus_validator")
    shutil.copytree(list(spec.submodule_search_locations)[0], target,
                    ignore=shutil.ignore_patterns("__pycache__"))
    path = os.path.join(target, MODULE)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if sys.version_info < (3, 12):
        text = text.replace(OLD, NEW)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def main(csv_path: str, criteria: str) -> None:
    csv_path = os.path.abspath(csv_path)
    with tempfile.TemporaryDirectory(prefix="focus-validator-") as root:
        patched_copy(root)
        sys.path.insert(0, root)
        from focus_validator.outputter.outputter_console import STATUS_FAIL, _status_from_result
        from focus_validator.validator import Validator

        os.chdir(root)
        validator = Validator(data_filename=csv_path, output_destination=None,
                              output_type="console", rules_version="1.2",
                              focus_dataset="CostAndUsage", rules_block_remote_download=True,
                              applicability_criteria=criteria)
        with contextlib.redirect_stdout(io.StringIO()):
            results = validator.validate()
        status = {rule: _status_from_result(entry) for rule, entry in results.by_rule_id.items()}
    failed = sorted(rule for rule, value in status.items() if value == STATUS_FAIL)
    passed = sum(1 for value in status.values() if value == "PASS")
    print(json.dumps({"failed": failed, "passed": passed}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
