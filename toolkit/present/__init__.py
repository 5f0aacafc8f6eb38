"""Present: charts, dashboards, reports and file writers: what a person reads.

It may import every other wing; nothing but ``commands`` imports it.
"""
