#!/usr/bin/env bash
# GPU measurements of the engine and of the paper-preset DAG on one GPU machine (not CI).
#
#   bash benchmarks/gpu_run.sh OUTDIR [WHEEL_DIR]
#
# Uses the machine's own jax/jaxlib with CUDA; installs this package without dependencies
# (and, from WHEEL_DIR, what the machine lacks: netCDF4, snakemake, papermill …) into a
# temporary prefix.  Writes OUTDIR/gpu_bench.json, OUTDIR/dag.log, OUTDIR/summary.txt.
set -uo pipefail
OUT=${1:?output directory}
WHEELS=${2:-.whl}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
if [ -d "$WHEELS" ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site "$WHEELS"/*.whl
    export PYTHONPATH=/tmp/site:$PWD/src PATH=/tmp/site/bin:$PATH
else
    export PYTHONPATH=$PWD/src
fi
{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
    python3 -c "import jax, diffrax; print('jax', jax.__version__, 'diffrax', diffrax.__version__, jax.devices())"
} | tee "$OUT/summary.txt"
export QOREPRO_JAX_CACHE=/tmp/jaxcache

STAGE=${STAGE:-dag bench}

# 1. the paper-preset DAG, all + referee, GPU batch (engine.batch_size auto = 16384), no chunks
if [[ " $STAGE " == *" dag "* ]]; then
rm -rf results .snakemake
start=$(date +%s)
timeout "${DAG_LIMIT:-520}" python3 -m snakemake --cores 16 all referee --config preset=paper chunk_points=0 \
    > "$OUT/dag.log" 2>&1
rc=$?
end=$(date +%s)
echo "snakemake all referee (paper preset, GPU): rc=$rc, $((end - start)) s wall" | tee -a "$OUT/summary.txt"
grep -E "steps \([0-9]+%\) done" "$OUT/dag.log" | tail -1 | tee -a "$OUT/summary.txt"
for f in results/*/benchmarks/sweep/*.tsv; do echo "$f $(tail -1 "$f" | cut -f1)"; done | sort -k2 -n -r | head -15 \
    | tee -a "$OUT/summary.txt"
cp results/baseline/claims.md "$OUT/claims_baseline.md" 2>/dev/null
tail -30 "$OUT/dag.log"
fi

# 2. the engine alone: integration and certification per point at a GPU batch
if [[ " $STAGE " == *" bench "* ]]; then
    BENCH_ALL_CORES=1 python3 benchmarks/bench_solver.py --points 16384 --batch 16384 --skip-old \
        --out "$OUT/gpu_bench_16384.json" 2>&1 | tail -3 | tee -a "$OUT/summary.txt"
fi
