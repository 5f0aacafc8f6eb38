"""Provisioning: who holds which license on which subscription, and who loses access when.

Validation findings (V1–V7), the access calendar, the remap plan and reconciliation against
Webex's own license counts. It imports the engine, never ``present``.
"""
