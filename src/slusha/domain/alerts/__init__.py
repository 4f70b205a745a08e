"""Alert rules and decisions, pure: what to say, when, and why. No I/O; time comes as arguments."""

from slusha.domain.alerts.check import Check
from slusha.domain.alerts.compose import digest_alert, incident_alert, match_alert
from slusha.domain.alerts.engine import (
    Outcome,
    digest_due,
    on_check,
    on_digest,
    on_mention,
    on_tick,
    will_change,
)
from slusha.domain.alerts.explain import Explanation, PostSummary, stream_url
from slusha.domain.alerts.gate import GateState, admit_alert, flush_gate
from slusha.domain.alerts.incidents import IncidentChange, IncidentState, advance_incident
from slusha.domain.alerts.messages import Alert
from slusha.domain.alerts.rules import (
    AlertRule,
    Filters,
    MentionFacts,
    Throttle,
    parse_rule,
    rule_accepts,
)
from slusha.domain.alerts.schedule import DigestSchedule, QuietHours
from slusha.domain.alerts.sentiment import (
    SentimentBaseline,
    build_sentiment_baseline,
    check_sentiment,
)
from slusha.domain.alerts.spikes import VolumeBaseline, build_volume_baseline, check_volume
from slusha.domain.alerts.state import RuleState

__all__ = [
    "Alert",
    "AlertRule",
    "Check",
    "DigestSchedule",
    "Explanation",
    "Filters",
    "GateState",
    "IncidentChange",
    "IncidentState",
    "MentionFacts",
    "Outcome",
    "PostSummary",
    "QuietHours",
    "RuleState",
    "SentimentBaseline",
    "Throttle",
    "VolumeBaseline",
    "admit_alert",
    "advance_incident",
    "build_sentiment_baseline",
    "build_volume_baseline",
    "check_sentiment",
    "check_volume",
    "digest_alert",
    "digest_due",
    "flush_gate",
    "incident_alert",
    "match_alert",
    "on_check",
    "on_digest",
    "on_mention",
    "on_tick",
    "parse_rule",
    "rule_accepts",
    "stream_url",
    "will_change",
]
