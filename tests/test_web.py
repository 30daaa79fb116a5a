"""The web backend: the app factory serves a health check that tells the truth about the database."""
from backend.settings import Settings
from backend.web.app import create_app


def test_healthz_reports_version_database_and_schema(db_url):
    client = create_app(Settings(database_url=db_url, secret_key="s3cret-value")).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "reachable" and body["schema"]["current"] == body["schema"]["expected"]
    assert "s3cret" not in response.get_data(as_text=True)


def test_settings_from_environment():
    settings = Settings.from_env({"DATABASE_URL": "postgres://u:p@h:5432/d?sslmode=require",
                                  "ADMIN_SLACK_IDS": "U1, U2;U3", "PORT": "8080"})
    assert settings.admin_slack_ids == ("U1", "U2", "U3") and settings.port == 8080
    assert settings.timezone == "Europe/London" and not settings.slack_configured
    defaults = Settings.from_env({"XDG_DATA_HOME": "/srv/data"})
    assert defaults.database_url == "sqlite:////srv/data/crg-tracker/crg.db"  # not the cwd's


def test_heroku_postgres_urls_are_pooled_and_keep_sslmode():
    from peewee import SqliteDatabase
    from playhouse.pool import PooledPostgresqlDatabase

    from backend.domain.database import build_database

    db = build_database("postgres://u:p@db.example:5432/crg?sslmode=require")
    assert isinstance(db, PooledPostgresqlDatabase) and db.database == "crg"
    assert db.connect_params["sslmode"] == "require" and db.connect_params["host"] == "db.example"
    sqlite = build_database("sqlite:///crg-test.db")
    assert isinstance(sqlite, SqliteDatabase) and dict(sqlite._pragmas)["journal_mode"] == "wal"
