import pytest
from shared_run import copy_project, run_all


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory):
    """The tiny configuration's complete run (all figures, claims, report), built once."""
    project = copy_project(tmp_path_factory.mktemp("tiny-all"))
    run_all(project)
    return project


@pytest.fixture()
def project(tmp_path):
    """A fresh copy of the workflow files and the tiny configuration, for tests that run
    Snakemake themselves."""
    return copy_project(tmp_path)
