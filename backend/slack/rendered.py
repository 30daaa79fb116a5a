"""What a wording builds: a message, posts to update in place, or a file.

A wording returns `(text, blocks)` for a message, a list of `(channel, ts, text, blocks)` for
posts to update, an `Upload` for a file, or None when there is nothing left to say.
"""
from dataclasses import dataclass, field


class NothingToSend(Exception):
    """The message has nothing left to say (a refresh of a post that was never posted)."""


@dataclass(frozen=True)
class Post:
    """A message (or an ephemeral reply): its fallback text and its blocks."""

    text: str
    blocks: list = field(default_factory=list)
    secret: bool = False  # its words hold a secret (a sign-in link): never kept in the outbox

    @property
    def summary(self) -> str:
        return "(a message holding a secret, not kept)" if self.secret else self.text


@dataclass(frozen=True)
class Updates:
    """Posts to update in place: (channel or user id, ts, text, blocks) each."""

    updates: list

    @property
    def summary(self) -> str:
        return self.updates[0][2] if self.updates else ""


@dataclass(frozen=True)
class Upload:
    """A file for a person's DM."""

    filename: str
    title: str
    content: bytes
    comment: str

    @property
    def summary(self) -> str:
        return self.title
