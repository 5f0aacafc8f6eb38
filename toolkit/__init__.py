"""multisub: usage, overage and chargeback for a Webex Contact Center tenant with several
subscriptions. The public names below are a contract (SPEC §7)."""

from toolkit.access import access_calendar
from toolkit.allocation import Allocation, allocate
from toolkit.budgets import budget_vs_actual, load_budgets
from toolkit.chargeback import chargeback
from toolkit.errors import InputError, Problem
from toolkit.focus import focus_table
from toolkit.model import Line, Subscription, Tenant, Term
from toolkit.policy import DEFAULT_USAGE_TYPES, POLICIES, UsageType
from toolkit.reconcile import reconcile
from toolkit.remap import plan_to_csv, plan_to_patch_bodies, remap_plan
from toolkit.sessions import load_sessions, measure_sessions
from toolkit.tenant_file import load_tenant, save_tenant
from toolkit.timeline import ownership_timeline, primary_timeline
from toolkit.usage import load_usage
from toolkit.users import load_users
from toolkit.validation import validate
from toolkit.webex import load_webex_licenses, load_webex_people

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
    "access_calendar",
    "allocate",
    "budget_vs_actual",
    "chargeback",
    "focus_table",
    "load_budgets",
    "load_sessions",
    "load_tenant",
    "load_usage",
    "load_users",
    "load_webex_licenses",
    "load_webex_people",
    "measure_sessions",
    "ownership_timeline",
    "plan_to_csv",
    "plan_to_patch_bodies",
    "primary_timeline",
    "reconcile",
    "remap_plan",
    "save_tenant",
    "validate",
]
