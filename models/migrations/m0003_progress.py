"""Progress reports of funded projects and the per-partnership options table."""
from models.progress import PartnershipOption, ProgressReport


def upgrade(database, migrator):
    database.create_tables([ProgressReport, PartnershipOption], safe=False)
