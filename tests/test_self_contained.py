"""Nothing in the project reads a path outside it: a user's clone has nothing beside it."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The folder beside the project on the developers' machines, named in parts so that this guard
# is not itself a file that names the path it forbids.
BESIDE = "sha" + "red"
UP = re.escape("..")
OUTSIDE = re.compile(rf"{UP}/{BESIDE}|parent\s*/\s*[\"']{BESIDE}[\"']|[\"']{UP}[\"']\s*,\s*[\"']{BESIDE}")
CODE = ("*.py", "*.sh", "*.toml", "*.cfg", "*.ini", "*.json", "Procfile", "run")


def test_no_file_reads_outside_the_project():
    found = []
    for pattern in CODE:
        for path in ROOT.rglob(pattern):
            if ".git" in path.parts or path.name == Path(__file__).name:
                continue
            if "node_modules" in path.parts or path.is_dir():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if OUTSIDE.search(text):
                found.append(str(path.relative_to(ROOT)))
    assert found == [], f"these read the folder beside the project, which a user's clone does not have: {found}"


def test_the_schemas_the_tests_read_are_in_the_project():
    schemas = ROOT / "tests" / "schemas"
    for name in ("slack-app-manifest.schema.json", "slack-app-manifest.schema.1.0.0.json",
                 "slack-app-manifest.schema.2.0.0.json", "slack-web-api.openapi2.json",
                 "360-giving-schema.json", "360-giving-package-schema.json", "README.md"):
        assert (schemas / name).is_file(), name
