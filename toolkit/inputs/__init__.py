"""Inputs: everything that reads the world into validated frames.

Files (``tenant.yaml``, ``usage.csv``, ``sessions.csv``, ``users.csv``, ``budgets.csv``) and
Webex exports become the frames the rules engine consumes; the frames' shapes and
normalisation live in the engine (:mod:`toolkit.frames`), so this wing only turns bytes into
them and says precisely where a file is wrong. It imports the engine and no other wing.
"""
