"""nbval settings for the notebooks: compare text outputs strictly, not pandas' HTML tables.

pandas' ``text/html`` repr changes between versions (classes, styles) while the ``text/plain``
repr, still compared, carries the same figures; PNG images are never compared by nbval.
"""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html",)


def pytest_collection_modifyitems(items):
    """Every notebook cell carries the ``notebooks`` marker, so
    ``pytest -m "not notebooks and not browser"`` is the fast unit run."""
    import pytest

    for item in items:
        if str(item.fspath).endswith(".ipynb"):
            item.add_marker(pytest.mark.notebooks)
