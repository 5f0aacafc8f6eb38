"""Webex: everything the toolkit knows of Cisco's exports and APIs, in one place.

Control Hub's ``/v1/licenses`` and ``/v1/people`` (``control_hub``), saved API pages
(``pages``), Search API agent and AI Agent sessions (``search``), ``/v1/agents/activities``
(``activities``), the checking, de-duplicating, closing and cutting of session records
(``session_records``), Contact Center agent ids matched to people (``agents``) and the live
client that saves the raw pages (``pull``). The generic readers beside this package know no
Webex shape; a session source is offered to them through the registry in
:mod:`toolkit.inputs.session_sources`.
"""
