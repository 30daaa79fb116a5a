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


def _section(text: str, title: str) -> str:
    start = text.index(title)
    following = text.find("\n## ", start + len(title))
    return text[start:following if following > 0 else None]


def test_the_socket_mode_guides_name_every_setting_crg_socket_needs():
    import re

    import pytest

    from backend.domain.errors import InvalidInput
    from backend.settings import Settings
    from bot.socket_mode import socket_handler

    with pytest.raises(InvalidInput) as refusal:
        socket_handler(Settings())
    needed = set(re.findall(r"\b[A-Z][A-Z_]{4,}\b", refusal.value.message))
    assert needed == {"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"}
    readme = _section((ROOT / "README.md").read_text(), "## Local development (Socket Mode)")
    guide = _section((ROOT / "docs" / "slack-app-setup.md").read_text(), "## Optional: local")
    for name in needed:
        assert f"`{name}`" in readme and f"`{name}`" in guide, name


def test_the_deploy_steps_set_public_url_and_never_leave_a_placeholder_for_slack():
    deploy = _section((ROOT / "README.md").read_text(), "## Deploy (Heroku)")
    steps = deploy[deploy.index("1. **Press the button**"):]
    assert "`PUBLIC_URL`" in steps and "Settings → Domains" in steps
    assert steps.index("Create the Slack app") > steps.index("Note its address")
    assert "US$" in deploy and "checked on" in deploy and "template=" in deploy
