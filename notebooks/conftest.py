"""nbval settings for the notebooks: compare text outputs strictly, not pandas' HTML tables.

pandas' ``text/html`` repr changes between versions (classes, styles) while the ``text/plain``
repr, still compared, carries the same figures; PNG images are never compared by nbval.
"""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html",)
