# Stage 2 — sweep: all panels of a figure computed as one batch → results/{run}/data/{figure}/{panel}.nc
# (one rule per figure, since each figure has its own list of panel files).

for _fig in config["figures"]:

    rule:
        name:
            f"sweep_{_fig}"
        input:
            params=f"results/{{run}}/params/{_fig}.json",
            code=ENGINE_SOURCES,
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
            "OMP_NUM_THREADS={threads} OPENBLAS_NUM_THREADS={threads} MKL_NUM_THREADS={threads} "
            "{PY} -m qorepro.workflow sweep --params {input.params} --outdir {params.outdir} 2> {log}"
