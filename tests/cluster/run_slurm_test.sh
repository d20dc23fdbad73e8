#!/usr/bin/env bash
# Real SLURM test (opt-in): a single-node cluster on this machine runs two figures of a tiny
# config through profiles/slurm, and the results must equal a local run of the same config.
#
#   bash tests/cluster/run_slurm_test.sh            (as root; installs what is missing)
#
# Installs Debian's slurm-wlm, slurmdbd, munge and mariadb-server if missing (accounting is needed:
# the executor plugin and this test read job states with sacct), and the pinned executor plugin
# into the project's .venv.  Starts munged, mariadbd, slurmdbd, slurmctld and slurmd with a
# temporary config (tests/cluster/slurm_cluster.sh), stops them by PID and cleans up on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PY:-$ROOT/.venv/bin/python}
T0=$(date +%s)

if ! command -v slurmctld > /dev/null || ! command -v slurmdbd > /dev/null || ! command -v mariadbd > /dev/null \
   || ! command -v munged > /dev/null; then
  echo "installing slurm-wlm slurmdbd munge mariadb-server (Debian)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm slurmdbd munge mariadb-server > /dev/null
fi
[ -x "$PY" ] || { python3 -m venv "$ROOT/.venv"; PY=$ROOT/.venv/bin/python; }
"$PY" -m pip install -q -e "$ROOT[slurm]"

WORK=$(mktemp -d /tmp/qorepro-slurm.XXXXXX)
CLUSTER=$WORK/cluster
cleanup() { bash "$ROOT/tests/cluster/slurm_cluster.sh" stop "$CLUSTER" || true; rm -rf "$WORK"; }
trap cleanup EXIT
bash "$ROOT/tests/cluster/slurm_cluster.sh" start "$CLUSTER"
source "$CLUSTER/env.sh"

PROJ=$WORK/project
mkdir -p "$PROJ"
cp -r "$ROOT"/{Snakefile,workflow,config,notebooks,profiles} "$PROJ"/
cp "$ROOT/tests/workflow/tiny.yaml" "$PROJ"/
cd "$PROJ"
SMK=("$PY" -m snakemake)
TARGETS=(figS11 fig1)

echo "== local run"
"${SMK[@]}" "${TARGETS[@]}" --configfile tiny.yaml --config run=local --cores 2 --quiet
echo "== SLURM run ($(sinfo --version); $("$PY" -m pip show snakemake-executor-plugin-slurm | awk '/^Version/{print "executor plugin " $2}'))"
"${SMK[@]}" "${TARGETS[@]}" --profile profiles/slurm --configfile tiny.yaml --config run=slurm \
    --default-resources slurm_account=qorepro-test slurm_partition=debug

echo "== sacct"
sacct -X -n -P --format=JobID,JobName,State | tee "$WORK/sacct.txt"
n_done=$(grep -c '|COMPLETED$' "$WORK/sacct.txt" || true)
n_sweeps=$(ls results/slurm/benchmarks/sweep/*.tsv | wc -l)
[ "$n_done" -ge "$n_sweeps" ] || { echo "FAIL: sacct shows $n_done completed jobs, expected >= $n_sweeps sweep jobs"; exit 1; }

echo "== local vs SLURM results"
"$PY" - <<'PYCODE'
import glob, os, sys
import numpy as np, xarray as xr
bad = 0
files = sorted(glob.glob("results/local/data/*/*.nc"))
assert files, "no local results"
for f in files:
    g = f.replace("results/local/", "results/slurm/")
    a, b = xr.load_dataset(f), xr.load_dataset(g)
    for v in a.data_vars:
        x, y = a[v].values, b[v].values
        same = np.array_equal(x, y) if x.dtype.kind in "OUSb" else np.allclose(x, y, rtol=0, atol=0, equal_nan=True)
        if not same:
            bad += 1
            print("differs:", g, v)
    for k in ("parameters", "solver_settings", "panel_spec", "code_version"):
        if a.attrs.get(k) != b.attrs.get(k):
            bad += 1
            print("attribute differs:", g, k)
print(f"{len(files)} NetCDF files compared, {bad} differences")
sys.exit(1 if bad else 0)
PYCODE
for f in figS11 fig1; do test -s "results/slurm/figures/$f.pdf"; done
echo "slurm test passed: 2 figures through SLURM, $n_done jobs COMPLETED in sacct, results identical; wall $(( $(date +%s) - T0 )) s"
