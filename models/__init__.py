"""Persistence only: the peewee tables, the database handle they bind to, and the migrations
that build them (`models.migrations`). No rules here: those are `backend.domain`'s."""
from models.audit import AuditRecord, SchemaVersion
from models.base import BaseModel, database
from models.claims import (
    Claim,
    ClaimNote,
    ConditionTemplate,
    Evidence,
    FinanceChannel,
    ProjectCondition,
)
from models.deadlines import Deadline, DeadlineTemplate, Reminder, ReminderSettings
from models.directory import Person
from models.finance_sessions import FinanceSession
from models.forecast import ForecastSettings, SpendProfile
from models.grant import Channel, FinancialYear, Partnership, Pot, Priority
from models.ledger import LedgerEntry
from models.login_links import LoginLink
from models.meetings import AgendaItem, Meeting
from models.outbox import OutboxMessage, OutboxSender
from models.papers import PaperSettings, ReportMeasures, YearClosure
from models.people import Member
from models.progress import PartnershipOption, ProgressReport
from models.proposals import Proposal
from models.scoring import Score, ScoreSheet, ScoringCriterion, ScoringRound

__all__ = [
    "AgendaItem", "AuditRecord", "BaseModel", "Channel", "Claim", "ClaimNote", "ConditionTemplate",
    "Deadline", "DeadlineTemplate", "Evidence", "FinanceChannel",
    "FinanceSession", "FinancialYear", "ForecastSettings", "LedgerEntry", "LoginLink", "Meeting",
    "Member", "PaperSettings", "ReportMeasures", "YearClosure",
    "OutboxMessage", "OutboxSender", "Partnership", "PartnershipOption", "Person", "Pot",
    "Priority", "ProgressReport", "ProjectCondition", "Proposal", "Reminder", "ReminderSettings",
    "SchemaVersion", "Score", "ScoreSheet", "ScoringCriterion", "ScoringRound", "SpendProfile",
    "database",
]
