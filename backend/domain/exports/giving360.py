"""Funded projects as a 360Giving data package: the open UK standard for publishing grants.

The PCC is the funder and each project's lead organisation the recipient. Identifiers come from
the deployment's settings (GIVING360_PREFIX is the publisher's 360Giving prefix), so two
deployments never publish the same grant id. Contact names are personal data and are left out:
the package is meant to be published.
"""
import re
from datetime import date, datetime

from backend.domain.errors import NotFound
from backend.domain.exports.data import ExportData, ProjectRow, pounds
from backend.settings import Settings

STANDARD_VERSION = "1.4"


def package(data: ExportData, settings: Settings, title: str = "") -> dict:
    """The package dict, ready for `json.dumps`; refused when there is nothing to publish."""
    partnership_of = {y.id: y.partnership_id for y in data.years}
    grants = [grant(p, partnership_of[p.year_id], settings) for p in data.projects
              if p.approved_pence > 0]
    if not grants:
        where = f" for {title}" if title else ""
        raise NotFound(f"There are no approved projects to publish{where}.")
    issued = _datetime(data.generated_at)
    return {
        "grants": grants,
        "version": STANDARD_VERSION,
        "title": "Crime Reduction Grant awards" + (f": {title}" if title else ""),
        "description": (f"Projects funded by the {settings.giving360_funder_name} through the "
                        "Crime Reduction Grant to Community Safety Partnerships."),
        "issued": issued,
        "modified": issued,
        "publisher": {"name": settings.giving360_funder_name,
                      "identifier": settings.giving360_funder_id},
    }


def grant(p: ProjectRow, partnership_id: int, settings: Settings) -> dict:
    prefix = settings.giving360_prefix
    record = {
        "id": f"{prefix}-CSP{partnership_id}-{p.ref.replace('/', '-')}",
        "title": p.title,
        "description": p.description or p.title,
        "currency": "GBP",
        "amountAppliedFor": pounds(p.amount_pence),
        "amountAwarded": pounds(p.approved_pence),
        "awardDate": _datetime(p.pcc_decided_at or p.updated_at),
        "recipientOrganization": [{"id": f"{prefix}-ORG-{_slug(p.lead_organisation)}",
                                   "name": p.lead_organisation}],
        "fundingOrganization": [{"id": settings.giving360_funder_id,
                                 "name": settings.giving360_funder_name}],
        "grantProgramme": [{"code": f"CRG-{p.pot}",
                            "title": f"Crime Reduction Grant, {p.pot} pot ({p.partnership})"}],
        "dateModified": _datetime(p.updated_at),
    }
    planned = {key: _datetime(day) for key, day in (("startDate", p.planned_start),
                                                    ("endDate", p.planned_end)) if day}
    if planned:
        record["plannedDates"] = [planned]
    if p.priorities:
        record["classifications"] = [{"vocabulary": "Community Safety Agreement priorities",
                                      "code": _slug(name), "title": name}
                                     for name in p.priorities]
    return record


def _datetime(value: datetime | date) -> str:
    """A full RFC 3339 date-time in UTC.

    The standard accepts a bare date too, but it offers the two forms as a `oneOf`, which a
    validator that does not check formats sees as matching twice; a date-time is valid either way.
    """
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.replace(microsecond=0).isoformat() + "+00:00"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unnamed"
