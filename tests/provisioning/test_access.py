"""The access calendar: who is mapped to an active, ending or inactive subscription, per day."""

from __future__ import annotations


