# Stage 2 — sweep: all panels of a figure computed as one batch → results/{run}/data/{figure}/{panel}.nc
# (one rule per figure, since each figure has its own list of panel files).  A figure with more
# than `chunk_points` parameter points is split into chunk jobs (results/{run}/chunks/…) whose
# results are merged into the same panel files — on a cluster each chunk is its own job.  A run
# with `continue_from` starts every point from the stored end state of that run's panels.
from qorepro.workflow.engines import engine_for


def n_chunks(figure):
    cp = config.get("chunk_points", 0)
    spec = figure_record(RUN, figure)
    return max(1, -(-engine_for(spec.model).n_points(spec) // cp)) if cp else 1


def continued_panels(figure):
    def inputs(wc):
        base = continued_run(wc.run, figure)
        return run_panel_files(base, figure) if base else []

    return inputs


def base_dir_arg(figure):
    def arg(wc):
        base = continued_run(wc.run, figure)
        return f"--base-dir results/{data_run(base, figure)}/data/{figure}" if base else ""

    return arg


_SWEEP_CMD = (
    _SWEEP_ENV + "{PY} -m qorepro.workflow sweep --params {input.params} {params.base} "
    f"--backend {ENGINE.get('backend', 'auto')} --batch-size {ENGINE.get('batch_size', 'auto')}"
)

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
            params:
                outdir=f"results/{{run}}/data/{_fig}",
                base=base_dir_arg(_fig),
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
                params=lambda wc, f=_fig: params_file(wc.run, f),
                code=lambda wc, f=_fig: engine_sources(f, wc.run),
                base=continued_panels(_fig),
            output:
                temp(f"results/{{run}}/chunks/{_fig}/{{chunk}}.npz"),
            params:
                n=_k,
                base=base_dir_arg(_fig),
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
                params=lambda wc, f=_fig: params_file(wc.run, f),
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
