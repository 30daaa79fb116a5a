"""The papers a partnership owes, uploaded to the DM of whoever asked: made when the message is
sent, from the ledger at that moment (`backend.domain.papers.service`)."""
import io

from backend.domain.papers import service
from backend.slack.file_messages import uploaded

WHAT = {"update_paper": ("the Working Group update", "Working Group update"),
        "monitoring_return": ("the OPCC monitoring return", "Monitoring return"),
        "year_end_return": ("the year-end return", "Year-end return")}


def _paper(kind: str):
    what, label = WHAT[kind]

    def build(payload, settings):
        request = service.Request.from_payload(payload)

        def make():
            out = io.BytesIO()
            filename = service.write(request, out)
            return out.getvalue(), filename
        return uploaded(what, label, request.title, payload["asked"], make)
    return build


RENDERERS = {kind: _paper(kind) for kind in WHAT}
