"""Single-use sign-in links to the finance web page."""
from models.login_links import LoginLink


def upgrade(database, migrator):
    database.create_tables([LoginLink], safe=False)
