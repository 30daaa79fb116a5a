"""Checks manifest.json against Slack's published app-manifest JSON Schema, offline.

The schema files are the project's own copies, in tests/schemas/ (see its README.md for their
source, version and licence). The top-level schema points at its two versioned halves by URL; those URLs are
mapped onto the local copies with a `referencing` registry whose retriever refuses
everything else, so the test never touches the network.

On top of the schema, the project has its own rules (least-privilege scopes, one request
URL, the `/crg` command) that the schema cannot express: `project_problems` checks those.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import pytest
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT7

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MANIFEST_PATH = PROJECT_ROOT / "manifest.json"
SCHEMA_DIR = PROJECT_ROOT / "tests" / "schemas"
TOP_SCHEMA_NAME = "slack-app-manifest.schema.json"
# The URLs end in "manifest.schema.X.json"; the local copies carry this prefix.
LOCAL_PREFIX = "slack-app-"

EVENTS_PATH = "/slack/events"
COMMAND = "/crg"
USAGE_HINT = "help | propose | pots | list | show REF | ..."
# The least the bot needs, and why:
LEAST_BOT_SCOPES = {
    "commands",     # receive the /crg slash command
    "chat:write",   # post in channels it was invited to, and in DMs
    "im:write",     # conversations.open: get a DM channel id for reminders and uploads
    "files:write",  # upload the xlsx spreadsheets into a user's DM
    # files.info and the download of url_private: a claim's invoices and receipts (the modal's
    # file_input) and a condition's evidence are fetched and kept by the tracker
    "files:read",
    # users.info: people's names for the directory (bot.directory), so pages, sheets and the
    # command line show "Jo Officer", not U0FIN0001; also the user_change event keeping them current
    "users:read",
    # conversations.info, before `/crg setup` or `/crg channel link` opens a form: is the bot in
    # this channel (`is_member`)? If not, say how to /invite it instead of failing later.
    "channels:read",  # ... for a public channel
    "groups:read",    # ... for a private channel (one the bot is not in cannot be seen at all)
    # conversations.history, read only by the clock after a crash or timeout left it unsure
    # whether Slack took a message: it looks for the message's metadata key before resending
    # (backend/slack/history.find_posted), so a reminder is neither duplicated nor lost.
    "channels:history",  # ... in a public working-group channel
    "groups:history",    # ... in a private working-group channel
    "im:history",        # ... in the bot's DM with a person (DM reminders and admin alerts)
}
# app_home_opened: the Home tab; user_change: a person's new name reaches the directory at once
# (needs users:read, above).
REQUIRED_BOT_EVENTS = {"app_home_opened", "user_change"}


# --------------------------------------------------------------------------- loading


def _refs(node: Any) -> Iterator[str]:
    """Every `$ref` value anywhere in a schema document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _refuse_network(uri: str) -> Resource:
    """Registry retriever: anything not stored locally is an error, never a download."""
    raise NoSuchResource(ref=uri)


def _load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="session")
def top_schema() -> dict:
    """The all-versions manifest schema; fails loudly (not skip) if the copy is gone."""
    path = SCHEMA_DIR / TOP_SCHEMA_NAME
    if not path.is_file():
        pytest.fail(
            f"Slack manifest schema not found at {path}. The tests read the published "
            f"schemas offline from tests/schemas/ in the project ({PROJECT_ROOT}); "
            f"restore that directory from git (see its README.md).",
            pytrace=False,
        )
    return _load_json(path)


@pytest.fixture(scope="session")
def remote_refs(top_schema: dict) -> dict[str, Path]:
    """URL -> local file for each external `$ref` of the top schema."""
    mapping: dict[str, Path] = {}
    for ref in _refs(top_schema):
        url = ref.split("#", 1)[0]
        if not url.startswith(("http://", "https://")):
            continue
        local = SCHEMA_DIR / (LOCAL_PREFIX + url.rsplit("/", 1)[-1])
        if not local.is_file():
            pytest.fail(f"{TOP_SCHEMA_NAME} refers to {url}, but {local} is missing.",
                        pytrace=False)
        mapping[url] = local
    assert mapping, "expected the top schema to point at its versioned schemas by URL"
    return mapping


@pytest.fixture(scope="session")
def registry(remote_refs: dict[str, Path]) -> Registry:
    """Resolves the versioned-schema URLs to the local files and nothing else."""
    resources = [
        (url, Resource.from_contents(_load_json(path), default_specification=DRAFT7))
        for url, path in remote_refs.items()
    ]
    return Registry(retrieve=_refuse_network).with_resources(resources)


@pytest.fixture(scope="session")
def validator(top_schema: dict, registry: Registry):
    """A validator of the draft the schema itself declares (`$schema`)."""
    cls = validator_for(top_schema)
    cls.check_schema(top_schema)
    return cls(top_schema, registry=registry)


@pytest.fixture()
def manifest() -> dict:
    return _load_json(MANIFEST_PATH)


# --------------------------------------------------------------------------- helpers


def _all_messages(errors) -> list[str]:
    """Flatten errors and their oneOf/anyOf sub-errors into '<path>: <message>' lines."""
    lines: list[str] = []
    for error in errors:
        path = "/".join(str(p) for p in error.absolute_path)
        lines.append(f"{path}: {error.message}")
        lines.extend(_all_messages(error.context))
    return lines


def schema_problems(validator, manifest: dict) -> list[str]:
    return _all_messages(validator.iter_errors(manifest))


def _request_urls(manifest: dict) -> dict[str, str | None]:
    settings = manifest.get("settings", {})
    commands = manifest.get("features", {}).get("slash_commands", [])
    return {
        "interactivity": settings.get("interactivity", {}).get("request_url"),
        "event_subscriptions": settings.get("event_subscriptions", {}).get("request_url"),
        **{f"command {c.get('command')}": c.get("url") for c in commands},
    }


def project_problems(manifest: dict) -> list[str]:
    """Rules the Slack schema cannot express: it accepts any scope name, for instance."""
    problems: list[str] = []
    scopes = manifest.get("oauth_config", {}).get("scopes", {})
    bot = scopes.get("bot", [])
    if set(bot) != LEAST_BOT_SCOPES or len(bot) != len(set(bot)):
        problems.append(f"bot scopes {sorted(bot)} are not exactly {sorted(LEAST_BOT_SCOPES)}")
    for kind in ("user", "user_optional", "bot_optional"):
        if scopes.get(kind):
            problems.append(f"unexpected {kind} scopes {scopes[kind]}")
    for where, url in _request_urls(manifest).items():
        parsed = urlparse(url or "")
        if parsed.scheme != "https" or parsed.path != EVENTS_PATH:
            problems.append(f"{where} request URL {url!r} is not https://…{EVENTS_PATH}")
    return problems


# --------------------------------------------------------------------------- schema


def test_manifest_validates_against_slack_schema(validator, manifest):
    problems = schema_problems(validator, manifest)
    assert not problems, "manifest.json breaks Slack's schema:\n" + "\n".join(problems)


def test_metadata_selects_a_published_schema_version(manifest):
    assert manifest["_metadata"]["major_version"] in (1, 2)


def test_versioned_schemas_resolve_locally_without_network(registry, remote_refs):
    resolver = registry.resolver()
    for url in remote_refs:
        assert resolver.lookup(url).contents["type"] == "object"
    with pytest.raises(Unresolvable):
        resolver.lookup("https://example.invalid/not-stored.json")


def _drop_command_description(m):
    del m["features"]["slash_commands"][0]["description"]


def _command_without_slash(m):
    m["features"]["slash_commands"][0]["command"] = "crg"


def _unknown_top_level_key(m):
    m["surprise"] = True


def _interactivity_without_is_enabled(m):
    del m["settings"]["interactivity"]["is_enabled"]


def _overlong_scope(m):
    m["oauth_config"]["scopes"]["bot"].append("x" * 51)


def _app_name_too_long(m):
    m["display_information"]["name"] = "C" * 36


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (_drop_command_description, "'description' is a required property"),
        (_command_without_slash, "does not match"),
        (_unknown_top_level_key, "Additional properties are not allowed"),
        (_interactivity_without_is_enabled, "'is_enabled' is a required property"),
        (_overlong_scope, "is too long"),
        (_app_name_too_long, "is too long"),
    ],
)
def test_broken_copies_fail_schema_validation(validator, manifest, breakage, expected):
    """Proves the schema (and its $ref'd versioned halves) is really being applied."""
    broken = copy.deepcopy(manifest)
    breakage(broken)
    problems = schema_problems(validator, broken)
    assert problems, f"{breakage.__name__} should have been rejected"
    assert any(expected in p for p in problems), problems


# --------------------------------------------------------------------------- project rules


def test_manifest_meets_project_rules(manifest):
    assert project_problems(manifest) == []


@pytest.mark.parametrize(
    "breakage",
    [
        lambda m: m["oauth_config"]["scopes"]["bot"].append("chat:write.public"),
        lambda m: m["oauth_config"]["scopes"]["bot"].append("made:up"),
        lambda m: m["oauth_config"]["scopes"]["bot"].remove("im:write"),
        lambda m: m["oauth_config"]["scopes"].__setitem__("user", ["users:read"]),
        lambda m: m["settings"]["interactivity"].__setitem__(
            "request_url", "https://YOUR-APP.herokuapp.com/slack/actions"),
        lambda m: m["settings"]["event_subscriptions"].__setitem__(
            "request_url", "http://YOUR-APP.herokuapp.com/slack/events"),
    ],
    ids=["extra-scope", "unknown-scope", "missing-scope", "user-scope",
         "wrong-path", "plain-http"],
)
def test_broken_copies_fail_project_rules(manifest, breakage):
    """The Slack schema accepts any scope name, so unknown scopes are caught here."""
    broken = copy.deepcopy(manifest)
    breakage(broken)
    assert project_problems(broken)


def test_names(manifest):
    assert manifest["display_information"]["name"] == "CRG Tracker"
    assert manifest["features"]["bot_user"]["display_name"] == "CRG Tracker"


def test_slash_command(manifest):
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [COMMAND]
    crg = commands[0]
    assert crg["description"].strip()
    assert crg["usage_hint"] == USAGE_HINT
    # "Escape channels, users, and links sent to your app": with it on, Slack turns
    # `/crg role @user chair` into `<@U…|name>`, an id the bot can trust; off, it sends the
    # bare display name, which is neither unique nor stable.
    assert crg["should_escape"] is True


def test_request_urls_point_at_slack_events(manifest):
    urls = _request_urls(manifest)
    assert set(urls) == {"interactivity", "event_subscriptions", f"command {COMMAND}"}
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    for where, url in urls.items():
        parsed = urlparse(url)
        assert parsed.scheme == "https", where
        assert parsed.path == EVENTS_PATH, where
    assert len(set(urls.values())) == 1, "one Flask route serves everything"


def test_bot_scopes_are_exactly_the_least_set(manifest):
    scopes = manifest["oauth_config"]["scopes"]
    assert sorted(scopes["bot"]) == sorted(LEAST_BOT_SCOPES)
    assert len(scopes["bot"]) == len(LEAST_BOT_SCOPES)
    assert not scopes.get("user")
    assert not scopes.get("user_optional") and not scopes.get("bot_optional")


def test_app_home_opened_and_user_change_are_subscribed(manifest):
    events = manifest["settings"]["event_subscriptions"]
    assert REQUIRED_BOT_EVENTS <= set(events["bot_events"])
    assert set(events["bot_events"]) == REQUIRED_BOT_EVENTS
    assert not events.get("user_events")


def test_app_home_tabs(manifest):
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] is True
    assert home["messages_tab_enabled"] is True


def test_settings_flags(manifest):
    settings = manifest["settings"]
    assert settings["org_deploy_enabled"] is False
    assert settings["socket_mode_enabled"] is False
    assert settings["token_rotation_enabled"] is False
