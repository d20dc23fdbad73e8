import pytest
from shared_run import copy_project, run_all

#: fixtures that read the session's one tiny run; their tests share one pytest-xdist worker
#: (``--dist loadgroup``), so the run is built once per session, not once per worker
TINY_RUN_FIXTURES = {"tiny_project", "tiny_run"}


@pytest.hookimpl(tryfirst=True)          # before xdist's own hook reads the group markers
def pytest_collection_modifyitems(config, items):
    for item in items:
        if TINY_RUN_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("tiny-run"))


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory):
    """The tiny configuration's complete run (every figure drawn, claims, report), built once."""
    project = copy_project(tmp_path_factory.mktemp("tiny-all"))
    run_all(project)
    return project


@pytest.fixture()
def project(tmp_path):
    """A fresh copy of the workflow files and the tiny configuration, for tests that run
    Snakemake themselves."""
    return copy_project(tmp_path)
