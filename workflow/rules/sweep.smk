# Stage 2 — sweep: all panels of a figure computed as one batch → results/{run}/data/{figure}/{panel}.nc
# (one rule per figure, since each figure has its own list of panel files).  A figure with more
# than `chunk_points` parameter points is split into chunk jobs (results/{run}/chunks/…) whose
# results are merged into the same panel files — on a cluster each chunk is its own job.  A run
# with `continue_from` starts every point from the stored end state of that run's panels.
for _fig in config["figures"]:
    _k = n_chunks(_fig)
    if _k == 1:

        rule:
            name:
                f"sweep_{_fig}"
            input:
                params=lambda wc, f=_fig: params_file(wc.run, f),
                code=lambda wc, f=_fig: engine_sources(f, wc.run),
                base=continued_panels(_fig),
            output:
                panel_files(_fig),
            log:
                f"results/{{run}}/logs/sweep/{_fig}.log",
            benchmark:
                f"results/{{run}}/benchmarks/sweep/{_fig}.tsv"
            conda:
                ENV
            threads: 1
            resources:
                mem_mb=4000,
                runtime=120,
            params:
                args=sweep_args(_fig, lambda wc, output, f=_fig: ["--outdir", f"results/{wc.run}/data/{f}"]),
                env=SWEEP_ENV,
            script:
                "../scripts/stage.py"

    else:

        rule:
            name:
                f"sweep_chunk_{_fig}"
            input:
                params=lambda wc, f=_fig: params_file(wc.run, f),
                code=lambda wc, f=_fig: engine_sources(f, wc.run),
                base=continued_panels(_fig),
            output:
                temp(f"results/{{run}}/chunks/{_fig}/{{chunk}}.npz"),
            log:
                f"results/{{run}}/logs/sweep/{_fig}.chunk{{chunk}}.log",
            benchmark:
                f"results/{{run}}/benchmarks/sweep/{_fig}.chunk{{chunk}}.tsv"
            wildcard_constraints:
                chunk=r"\d+",
            conda:
                ENV
            threads: 1
            resources:
                mem_mb=4000,
                runtime=120,
            params:
                args=sweep_args(
                    _fig,
                    lambda wc, output, k=_k: ["--chunk", wc.chunk, "--n-chunks", k, "--npz", output[0]],
                ),
                env=SWEEP_ENV,
            script:
                "../scripts/stage.py"

        rule:
            name:
                f"sweep_{_fig}"
            input:
                params=lambda wc, f=_fig: params_file(wc.run, f),
                chunks=[f"results/{{run}}/chunks/{_fig}/{i}.npz" for i in range(_k)],
            output:
                panel_files(_fig),
            log:
                f"results/{{run}}/logs/sweep/{_fig}.merge.log",
            localrule: True
            conda:
                ENV
            params:
                args=lambda wc, input, f=_fig: [
                    "merge",
                    "--params",
                    input.params,
                    "--outdir",
                    f"results/{wc.run}/data/{f}",
                    *input.chunks,
                ],
            script:
                "../scripts/stage.py"
