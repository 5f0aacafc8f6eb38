"""multisub: usage, overage and chargeback for a Webex Contact Center tenant with several
subscriptions. The public names below are a contract (SPEC §7)."""

from toolkit.allocation import Allocation, allocate
from toolkit.errors import InputError, Problem
from toolkit.model import Line, Subscription, Tenant, Term
from toolkit.policy import DEFAULT_USAGE_TYPES, POLICIES, UsageType
from toolkit.tenant_file import load_tenant, save_tenant
from toolkit.timeline import ownership_timeline, primary_timeline
from toolkit.usage import load_usage
from toolkit.users import load_users

__all__ = [
    "DEFAULT_USAGE_TYPES",
    "POLICIES",
    "Allocation",
    "InputError",
    "Line",
    "Problem",
    "Subscription",
    "Tenant",
    "Term",
    "UsageType",
    "allocate",
    "load_tenant",
    "load_usage",
    "load_users",
    "ownership_timeline",
    "primary_timeline",
    "save_tenant",
]
