"""Known failures for scripts/fuzz's own passes: a failure whose label is listed
in the file named by SOUK_FUZZ_KNOWN (one `PASS LABEL` a line) is reported as
KNOWN and does not fail the run; each one seen is added to the file named by
SOUK_FUZZ_SEEN, so that scripts/fuzz can name the listed ones no pass saw."""

import os


def known_failures():
    """The labels of failures already reported and not fixed yet (SOUK_FUZZ_KNOWN)."""
    path = os.environ.get("SOUK_FUZZ_KNOWN")
    if not path:
        return set()
    with open(path, encoding="utf-8") as lines:
        return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def bad_error(errors):
    """What is wrong with a GraphQL answer's errors: one without an
    `extensions.code`, or one that is INTERNAL; None when each is typed."""
    for error in errors:
        code = (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None
        if not isinstance(code, str) or not code:
            return "an error without extensions.code"
        if code == "INTERNAL":
            return "INTERNAL"
    return None


def report(prefix, failed, known):
    """Prints known failures and known entries that passed; returns the new failures."""
    new = {label: text for label, text in failed.items() if f"{prefix} {label}" not in known}
    for label, text in failed.items():
        print(f"{'FAIL' if label in new else 'KNOWN'} {label}: {text}")
    seen = os.environ.get("SOUK_FUZZ_SEEN")
    if seen:
        with open(seen, "a", encoding="utf-8") as file:
            file.writelines(f"{prefix} {label}\n" for label in failed if label not in new)
    return new


def judge_schemathesis(report_path, who):
    """Exit status for a Schemathesis JSON report: 1 on an error or a new failure."""
    import json

    with open(report_path, encoding="utf-8") as file:
        result = json.load(file)
    failed = {}
    for failure in result.get("failures", []):
        for operation in failure.get("operations", []):
            failed.setdefault(operation, []).append(failure.get("title", "?"))
    new = report("schemathesis", {op: "; ".join(t) for op, t in failed.items()}, known_failures())
    for error in result.get("errors", []):
        print(f"ERROR {error}")
    print(f"schemathesis {who}: {len(failed)} operations failed ({len(new)} new),"
          f" {len(result.get('errors', []))} errors")
    return 1 if new or result.get("errors") or not result.get("complete") else 0


if __name__ == "__main__":
    import sys

    sys.exit(judge_schemathesis(sys.argv[1], sys.argv[2]))
