#!/usr/bin/env bash
# make audit: bandit, then pip-audit over the pinned requirements (runtime and
# dev), resolved with every dependency in a throwaway virtualenv and checked
# against OSV's API, or PyPI's per-release JSON when OSV cannot be reached.
# Needs the network. Fails on a known vulnerability, and on a package it
# could not check: "no known vulnerabilities" must mean every one was looked up.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bandit.sh
echo "bandit: no findings (pyproject.toml [tool.bandit])"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for service in osv pypi; do
  .venv/bin/pip-audit -r requirements.txt -r requirements-dev.txt -s "$service" -f json -o "$work/report.json" \
    --progress-spinner off 2>"$work/$service.err" || true
  if [ -s "$work/report.json" ]; then break; fi
  echo "pip-audit: the $service service cannot be reached ($(tail -n 1 "$work/$service.err" | cut -c1-160))" >&2
done
[ -s "$work/report.json" ] || { echo "pip-audit: no vulnerability service answered" >&2; exit 1; }
.venv/bin/python - "$work/report.json" "$service" <<'PY'
import json
import sys

report, service = json.load(open(sys.argv[1])), sys.argv[2]
packages = report["dependencies"]
vulnerable = [p for p in packages if p.get("vulns")]
unchecked = [p for p in packages if "skip_reason" in p]
count = sum(len(p["vulns"]) for p in vulnerable)
print(
    f"pip-audit ({service}): {len(packages)} packages resolved from requirements.txt and requirements-dev.txt, "
    f"{len(packages) - len(unchecked)} checked, {count} known vulnerabilities"
)
for package in vulnerable:
    for vuln in package["vulns"]:
        fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release"
        print(f"  {package['name']} {package['version']}: {vuln['id']} (fixed in {fixed})")
if unchecked:
    print(f"  not checked ({len(unchecked)}): {', '.join(p['name'] for p in unchecked)}")
    print(f"  because: {unchecked[0]['skip_reason']}")
    if service == "pypi":
        print("  (the pypi service reads https://pypi.org/pypi/<name>/<version>/json; a registry mirror that")
        print("  serves only the index answers 404 there: run make audit where PyPI or OSV is reached directly)")
sys.exit(1 if vulnerable or unchecked else 0)
PY
