"""The domain model; importing this package registers every table."""

from .agenda import AgendaSession, Speaker
from .api import ApiToken, api_token_events
from .audit import AuditEntry
from .automation import EventAutomation
from .base import UTCDateTime, utcnow
from .certificates import CertificateScope, CertificateSettings
from .delegations import Delegation
from .documents import DocumentChunk, DocumentJob, DocumentJobStatus, DocumentKind
from .events import AttendanceMode, CoHost, Event, EventStatus, EventType, TeamMember, Visibility
from .invitations import (
    InvitationResponse,
    Invitee,
    Mailing,
    MailingKind,
    MessageTemplate,
    ResponseChannel,
)
from .mail import OutboxEmail, OutboxStatus
from .nominations import (
    InviteeKind,
    Nomination,
    NominationMember,
    NominationMemberStatus,
    NominationStatus,
)
from .registrations import (
    DelegationRole,
    ExtraQuestion,
    Honorific,
    OrganisationType,
    QuestionKind,
    Registration,
    RegistrationAnswer,
    RegistrationLink,
    RegistrationSource,
    RegistrationStatus,
)
from .substitutions import SubstitutionRequest, SubstitutionStatus
from .surveys import (
    SURVEY_QUESTION_KINDS,
    SURVEY_STATES,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyRespondent,
    SurveySubmission,
)
from .travel import (
    LODGINGS,
    TRANSPORT_MODES,
    TRAVEL_SETTINGS,
    Hotel,
    TravelPlan,
    TravelSettings,
)
from .two_factor import RecoveryCode
from .uploads import Upload
from .users import User, UserRole

__all__ = [
    "EventAutomation",
    "AttendanceMode",
    "CertificateScope",
    "CertificateSettings",
    "InviteeKind",
    "Nomination",
    "NominationMember",
    "NominationMemberStatus",
    "NominationStatus",
    "Delegation",
    "DocumentChunk",
    "DocumentJob",
    "DocumentJobStatus",
    "DocumentKind",
    "ApiToken",
    "api_token_events",
    "InvitationResponse",
    "Invitee",
    "Mailing",
    "MailingKind",
    "MessageTemplate",
    "ResponseChannel",
    "DelegationRole",
    "ExtraQuestion",
    "Honorific",
    "OrganisationType",
    "QuestionKind",
    "Registration",
    "RegistrationAnswer",
    "RegistrationLink",
    "RegistrationSource",
    "RegistrationStatus",
    "AgendaSession",
    "AuditEntry",
    "CoHost",
    "Event",
    "EventStatus",
    "EventType",
    "OutboxEmail",
    "OutboxStatus",
    "RecoveryCode",
    "Speaker",
    "SubstitutionRequest",
    "SubstitutionStatus",
    "SURVEY_QUESTION_KINDS",
    "SURVEY_STATES",
    "Survey",
    "SurveyAnswer",
    "SurveyQuestion",
    "SurveyRespondent",
    "SurveySubmission",
    "TeamMember",
    "Hotel",
    "LODGINGS",
    "TRANSPORT_MODES",
    "TRAVEL_SETTINGS",
    "TravelPlan",
    "TravelSettings",
    "UTCDateTime",
    "Upload",
    "User",
    "UserRole",
    "Visibility",
    "utcnow",
]
