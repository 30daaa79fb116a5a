"""The Working Group update as a Word document, in Word's own styles, for the chair to edit.

Headings are Word's headings, each project a "List Bullet" paragraph, the appendix a table whose
header row repeats on every page: the chair restyles, renumbers and edits it as any paper. A
partnership's own template (its logo, its house style, `settings.set_template`) is the starting
document and the paper is added after whatever it holds; otherwise python-docx's default.
Every figure is one of `UpdatePaper`'s values, written as the papers write money.
"""
import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from backend.domain import times
from backend.domain.papers.update import PaperProject, UpdatePaper, long_date, money

APPENDIX_COLUMNS = ("Reference", "Title", "Lead organisation", "Pot", "Amount approved",
                    "Spent to date", "RAG status", "Latest progress")
MONEY_COLUMNS = (4, 5)


def write_update(paper: UpdatePaper, out, template: bytes | None = None) -> None:
    """The paper, to a path or a binary file."""
    document = Document(io.BytesIO(template)) if template else Document()
    _Writer(document).write(paper)
    document.save(out)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class _Writer:
    def __init__(self, document):
        self.document = document
        names = {s.name for s in document.styles}
        self.bullet = "List Bullet" if "List Bullet" in names else None
        self.grid = "Table Grid" if "Table Grid" in names else None

    def write(self, p: UpdatePaper) -> None:
        self.document.add_heading(p.subject, level=0)
        self._header(p)
        self.document.add_heading("The grant this year", level=1)
        self._grant(p)
        self.document.add_heading("Upfront projects", level=1)
        self._upfront(p)
        self.document.add_heading("Tactical pot", level=1)
        self._tactical(p)
        self.document.add_heading("What is left", level=1)
        self._left(p)
        self.document.add_heading("Recommendation", level=1)
        self.document.add_paragraph(f"{p.partnership} is asked to note this report.")
        self.document.add_heading("Appendix 1: funded projects", level=1)
        self._appendix(p)

    def _labelled(self, label: str, text: str) -> None:
        para = self.document.add_paragraph()
        para.add_run(f"{label}: ").bold = True
        para.add_run(text)

    def _header(self, p: UpdatePaper) -> None:
        by = [f"{p.chair}, Chair of the Working Group" if p.chair else "",
              f"{p.deputy_chair}, Deputy Chair of the Working Group" if p.deputy_chair else ""]
        self._labelled("Report by", "; ".join(b for b in by if b)
                       or "the Chair and Deputy Chair of the Working Group")
        meeting = (f", meeting of {long_date(p.meeting_on)}" if p.meeting_on else "")
        self._labelled("To", f"{p.partnership}{meeting}")
        self._labelled("Classification", p.classification)
        self._labelled("Subject", p.subject)
        self._labelled("Summary", p.summary)
        self._labelled("Figures as at", long_date(p.as_at))

    def _grant(self, p: UpdatePaper) -> None:
        self.document.add_paragraph(
            f"The PCC allocated {money(p.allocation)} to {p.partnership} for {p.year_label}. "
            f"Under the grant's terms a third, {money(p.tactical_share)}, went to the tactical "
            f"pot for in-year spending, and two thirds, {money(p.upfront_share)}, were for "
            "upfront projects agreed at the start of the year.")

    def _upfront(self, p: UpdatePaper) -> None:
        if p.wg_met_on:
            met = (f"On {long_date(p.wg_met_on)} the Working Group reviewed "
                   f"{plural(p.reviewed, 'proposal')} from partners for upfront funding.")
        else:
            met = "The Working Group has not yet reviewed the upfront proposals."
        projects = p.upfront
        approved = sum(x.approved for x in projects)
        if projects:
            said = (f" The PCC approved upfront spending of {money(approved)} on "
                    f"{plural(len(projects), 'project')}:")
        else:
            said = " The PCC has not yet approved any upfront project."
        self.document.add_paragraph(met + said)
        for project in projects:
            self._project(project, project.latest_said)

    def _tactical(self, p: UpdatePaper) -> None:
        tactical = p.pots["tactical"]
        if p.rolled_over:
            opening = (f"The remainder, {money(tactical.allocated)}, went into the tactical pot "
                       "once every upfront business case had been decided.")
        else:
            opening = (f"The tactical pot holds {money(tactical.allocated)}; it opens once every "
                       "upfront business case has been decided by the PCC.")
        projects = p.tactical
        if projects:
            opening += (" These projects were supported by the partnership's chair and approved "
                        "by the PCC:")
        else:
            opening += " No tactical project has been approved yet."
        self.document.add_paragraph(opening)
        for project in projects:
            self._project(project, project.what_it_does)

    def _project(self, project: PaperProject, under: str) -> None:
        para = self.document.add_paragraph(style=self.bullet)
        cancelled = " (cancelled)" if project.status == "cancelled" else ""
        para.add_run(f"{project.title} – {money(project.approved)}{cancelled}").bold = True
        para.add_run(f" ({project.lead_organisation}, {project.ref})")
        para.add_run().add_break()
        para.add_run(under)

    def _left(self, p: UpdatePaper) -> None:
        tactical, upfront = p.pots["tactical"], p.pots["upfront"]
        lines = []
        if upfront.available or not p.rolled_over:
            lines.append(f"{money(upfront.available)} remaining in the upfront pot, which rolls "
                         "into the tactical pot once the upfront round is decided.")
        lines.append(f"{money(tactical.available)} remaining in the tactical pot for in-year "
                     "spending on further small projects.")
        for line in lines:
            self.document.add_paragraph(line, style=self.bullet)

    def _appendix(self, p: UpdatePaper) -> None:
        table = self.document.add_table(rows=1, cols=len(APPENDIX_COLUMNS), style=self.grid)
        header = table.rows[0]
        _repeat_as_header(header)
        for cell, name in zip(header.cells, APPENDIX_COLUMNS):
            cell.text = ""
            cell.paragraphs[0].add_run(name).bold = True
        for project in p.projects:
            self._row(table, (project.ref, project.title, project.lead_organisation,
                              project.pot.capitalize(), money(project.approved),
                              money(project.spent), project.rag,
                              times.show_date(project.latest_on) or "None yet"))
        self._row(table, ("Total", "", "", "", money(sum(x.approved for x in p.projects)),
                          money(p.spent), "", ""), bold=True)

    @staticmethod
    def _row(table, values, bold: bool = False) -> None:
        cells = table.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, values)):
            run = cell.paragraphs[0].add_run(value)
            run.bold = bold
            run.font.size = Pt(9)
            if i in MONEY_COLUMNS:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _repeat_as_header(row) -> None:
    """Mark a table's first row as its header row (Word repeats it on every page)."""
    properties = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    properties.append(flag)

