"""multisub: usage, overage and chargeback for a Webex Contact Center tenant with several
subscriptions. The public names below are a contract (docs/rules.md §7); the rule ids in
docstrings and messages (R1–R7, M1–M6, P1–P5, V1–V7) are those of docs/rules.md.

Each name is imported from its module on first use (PEP 562), so ``import toolkit`` stays
cheap and a command pays only for the layers it uses: ``multisub owners`` never loads the
report stack.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

#: Public name → the module that defines it.
_HOMES = {
    "Allocation": "toolkit.allocation",
    "allocate": "toolkit.allocation",
    "allocate_file": "toolkit.workspace.stream",
    "InputError": "toolkit.errors",
    "Problem": "toolkit.errors",
    "budget_vs_actual": "toolkit.finance.budgets",
    "chargeback": "toolkit.finance.chargeback",
    "costs": "toolkit.finance.costs",
    "overage_price": "toolkit.finance.costs",
    "focus_table": "toolkit.finance.focus",
    "Coverage": "toolkit.finance.coverage",
    "coverage": "toolkit.finance.coverage",
    "load_ai_agents": "toolkit.inputs.ai_agents",
    "check_invoice": "toolkit.finance.invoice_check",
    "commitments": "toolkit.finance.commitments",
    "month_preview": "toolkit.finance.preview",
    "load_invoice": "toolkit.inputs.invoice",
    "load_budgets": "toolkit.inputs.budgets",
    "load_agent_sessions": "toolkit.inputs.webex.search",
    "load_ai_agent_sessions": "toolkit.inputs.webex.search",
    "SessionImport": "toolkit.inputs.webex.session_records",
    "load_sessions": "toolkit.inputs.sessions",
    "load_tenant": "toolkit.inputs.tenant_file",
    "save_tenant": "toolkit.inputs.tenant_file",
    "load_usage": "toolkit.inputs.usage",
    "load_users": "toolkit.inputs.users",
    "load_webex_licenses": "toolkit.inputs.webex.control_hub",
    "load_webex_people": "toolkit.inputs.webex.control_hub",
    "match_agents": "toolkit.inputs.webex.agents",
    "measure_sessions": "toolkit.metering",
    "policy_effect": "toolkit.metering",
    "peak_contributors": "toolkit.peaks",
    "peak_sections": "toolkit.peaks",
    "peak_teams": "toolkit.peaks",
    "Line": "toolkit.model",
    "Subscription": "toolkit.model",
    "Tenant": "toolkit.model",
    "Term": "toolkit.model",
    "DEFAULT_USAGE_TYPES": "toolkit.policy",
    "Metering": "toolkit.policy",
    "POLICIES": "toolkit.policy",
    "UsageType": "toolkit.policy",
    "plan_to_csv": "toolkit.present.export",
    "department_review": "toolkit.present.report",
    "load_book": "toolkit.present.report",
    "explorer": "toolkit.present.ui",
    "ownership_whatif": "toolkit.present.ui",
    "shifts_table": "toolkit.present.ui",
    "owner_changes_explained": "toolkit.explain",
    "Workspace": "toolkit.workspace",
    "write_workbook": "toolkit.present.workbook",
    "access_calendar": "toolkit.provisioning.access",
    "reconcile": "toolkit.provisioning.reconcile",
    "plan_to_patch_bodies": "toolkit.provisioning.remap",
    "remap_plan": "toolkit.provisioning.remap",
    "validate": "toolkit.provisioning.validation",
    "ownership_timeline": "toolkit.timeline",
    "primary_timeline": "toolkit.timeline",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'toolkit' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:  # type checkers and editors see the real names
    from toolkit.allocation import Allocation as Allocation
    from toolkit.allocation import allocate as allocate
    from toolkit.errors import InputError as InputError
    from toolkit.errors import Problem as Problem
    from toolkit.explain import owner_changes_explained as owner_changes_explained
    from toolkit.finance.budgets import budget_vs_actual as budget_vs_actual
    from toolkit.finance.chargeback import chargeback as chargeback
    from toolkit.finance.commitments import commitments as commitments
    from toolkit.finance.costs import costs as costs
    from toolkit.finance.costs import overage_price as overage_price
    from toolkit.finance.coverage import Coverage as Coverage
    from toolkit.finance.coverage import coverage as coverage
    from toolkit.finance.focus import focus_table as focus_table
    from toolkit.finance.invoice_check import check_invoice as check_invoice
    from toolkit.finance.preview import month_preview as month_preview
    from toolkit.inputs.ai_agents import load_ai_agents as load_ai_agents
    from toolkit.inputs.budgets import load_budgets as load_budgets
    from toolkit.inputs.invoice import load_invoice as load_invoice
    from toolkit.inputs.sessions import load_sessions as load_sessions
    from toolkit.inputs.tenant_file import load_tenant as load_tenant
    from toolkit.inputs.tenant_file import save_tenant as save_tenant
    from toolkit.inputs.usage import load_usage as load_usage
    from toolkit.inputs.users import load_users as load_users
    from toolkit.inputs.webex.agents import match_agents as match_agents
    from toolkit.inputs.webex.control_hub import load_webex_licenses as load_webex_licenses
    from toolkit.inputs.webex.control_hub import load_webex_people as load_webex_people
    from toolkit.inputs.webex.search import load_agent_sessions as load_agent_sessions
    from toolkit.inputs.webex.search import load_ai_agent_sessions as load_ai_agent_sessions
    from toolkit.inputs.webex.session_records import SessionImport as SessionImport
    from toolkit.metering import measure_sessions as measure_sessions
    from toolkit.metering import policy_effect as policy_effect
    from toolkit.model import Line as Line
    from toolkit.model import Subscription as Subscription
    from toolkit.model import Tenant as Tenant
    from toolkit.model import Term as Term
    from toolkit.peaks import peak_contributors as peak_contributors
    from toolkit.peaks import peak_sections as peak_sections
    from toolkit.peaks import peak_teams as peak_teams
    from toolkit.policy import DEFAULT_USAGE_TYPES as DEFAULT_USAGE_TYPES
    from toolkit.policy import POLICIES as POLICIES
    from toolkit.policy import Metering as Metering
    from toolkit.policy import UsageType as UsageType
    from toolkit.present.export import plan_to_csv as plan_to_csv
    from toolkit.present.report import department_review as department_review
    from toolkit.present.report import load_book as load_book
    from toolkit.present.ui import explorer as explorer
    from toolkit.present.ui import ownership_whatif as ownership_whatif
    from toolkit.present.ui import shifts_table as shifts_table
    from toolkit.present.workbook import write_workbook as write_workbook
    from toolkit.provisioning.access import access_calendar as access_calendar
    from toolkit.provisioning.reconcile import reconcile as reconcile
    from toolkit.provisioning.remap import plan_to_patch_bodies as plan_to_patch_bodies
    from toolkit.provisioning.remap import remap_plan as remap_plan
    from toolkit.provisioning.validation import validate as validate
    from toolkit.timeline import ownership_timeline as ownership_timeline
    from toolkit.timeline import primary_timeline as primary_timeline
    from toolkit.workspace import Workspace as Workspace
    from toolkit.workspace.stream import allocate_file as allocate_file
