# Verification: every panel file of a run's figures, Table I and claims (the referee figures
# are verified where they are consumed, not listed) is checked against its params record and
# listed, with the records, by sha256 in results/{run}/MANIFEST; `python -m qorepro verify
# results/<run>` re-checks a run offline, and the report shows the manifest.


rule manifest:
    input:
        records=lambda wc: manifest_files(wc.run)["records"],
        panels=lambda wc: manifest_files(wc.run)["panels"],
    output:
        report(
            "results/{run}/MANIFEST",
            caption="../report/manifest.rst",
            category="4. Provenance",
            subcategory="{run}",
        ),
    log:
        "results/{run}/logs/manifest.log",
    localrule: True
    conda:
        ENV
    params:
        run_dir=lambda wc: f"results/{wc.run}",
    script:
        "../scripts/manifest.py"
