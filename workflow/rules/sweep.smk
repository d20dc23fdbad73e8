# Stage 2 — sweep: all panels of a figure computed as one batch → results/{run}/data/{figure}/{panel}.nc
# (one rule per figure, since each figure has its own list of panel files).  A figure with more
# than `chunk_points` parameter points is split into chunk jobs (results/{run}/chunks/{figure}/
# {chunk}-of-{n}.npz: the number of chunks is in the name, so changing `chunk_points` computes new
# chunks) whose results are merged, after checking their record digest and point ranges, into the
# same panel files — on a cluster each chunk is its own job.  A run
# with `continue_from` starts every point from the stored end state of that run's panels.
for _fig in config["figures"]:
    if not chunked(_fig):

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
                gpu=lambda wc, f=_fig: figure_engine.planned_gpus(run_config(wc.run), f),
            params:
                record_sha256=record_check(_fig),
                base_dir=base_dir(_fig),
                backend=engine_setting("backend"),
                batch_size=engine_setting("batch_size"),
                env=SWEEP_ENV,
            script:
                "../scripts/sweep.py"

    else:

        rule:
            name:
                f"sweep_chunk_{_fig}"
            input:
                params=lambda wc, f=_fig: params_file(wc.run, f),
                code=lambda wc, f=_fig: engine_sources(f, wc.run),
                base=continued_panels(_fig),
            output:
                temp(f"results/{{run}}/chunks/{_fig}/{{chunk}}-of-{{n}}.npz"),
            log:
                f"results/{{run}}/logs/sweep/{_fig}.chunk{{chunk}}-of-{{n}}.log",
            benchmark:
                f"results/{{run}}/benchmarks/sweep/{_fig}.chunk{{chunk}}-of-{{n}}.tsv"
            wildcard_constraints:
                chunk=r"\d+",
                n=r"\d+",
            conda:
                ENV
            threads: 1
            resources:
                mem_mb=4000,
                runtime=120,
                gpu=lambda wc, f=_fig: figure_engine.planned_gpus(run_config(wc.run), f),
            params:
                record_sha256=record_check(_fig),
                n_chunks=lambda wc: int(wc.n),
                base_dir=base_dir(_fig),
                backend=engine_setting("backend"),
                batch_size=engine_setting("batch_size"),
                env=SWEEP_ENV,
            script:
                "../scripts/sweep_chunk.py"

        rule:
            name:
                f"sweep_{_fig}"
            input:
                params=lambda wc, f=_fig: params_file(wc.run, f),
                chunks=chunk_files(_fig),
            output:
                panel_files(_fig),
            log:
                f"results/{{run}}/logs/sweep/{_fig}.merge.log",
            localrule: True
            conda:
                ENV
            params:
                record_sha256=record_check(_fig),
            script:
                "../scripts/merge_chunks.py"
