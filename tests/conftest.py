"""Fixtures shared by the tests; the builders behind them live in ``builders.py``."""

import pytest

from builders import seed_tenant


@pytest.fixture
def seed():
    """docs/rules.md §2's worked example tenant (A, B, C)."""
    return seed_tenant()


@pytest.fixture(scope="session")
def sample_data():
    """The bundled sample tenant directory, loaded once for the whole run (read-only: every
    frame in it must be copied before it is changed)."""
    from toolkit.inputs.dataset import load_tenant_dir
    from toolkit.resources import sample_dir

    return load_tenant_dir(sample_dir())


@pytest.fixture(scope="session")
def sample_allocation(sample_data):
    """The sample's usage allocated by calendar month, once for the whole run."""
    from toolkit import allocate

    return allocate(sample_data.tenant, sample_data.usage, sample_data.users)


@pytest.fixture
def tenant_dir(tmp_path):
    """A tenant directory on disk: the priced two-subscription tenant and its March usage."""
    from test_costs import march_usage, priced_tenant

    from toolkit.inputs.tenant_file import save_tenant

    folder = tmp_path / "tenant"
    folder.mkdir()
    save_tenant(priced_tenant(), folder)
    march_usage().to_csv(folder / "usage.csv", index=False)
    return folder
