import pytest
from shared_run import copy_project, run_all


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory):
    """The tiny configuration's complete run (all figures, claims, report), built once."""
    project = copy_project(tmp_path_factory.mktemp("tiny-all"))
    run_all(project)
    return project
