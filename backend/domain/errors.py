"""Domain refusals: each carries one plain sentence that can be shown to the person as it is.

Fronts catch `DomainError` and show `.message` where the user typed (modal field, ephemeral
reply, 4xx body, CLI stderr); `field` names the input it is about, when there is one.
"""


class DomainError(Exception):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """What was typed cannot be understood or is out of range."""


class NotFound(DomainError):
    """The thing named does not exist (or not in this partnership)."""


class NotAllowed(DomainError):
    """The person does not hold the role this needs."""


class Conflict(DomainError):
    """The thing has moved on since the person looked (already decided, withdrawn...)."""


class InsufficientFunds(DomainError):
    """A commitment or spend would take a pot below zero."""


class PotLocked(DomainError):
    """The tactical pot is not open yet."""


class DatabaseUnavailable(DomainError):
    """DATABASE_URL names no database this tracker can use, or the database does not answer."""


class SchemaOutdated(DomainError):
    """The database schema is older (or newer) than this release expects."""


class FieldErrors(InvalidInput):
    """Several inputs of one form are wrong at once: {field: sentence}, shown against each field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()), field=next(iter(errors), None))
        self.errors = dict(errors)
