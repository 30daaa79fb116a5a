"""The dashboard's projects table: sorting and filtering on the server, from the page's address.

Sort links and the filter form are plain GET requests (`?sort=spent&dir=desc&rag=red`), so the
table works without JavaScript, every view of it has an address to share, and the browser's
back button works. A value that does not fit (typed into the address, or a search too long) is
refused against its field with a 400, and the table is shown unfiltered beneath it.
"""
from dataclasses import dataclass, replace
from datetime import date, datetime

from backend.domain.forecast.figures import ProjectForecast

MAX_SEARCH = 100
RAG_ORDER = {"red": 0, "amber": 1, "green": 2, None: 3}
# column: (heading, the value it sorts by)
COLUMNS = {
    "ref": ("Project", lambda p: p.ref),
    "pot": ("Pot", lambda p: p.pot),
    "approved": ("Approved", lambda p: p.approved),
    "spent": ("Spent to date", lambda p: p.spent),
    "variance": ("Variance", lambda p: p.variance),
    "unspent": ("Forecast unspent", lambda p: p.forecast_unspent),
    "rag": ("RAG", lambda p: RAG_ORDER[p.rag]),
    "report": ("Last report", lambda p: p.last_report.reported_on if p.last_report
               else date.min),
}
POTS = {"": "All pots", "upfront": "Upfront", "tactical": "Tactical"}
RAGS = {"": "Any RAG", "red": "Red", "amber": "Amber", "green": "Green", "none": "No report yet"}
PROFILES = {"": "Any", "behind": "Behind profile", "not-behind": "Not behind profile"}


@dataclass(frozen=True)
class TableQuery:
    sort: str = "ref"
    direction: str = "asc"
    pot: str = ""
    rag: str = ""
    profile: str = ""
    search: str = ""
    on: date | None = None
    on_typed: str = ""  # what was typed for `on`, shown again when it could not be read

    def params(self, **changes) -> dict[str, str]:
        """The address's query of this view (or of a changed one), leaving defaults out."""
        q = replace(self, **changes)
        values = {"sort": q.sort, "dir": q.direction, "pot": q.pot, "rag": q.rag,
                  "profile": q.profile, "q": q.search, "on": q.on.isoformat() if q.on else ""}
        defaults = {"sort": "ref", "dir": "asc"}
        return {k: v for k, v in values.items() if v and defaults.get(k) != v}

    def sort_link(self, column: str) -> dict[str, str]:
        """Sorted by `column`: ascending first, descending when it is already ascending."""
        flip = "desc" if self.sort == column and self.direction == "asc" else "asc"
        return self.params(sort=column, direction=flip)

    def aria_sort(self, column: str) -> str | None:
        if self.sort != column:
            return None
        return "ascending" if self.direction == "asc" else "descending"

    @property
    def filtered(self) -> bool:
        return bool(self.pot or self.rag or self.profile or self.search)


def _choice(args, name: str, allowed: dict, errors: dict, what: str) -> str:
    value = (args.get(name) or "").strip()
    if value not in allowed:
        errors[name] = f"“{value}” is not {what}: choose one from the list."
        return ""
    return value


def read(args) -> tuple[TableQuery, dict[str, str]]:
    """The view asked for, and the problems with what was asked, by field."""
    errors: dict[str, str] = {}
    sort = (args.get("sort") or "ref").strip()
    if sort not in COLUMNS:
        errors["sort"] = f"“{sort}” is not a column the projects table can be sorted by."
        sort = "ref"
    direction = (args.get("dir") or "asc").strip()
    if direction not in ("asc", "desc"):
        errors["dir"] = "The table sorts ascending (asc) or descending (desc) only."
        direction = "asc"
    pot = _choice(args, "pot", POTS, errors, "a pot")
    rag = _choice(args, "rag", RAGS, errors, "a RAG status")
    profile = _choice(args, "profile", PROFILES, errors, "a choice of profile")
    search = " ".join((args.get("q") or "").split())
    if len(search) > MAX_SEARCH:
        errors["q"] = f"Search for at most {MAX_SEARCH} characters (this has {len(search)})."
        search = ""
    on = None
    typed = (args.get("on") or "").strip()
    if typed:
        try:
            on = datetime.strptime(typed, "%Y-%m-%d").date()
        except ValueError:
            errors["on"] = f"“{typed}” is not a date: give it like 2024-09-30."
    return TableQuery(sort, direction, pot, rag, profile, search, on, typed), errors


def apply(projects: tuple[ProjectForecast, ...], query: TableQuery) -> list[ProjectForecast]:
    """The projects the view asks for, in its order (ties by reference)."""
    found = [p for p in projects if _matches(p, query)]
    found.sort(key=lambda p: p.ref)
    found.sort(key=COLUMNS[query.sort][1], reverse=query.direction == "desc")
    return found


def _matches(p: ProjectForecast, q: TableQuery) -> bool:
    if q.pot and p.pot != q.pot:
        return False
    if q.rag and (p.rag or "none") != q.rag:
        return False
    if q.profile and p.behind != (q.profile == "behind"):
        return False
    if q.search:
        haystack = f"{p.ref} {p.title} {p.lead_organisation}".lower()
        return q.search.lower() in haystack
    return True
