"""What a deployment works out for itself, and what it refuses to guess: the app's public address,
and Slack's URL check before the Slack secrets exist."""
import json

import pytest

from backend.domain import people
from backend.settings import Settings, public_url_from
from backend.web.app import create_app
from bot.background import drain
from models.login_links import LoginLink
from tests.builders import ADMIN, open_year
from tests.conftest import SIGNING_SECRET
from tests.slack.requests import SlackClient


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "http://127.0.0.1:3000"),  # a laptop
    ({"PORT": "8080"}, "http://127.0.0.1:8080"),
    ({"PUBLIC_URL": "https://crg.example.org/"}, "https://crg.example.org"),
    ({"PUBLIC_URL": "crg.example.org"}, "https://crg.example.org"),
    ({"PUBLIC_URL": "auto", "DYNO": "web.1",
      "HEROKU_APP_DEFAULT_DOMAIN_NAME": "crg-1234567890ab.herokuapp.com"},
     "https://crg-1234567890ab.herokuapp.com"),  # Heroku says its own address (dyno metadata)
    ({"PUBLIC_URL": "auto", "DYNO": "web.1", "HEROKU_APP_NAME": "crg"}, ""),  # not enough to know
    ({"DYNO": "web.1", "HEROKU_APP_DEFAULT_DOMAIN_NAME": "evil.example/steal?x="}, ""),
])
def test_the_public_address_is_given_or_derived_safely_never_guessed(env, expected):
    assert public_url_from(env) == expected
    assert Settings.from_env(env).public_url == expected


def test_without_its_address_the_tracker_refuses_login_links_in_words(db_url, fake_slack):
    fake_slack.reset()
    settings = Settings(database_url=db_url, slack_bot_token="xoxb-test",
                        slack_signing_secret=SIGNING_SECRET, slack_api_url=fake_slack.base_url,
                        public_url="", secret_key="s" * 32)
    slack = SlackClient(create_app(settings).test_client(), SIGNING_SECRET, fake=fake_slack)
    year = open_year(900_000, name="Northshire CSP", channels=["C_WG"])
    people.grant(ADMIN, year.partnership_id, "U0FIN0001", "finance")
    said = slack.command("login", user_id="U0FIN0001").get_json()["text"]
    assert "set PUBLIC_URL" in said and "Settings → Domains" in said
    assert LoginLink.select().count() == 0  # no link made that could point anywhere
    assert drain(timeout=15)
    assert not [c for c in fake_slack.calls_to("chat.postMessage")
                if "finance/login" in json.dumps(c.args)]
    assert fake_slack.violations == []


def test_before_its_slack_secrets_are_set_the_app_answers_only_slacks_url_check(db_url):
    web = create_app(Settings(database_url=db_url)).test_client()
    check = {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
             "type": "url_verification"}
    answered = web.post("/slack/events", json=check)
    assert answered.status_code == 200 and answered.get_json() == {"challenge": check["challenge"]}
    command = web.post("/slack/events", data={"command": "/crg", "text": "setup"})
    assert command.status_code == 503
    assert "SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN" in command.get_json()["error"]
