"""Files that ship with the package: the sample tenant and the report notebooks.

They live at the top of the repository (``data/sample``, ``notebooks/``), where a reader finds
them, and install as the data-only packages ``toolkit.bundled.sample`` and
``toolkit.bundled.notebooks`` (see ``pyproject.toml``). Both kinds of install, editable and
regular, answer the import system's question "where is that package?", so that is how they
are found here. One exception: setuptools' editable finder cannot resolve a data-only package
nested in a regular one, so an editable install (a source checkout) falls back to the
checkout's own folders.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def _directory(package: str, in_checkout: str) -> Path:
    try:
        spec = find_spec(package)
    except ModuleNotFoundError:
        spec = None
    locations = [] if spec is None else list(spec.submodule_search_locations or [])
    folders = [Path(place) for place in locations if Path(place).is_dir()]
    folders.append(CHECKOUT / in_checkout)
    found = next((folder for folder in folders if folder.is_dir()), None)
    if found is None:
        raise FileNotFoundError(f"the installed package has no {package}; reinstall multisub")
    return found


def sample_dir() -> Path:
    """The bundled sample tenant directory: the default input of every command."""
    return _directory("toolkit.bundled.sample", "data/sample")


def notebooks_dir() -> Path:
    """The folder holding the notebooks the report runs."""
    return _directory("toolkit.bundled.notebooks", "notebooks")
