import pytest
from shared_run import copy_project, run_all

#: session fixtures that build a tiny run (fixture → group): the tests using one share a
#: pytest-xdist worker (``--dist loadgroup``), so each run is built once, not once per worker
SHARED_RUNS = {"tiny_project": "tiny-run", "tiny_run": "tiny-run", "faults_run": "faults-run"}


@pytest.hookimpl(tryfirst=True)          # before xdist's own hook reads the group markers
def pytest_collection_modifyitems(config, items):
    for item in items:
        groups = {SHARED_RUNS[f] for f in getattr(item, "fixturenames", ()) if f in SHARED_RUNS}
        for g in sorted(groups):
            item.add_marker(pytest.mark.xdist_group(g))


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
