# Provenance: software versions, git state, configuration and every job's wall time and memory.


rule provenance:
    input:
        unpack(benchmark_files),
        # every result the report shows: provenance is taken again whenever one changes
        summary="results/summary.json",
    output:
        provenance="results/provenance.json",
    log:
        "logs/provenance.log",
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        code=library_digest("provenance.py"),
        repo=workflow.basedir,
        code_records=code_records,
    script:
        "../scripts/provenance.py"
