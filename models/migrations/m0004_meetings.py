"""Working-group meetings and their agendas."""
from models.meetings import AgendaItem, Meeting


def upgrade(database, migrator):
    database.create_tables([Meeting, AgendaItem], safe=False)
