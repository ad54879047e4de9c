# The report: the summary of the headline numbers, provenance, and the HTML page, which reads
# only result files and renders reports/templates/hw6.html.j2.


rule summary:
    input:
        fits=P1_FITS,
        compare=rules.p1_compare.output.summary,
        card=rules.card_split.output.summary,
        tree=rules.tree_fit.output.metrics,
        mlp_best=rules.mlp_collect.output.best,
        gradcheck=rules.p1_gradcheck.output.gradcheck,
        published=rules.mlp_published.output.published,
    output:
        summary=result_path("summary.json"),
    log:
        log_path("summary"),
    threads: 1
    resources:
        mem_mb=by_attempt(512),
        runtime=by_attempt(5),
    params:
        code=library_digest("summary.py"),
        versions=library_versions("summary.py"),
    script:
        "../scripts/summary.py"


rule confusion_figure:
    input:
        summary=rules.summary.output.summary,
    output:
        figure=report(
            result_path("report/confusion.svg"),
            caption="../report/confusion.rst",
            category="Problem 2",
        ),
    log:
        log_path("confusion_figure"),
    threads: 1
    resources:
        mem_mb=by_attempt(512),
        runtime=by_attempt(5),
    params:
        code=library_digest("confusion_figure.py"),
        versions=library_versions("confusion_figure.py"),
    script:
        "../scripts/confusion_figure.py"


# Software versions, git state, configuration and every job's wall time and memory.
rule provenance:
    input:
        unpack(benchmark_files),
        # every result the report shows: provenance is taken again whenever one changes
        summary=rules.summary.output.summary,
        # the engine that trained each grid cell, and its self-check (the table of jobs)
        cells=all_jobs(rules.mlp_train.output.cell),
    output:
        provenance=result_path("provenance.json"),
    log:
        log_path("provenance"),
    threads: 1
    resources:
        mem_mb=by_attempt(512),
        runtime=by_attempt(5),
    params:
        code=library_digest("provenance.py"),
        versions=library_versions("provenance.py"),
        repo=workflow.basedir,
        code_records=code_records,
        run=run_configuration(),
    script:
        "../scripts/provenance.py"


# Every file the report reads, named section__key (hw6lib.report.render's context).
rule report:
    input:
        p1__fits=P1_FITS,
        p1__compare=rules.p1_compare.output.summary,
        p1__gradcheck=rules.p1_gradcheck.output.gradcheck,
        p1__fig_fits=rules.p1_figures.output.fits,
        p1__fig_residuals=rules.p1_figures.output.residuals,
        provenance=rules.provenance.output.provenance,
        summary=rules.summary.output.summary,
        fig_confusion=rules.confusion_figure.output.figure,
        data__summary=rules.card_split.output.summary,
        tree__metrics=rules.tree_fit.output.metrics,
        tree__sweep=rules.tree_sweep.output.sweep,
        tree__timing=rules.tree_fit.output.timing,
        tree__fig_sweep=rules.tree_figure.output.fig,
        mlp__grid=rules.mlp_collect.output.grid_json,
        mlp__best=rules.mlp_collect.output.best,
        mlp__published=rules.mlp_published.output.published,
        mlp__fig_heatmap=rules.mlp_figures.output.heatmap,
        mlp__fig_curves=rules.mlp_figures.output.curves,
        mlp__fig_published=rules.mlp_figures.output.published,
        scores__pr=rules.pr_figure.output.curves,
        scores__fig_pr=rules.pr_figure.output.fig,
    output:
        html="reports/hw6.html",
    log:
        log_path("report"),
    threads: 1
    resources:
        mem_mb=by_attempt(1024),
        runtime=by_attempt(5),
    params:
        code=library_digest("report.py"),
        versions=library_versions("report.py"),
        template=REPORT_TEMPLATE,
        template_digest=report_template_digest(),
        run=run_configuration(),
    script:
        "../scripts/report.py"
