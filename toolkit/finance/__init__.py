"""Finance: money in integer cents, costs, chargeback, budgets, forecast, what-if and FOCUS.

Everything here prices an :class:`toolkit.allocation.Allocation`; it imports the engine and
``inputs`` (for the tenant-file rules a what-if scenario must obey), never ``present``.
"""
