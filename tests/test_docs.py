"""Every command in README.md and docs/*.md is exercised, and the documents' links and paths exist.

Commands are taken from ``bash`` code blocks and from inline code that starts with
``snakemake``, ``python``, ``pip`` or ``bash`` (``.venv/bin/`` prefixed or not):

* the set-up commands must be exactly the two canonical ones (CI runs the second);
* ``snakemake`` commands are planned (``-n``) on a copy of the project with the tiny configuration,
  all targets that share the same options in one invocation;
* ``python`` commands run: the notebook template for real, ``python -m qorepro verify`` on a run
  that does not exist (it must say so), the others with ``--help`` (and every option the document
  uses must be one the help lists);
* ``pip install -e '.[extra]'``: the extra must exist in pyproject.toml.

A command that cannot be exercised here is listed in :data:`NOT_EXERCISED` with the reason, a
command that another test runs in :data:`EXERCISED_ELSEWHERE` with that test.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CANONICAL = (
    "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/snakemake",
    "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest",
)
#: commands (by a distinctive part) that cannot be exercised in the test suite, and why
NOT_EXERCISED = {
    "--profile profiles/slurm": "needs a SLURM cluster and the executor plugin (opt-in: tests/cluster/run_slurm_test.sh)",
    "bash tests/cluster/run_slurm_test.sh": "opt-in, as root: installs and starts SLURM daemons",
}
#: commands (by a distinctive part) that another test runs: the part → that test file
EXERCISED_ELSEWHERE = {
    "--report report.html": "tests/shared_run.py",   # the shared tiny run builds the report (test_report.py)
    "--lint": "tests/test_lint.py",
}
#: placeholders of the documents → what the test puts there
PLACEHOLDERS = {"<the same targets>": "figS7", "<name>": "figS12", "…": ""}
#: the new figure the documents add in their example (docs/configuration.md)
NEW_FIGURE = """  figS12:
    group: si
    title: a new figure (the documents' example)
    source: test
    panels:
      d: {kind: line, x: {axis: kappa_m, range: [0.05, 0.4]}, series: {"K=0": {K: 0}, "K<0": {K: -2.0e-5}}}
"""
#: paths named in the documents that another branch of issue 17 adds (integrator: empty after merging)
PENDING_PATHS: set = set()   # repository paths a page may name before they exist (none)

FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)
INLINE = re.compile(r"`([^`]+)`")
COMMAND = re.compile(r"^(?:\.venv/bin/)?(?:snakemake|python3?|pip|bash)(?:\s|$)")


def commands(path: Path) -> list[str]:
    """The shell commands of one document (continuation lines joined, comments dropped)."""
    text = path.read_text()
    out = []
    for lang, body in FENCE.findall(text):
        if lang in ("bash", "sh", "shell", "console"):
            for line in body.replace("\\\n", " ").splitlines():
                line = " ".join(re.sub(r"(^|\s)#.*$", "", line).split())
                if line:
                    out.append(line)
    for span in INLINE.findall(FENCE.sub("", text)):
        span = " ".join(span.split())
        if COMMAND.match(span):
            out.append(span)
    return out


ALL = sorted({c for doc in DOCS for c in commands(doc)})


def _simple(cmd: str) -> list[str]:
    """One command line → its simple commands (split at ``&&``), ``.venv/bin/`` dropped."""
    for k, v in PLACEHOLDERS.items():
        cmd = cmd.replace(k, v)
    return [re.sub(r"^\.venv/bin/", "", c.strip()) for c in cmd.split("&&") if c.strip()]


def classify(cmd: str) -> str:
    if "python3 -m venv" in cmd:
        return "canonical"
    if any(k in cmd for k in NOT_EXERCISED):
        return "not_exercised"
    if any(k in cmd for k in EXERCISED_ELSEWHERE):
        return "elsewhere"
    kinds = set()
    for c in _simple(cmd):
        word = c.split()[0]
        kinds.add({"snakemake": "snakemake", "python": "python", "python3": "python", "pip": "pip"}.get(word, "unknown"))
    assert len(kinds) == 1 and "unknown" not in kinds, f"no way to exercise {cmd!r}: add one or list it"
    return kinds.pop()


def test_the_documents_have_commands_and_each_is_classified():
    assert len(ALL) >= 20
    for cmd in ALL:
        classify(cmd)


def test_setup_commands_are_the_two_canonical_ones():
    setup = [c for c in ALL if classify(c) == "canonical"]
    assert sorted(setup) == sorted(CANONICAL)
    assert CANONICAL[1] in (ROOT / ".ci" / "run").read_text()


def test_commands_exercised_elsewhere_are_run_there():
    for part, test in EXERCISED_ELSEWHERE.items():
        assert any(part in c for c in ALL), f"{part}: no longer in the documents; drop it here"
        assert part.split()[0] in (ROOT / test).read_text(), f"{test} does not run {part}"
    for part in NOT_EXERCISED:
        assert any(part in c for c in ALL), f"{part}: no longer in the documents; drop it here"
    assert (ROOT / "profiles" / "slurm" / "config.yaml").exists()
    assert (ROOT / "tests" / "cluster" / "run_slurm_test.sh").exists()


def test_pip_extras_exist():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pips = [s for c in ALL if classify(c) == "pip" for s in _simple(c)]
    assert pips
    for c in pips:
        m = re.fullmatch(r"pip install (?:-q )?-e '?\.\[(\w+)\]'?", c)
        assert m and m.group(1) in extras, c


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the workflow files with the tiny configuration, the documents' variant overlay
    and their example figure."""
    dest = tmp_path_factory.mktemp("docs-project")
    for name in ("Snakefile", "workflow", "config", "notebooks", "profiles"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    shutil.copy(ROOT / "tests" / "workflow" / "tiny.yaml", dest / "tiny.yaml")
    (dest / "my_variant.yaml").write_text("run: my-variant\npreset: quick\n")
    cfg = dest / "config" / "config.yaml"
    text = cfg.read_text()
    assert "\n  table1:\n" in text
    cfg.write_text(text.replace("\n  table1:\n", "\n" + NEW_FIGURE + "  table1:\n", 1))
    return dest


def _run(args, cwd, **kw):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"}, **kw)


def test_python_commands_run(project):
    """Run before the snakemake test: the notebook template writes the example figure's notebook."""
    pythons = sorted({s for c in ALL if classify(c) == "python" for s in _simple(c)})
    assert any("make_notebooks.py" in c for c in pythons)
    for c in sorted(pythons, key=lambda c: "make_notebooks.py" not in c):
        argv = shlex.split(c)[1:]
        if argv[:1] == ["-m"] and argv[1] == "pytest":
            pytest.fail(f"{c!r}: only the canonical test command runs pytest")
        if "make_notebooks.py" in c:
            r = _run([sys.executable, *argv], project)
            assert r.returncode == 0 and (project / "notebooks" / "figS12.ipynb").exists(), r.stderr
            again = _run([sys.executable, *argv], project)
            assert again.returncode != 0 and "exists" in again.stderr, "the template refuses an existing notebook"
        elif argv[:3] == ["-m", "qorepro", "verify"]:
            r = _run([sys.executable, *argv], project)
            assert r.returncode == 1 and "verification FAILED" in r.stderr and "results/baseline" in r.stderr, r.stderr
        else:
            head = argv[:3] if argv[0] == "-m" else argv[:1]
            r = _run([sys.executable, *head, "--help"], ROOT)
            assert r.returncode == 0, f"{c}: {r.stderr[-800:]}"
            for opt in (a for a in argv if a.startswith("--")):
                assert opt in r.stdout, f"{c}: {opt} is not an option"


def _plans(cmds):
    """Snakemake command lines → {(options…): targets}, one entry per distinct set of options."""
    groups = {}
    for cmd in cmds:
        for c in _simple(cmd):
            tokens = shlex.split(c)[1:]
            targets, config, files, flags, i = [], [], [], [], 0
            while i < len(tokens):
                t = tokens[i]
                if t == "-n" or t.startswith("-c") and t[2:].isdigit():
                    pass
                elif t == "--cores":
                    i += 1
                elif t in ("--config", "--configfile"):
                    while i + 1 < len(tokens) and not tokens[i + 1].startswith("-") and (
                            "=" in tokens[i + 1] if t == "--config" else tokens[i + 1].endswith((".yaml", ".yml"))):
                        i += 1
                        (config if t == "--config" else files).append(tokens[i])
                elif t in ("--unlock", "--rerun-incomplete"):
                    flags.append(t)
                elif t.startswith("-"):
                    pytest.fail(f"{c!r}: option {t} is not handled by this test")
                else:
                    targets.append(t)
                i += 1
            key = (tuple(sorted(flags)), tuple(files), tuple(config))
            groups.setdefault(key, set()).update(targets or ["all"])
    return groups


def test_snakemake_commands_plan(project):
    """Every documented snakemake command plans (dry-run) on the tiny project: one invocation
    per distinct set of options.  (Needs the example figure's notebook: after the python test.)"""
    if not (project / "notebooks" / "figS12.ipynb").exists():
        _run([sys.executable, "notebooks/make_notebooks.py", "figS12"], project)
    groups = _plans([c for c in ALL if classify(c) == "snakemake"])
    assert len(groups) <= 8, "keep the planning cheap"
    for (flags, files, config), targets in sorted(groups.items()):
        args = [sys.executable, "-m", "snakemake"]
        if "--unlock" in flags:
            args += ["--unlock"]
        else:
            args += [*sorted(targets), "-n", *flags]
        args += ["--configfile", "tiny.yaml", *files] + (["--config", *config] if config else [])
        r = _run(args, project)
        assert r.returncode == 0, f"{' '.join(args[2:])}:\n{r.stdout[-1500:]}\n{r.stderr[-1500:]}"


# ---- the documents themselves ---------------------------------------------------------------

def _slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    h = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", h).replace(" ", "-")


def test_links_and_anchors_resolve():
    anchors = {d: {_slug(h) for h in re.findall(r"^#+ (.+)$", FENCE.sub("", d.read_text()), re.M)} for d in DOCS}
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text()):
            if re.match(r"https?://", target):
                continue
            path, _, anchor = target.partition("#")
            dest = (doc.parent / path).resolve() if path else doc
            assert dest.exists(), f"{doc.name}: link to {target} — no such file"
            if anchor:
                assert anchor in anchors.get(dest, set()), f"{doc.name}: no heading for #{anchor} in {dest.name}"


def test_paths_named_in_the_documents_exist():
    roots = r"(?:src|config|workflow|notebooks|benchmarks|tests|profiles|docs)/"
    for doc in DOCS:
        for path in re.findall(rf"(?<![\w./<-]){roots}[\w./-]*\w", doc.read_text()):
            if path in PENDING_PATHS:
                continue
            assert (ROOT / path).exists(), f"{doc.name}: {path} does not exist"


def _subset(part, whole) -> bool:
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and _subset(v, whole[k]) for k, v in part.items())
    return part == whole


def test_configuration_examples_are_the_configuration():
    """A YAML example of a figure in the documents is (part of) that figure's entry in the config."""
    import yaml
    figures = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["figures"]
    n = 0
    for doc in DOCS:
        for lang, body in FENCE.findall(doc.read_text()):
            if lang == "yaml":
                for name, entry in yaml.safe_load(body).items():
                    if name in figures:
                        n += 1
                        assert _subset(entry, figures[name]), f"{doc.name}: the example of {name} differs from config"
    assert n >= 1


def test_readme_is_a_front_door():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    for page in ("workflow-and-outputs", "configuration", "engine-and-numerics", "beyond-linearisation",
                 "companion-papers", "referee-audits", "benchmarks"):
        assert (ROOT / "docs" / f"{page}.md").exists()
        assert f"(docs/{page}.md" in readme, f"the README links docs/{page}.md"
    for section in ("## Set-up", "## Using the workflow", "## Where things live", "## Headline findings"):
        assert section in readme
