"""multisub: usage, overage and chargeback for a Webex Contact Center tenant with several
subscriptions. The public names below are a contract (SPEC §7)."""

from toolkit.allocation import Allocation, allocate
from toolkit.errors import InputError, Problem
from toolkit.finance.budgets import budget_vs_actual
from toolkit.finance.chargeback import chargeback
from toolkit.finance.focus import focus_table
from toolkit.inputs.budgets import load_budgets
from toolkit.inputs.sessions import load_sessions
from toolkit.inputs.tenant_file import load_tenant, save_tenant
from toolkit.inputs.usage import load_usage
from toolkit.inputs.users import load_users
from toolkit.inputs.webex import load_webex_licenses, load_webex_people
from toolkit.metering import measure_sessions
from toolkit.model import Line, Subscription, Tenant, Term
from toolkit.policy import DEFAULT_USAGE_TYPES, POLICIES, UsageType
from toolkit.present.export import plan_to_csv
from toolkit.provisioning.access import access_calendar
from toolkit.provisioning.reconcile import reconcile
from toolkit.provisioning.remap import plan_to_patch_bodies, remap_plan
from toolkit.provisioning.validation import validate
from toolkit.timeline import ownership_timeline, primary_timeline

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
