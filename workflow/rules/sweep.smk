# Stage 2 — sweep: all panels of a figure computed as one batch → results/{run}/data/{figure}/{panel}.nc
# (one rule per figure, since each figure has its own list of panel files).  A figure with more
# than `chunk_points` parameter points is split into chunk jobs (results/{run}/chunks/…) whose
# results are merged into the same panel files — on a cluster each chunk is its own job.
from qorepro.workflow.compute import n_points as _n_points


def n_chunks(figure):
    cp = config.get("chunk_points", 0)
    return max(1, -(-_n_points(resolve_figure(config, figure)) // cp)) if cp else 1


_SWEEP_CMD = ("OMP_NUM_THREADS={threads} OPENBLAS_NUM_THREADS={threads} MKL_NUM_THREADS={threads} "
              "{PY} -m qorepro.workflow sweep --params {input.params}")

for _fig in config["figures"]:
    _k = n_chunks(_fig)
    if _k == 1:

        rule:
            name:
                f"sweep_{_fig}"
            input:
                params=f"results/{{run}}/params/{_fig}.json",
                code=engine_sources(_fig),
            output:
                panel_files(_fig),
            params:
                outdir=f"results/{{run}}/data/{_fig}",
            log:
                f"results/{{run}}/logs/sweep/{_fig}.log",
            benchmark:
                f"results/{{run}}/benchmarks/sweep/{_fig}.tsv"
            threads: 1
            resources:
                mem_mb=4000,
                runtime=120,
            shell:
                _SWEEP_CMD + " --outdir {params.outdir} 2> {log}"

    else:

        rule:
            name:
                f"sweep_chunk_{_fig}"
            input:
                params=f"results/{{run}}/params/{_fig}.json",
                code=engine_sources(_fig),
            output:
                temp(f"results/{{run}}/chunks/{_fig}/{{chunk}}.npz"),
            params:
                n=_k,
            wildcard_constraints:
                chunk=r"\d+",
            log:
                f"results/{{run}}/logs/sweep/{_fig}.chunk{{chunk}}.log",
            benchmark:
                f"results/{{run}}/benchmarks/sweep/{_fig}.chunk{{chunk}}.tsv"
            threads: 1
            resources:
                mem_mb=4000,
                runtime=120,
            shell:
                _SWEEP_CMD + " --chunk {wildcards.chunk} --n-chunks {params.n} --npz {output} 2> {log}"

        rule:
            name:
                f"sweep_{_fig}"
            input:
                params=f"results/{{run}}/params/{_fig}.json",
                chunks=[f"results/{{run}}/chunks/{_fig}/{i}.npz" for i in range(_k)],
            output:
                panel_files(_fig),
            params:
                outdir=f"results/{{run}}/data/{_fig}",
            log:
                f"results/{{run}}/logs/sweep/{_fig}.merge.log",
            localrule: True
            shell:
                "{PY} -m qorepro.workflow merge --params {input.params} --outdir {params.outdir} "
                "{input.chunks} 2> {log}"
