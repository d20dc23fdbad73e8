"""The DAG only plans, and the package has no import circle.

* Parsing the workflow writes nothing: `snakemake -n` on a fresh project copy and on a finished
  run leaves every file byte for byte as it was, and planning another target — or the same one
  under another configuration — never rewrites the records of a run (issue 21, item 3: a run in
  progress computed a figure at a parameter its own configuration did not have).
* The params records are outputs of rule ``params``: a changed configuration reruns the record
  and what reads it, an unchanged one plans nothing.
* Every module of ``qorepro`` imports alone, and no import — at module level or inside a
  function — closes a circle.
"""
import ast
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import yaml
from test_workflow import planned_jobs, smk

SRC = Path(__file__).resolve().parents[1] / "src"


def tree(root: Path) -> dict:
    """sha256 and mtime of every file under ``root`` except Snakemake's own bookkeeping
    (``.snakemake/``: a dry run caches what it learnt about the files there)."""
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file() and ".snakemake" not in p.relative_to(root).parts}


def test_dry_run_of_a_fresh_copy_writes_nothing(project):
    before = tree(project)
    smk(project, "-n", "all", "figS11", "referee", "--configfile", "tiny.yaml")   # one planning pass, all three
    assert tree(project) == before
    assert not (project / "results").exists()


def test_planning_never_rewrites_a_runs_records(project):
    smk(project, "figS11", "--configfile", "tiny.yaml")
    record = project / "results" / "test-tiny" / "params" / "figS11.json"
    assert json.loads(record.read_text())["parameters"]["xi_a"] == 35.0
    before = tree(project)
    r = smk(project, "-n", "figS11", "--configfile", "tiny.yaml")
    assert "Nothing to be done" in r.stdout + r.stderr
    # the whole run, another target, and both under another configuration: planned, not written
    (project / "xi.yaml").write_text(yaml.safe_dump({"parameters": {"xi_a": 10.0}}))
    smk(project, "-n", "--configfile", "tiny.yaml")
    smk(project, "-n", "fig1", "--configfile", "tiny.yaml", "xi.yaml")
    r = smk(project, "-n", "figS11", "--configfile", "tiny.yaml", "xi.yaml")
    assert tree(project) == {**before, "xi.yaml": tree(project)["xi.yaml"]}
    # the changed configuration reruns the record and everything that reads it
    jobs = planned_jobs(r.stdout + r.stderr)
    assert jobs.get("params") == 1 and jobs.get("sweep_figS11") == 1 and jobs.get("plot") == 1, jobs


# ----------------------------------------------------------------------- import circles
def _modules() -> dict:
    """module name → path of every module of the package."""
    out = {}
    for p in sorted((SRC / "qorepro").rglob("*.py")):
        parts = list(p.relative_to(SRC).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


def _is_type_checking(test) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _statements(body):
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _statements(node.body)
            yield from _statements(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _statements(block)


def _module_level(tree):
    """The import statements run when a module is imported (not under ``if TYPE_CHECKING``)."""
    return _statements(tree.body)


def _anywhere(tree):
    return (n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)))


def import_graph(statements) -> dict:
    """module → the package's modules it imports, by ``statements(tree)`` of each module."""
    mods = _modules()
    graph = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in statements(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name in mods}
                continue
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for a in node.names:
                sub = f"{base}.{a.name}"
                deps |= {sub} if sub in mods else ({base} if base in mods else set())
        graph[name] = deps - {name}
    return graph


def cycles(graph: dict) -> list:
    """Every circle a depth-first search meets (empty: the graph is acyclic)."""
    found, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == "open":
                found.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_import_graph_reads_relative_imports():
    g = import_graph(_module_level)
    assert "qorepro.workflow.record" in g["qorepro.workflow.provenance"]
    assert "qorepro.io" in g["qorepro.workflow.provenance"]


def test_no_import_circle_at_module_level():
    assert cycles(import_graph(_module_level)) == []


def test_no_import_circle_even_through_imports_inside_functions():
    """Stricter: a deferred import only hides a circle (the job harness and the engine once
    reached each other through one)."""
    assert cycles(import_graph(_anywhere)) == []


def test_every_module_imports_alone():
    """In a fresh interpreter, each module imported with no other module of the package loaded."""
    script = (
        "import importlib, sys\n"
        f"names = {sorted(_modules())!r}\n"
        "failed = []\n"
        "for name in names:\n"
        "    for m in [m for m in sys.modules if m == 'qorepro' or m.startswith('qorepro.')]:\n"
        "        del sys.modules[m]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as e:\n"
        "        failed.append(f'{name}: {type(e).__name__}: {e}')\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]


# ----------------------------------------------------------------------- the GPU resource
def _job_resources(r) -> dict:
    """rule name → its `resources:` line of a dry run (a completed process)."""
    jobs, rule = {}, None
    for line in (r.stdout + r.stderr).splitlines():
        if line.startswith("rule "):
            rule = line[5:].rstrip(":")
        elif rule and line.strip().startswith("resources:"):
            jobs[rule] = dict(kv.split("=", 1) for kv in line.split(":", 1)[1].replace(" ", "").split(","))
    return jobs


def test_time_domain_sweeps_hold_the_gpu_resource_on_a_gpu_run(project):
    """`engine.backend: gpu`: every time-domain sweep and branch-tracing job holds `gpu=1` (the default profile
    allows one at a time; the SLURM executor asks for a GPU), a steady-state sweep none; on the
    CPU no job holds it."""
    (project / "gpu.yaml").write_text(yaml.safe_dump({"engine": {"backend": "gpu"}}))
    (project / "cpu.yaml").write_text(yaml.safe_dump({"engine": {"backend": "cpu"}}))
    gpu = _job_resources(smk(project, "-n", "fig2", "jiao2020_fig1", "--configfile", "tiny.yaml", "gpu.yaml"))
    cpu = _job_resources(smk(project, "-n", "fig2", "jiao2020_fig1", "--configfile", "tiny.yaml", "cpu.yaml"))
    assert gpu["sweep_fig2"]["gpu"] == "1" and gpu["sweep_jiao2020_fig1"]["gpu"] == "0", gpu
    traced = _job_resources(smk(project, "-n", "branches", "--configfile", "tiny.yaml", "gpu.yaml"))
    assert {r["gpu"] for n, r in traced.items() if n.startswith("branches_trace")} == {"1"}, traced
    assert cpu["sweep_fig2"]["gpu"] == "0" and cpu["sweep_jiao2020_fig1"]["gpu"] == "0", cpu
    assert "resources: [gpu=1]" in (project / "profiles" / "default" / "config.yaml").read_text()


def test_planned_gpus_asks_the_evaluator_and_the_backend(monkeypatch):
    from qorepro import backend
    from qorepro.workflow import figure

    cfg = {"figures": {"a": {}, "s": {"model": "jiao2020"}}}
    for setting, visible, want in (("gpu", False, 1), ("cpu", True, 0), ("auto", True, 1), ("auto", False, 0)):
        monkeypatch.setattr(backend, "accelerator_visible", lambda v=visible: v)
        got = figure.planned_gpus({**cfg, "engine": {"backend": setting}}, "a")
        assert got == want, (setting, visible, got)
        assert figure.planned_gpus({**cfg, "engine": {"backend": setting}}, "s") == 0


def test_the_ensemble_runs_m_max_on_a_gpu():
    from qorepro.settings import TWASettings

    tw = TWASettings(trajectories=512, min_trajectories=64)
    assert tw.on("cpu") is tw and tw.on("gpu").min_trajectories == 512 == tw.on("gpu").trajectories
