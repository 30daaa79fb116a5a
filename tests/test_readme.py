"""The README's two set-up commands are the contract with a newcomer; CI must run the second."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands():
    return re.findall(r"```\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_ci_runs_exactly_the_readme_test_command():
    run_app, run_tests = _commands()[:2]
    assert "crg serve" in run_app and "pytest" in run_tests
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert run_tests in ci_lines


def test_every_setting_is_documented():
    from dataclasses import fields

    from backend.settings import Settings

    readme = (ROOT / "README.md").read_text()
    for f in fields(Settings):
        assert f"`{f.name.upper()}`" in readme, f.name
