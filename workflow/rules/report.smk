# The HTML report: reads only result files and renders reports/templates/hw6.html.j2.


rule summary:
    input:
        fits=p1_fit_files,
        compare="results/problem1/compare.json",
        card="results/card/split/summary.json",
        tree="results/card/tree/metrics.json",
        mlp_best="results/mlp/best.json",
        gradcheck="results/problem1/gradcheck.json",
        published="results/mlp/published.json",
    output:
        summary="results/summary.json",
    log:
        "logs/summary.log",
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        code=library_digest("summary.py"),
    script:
        "../scripts/summary.py"


rule confusion_figure:
    input:
        summary=rules.summary.output.summary,
    output:
        figure=report(
            "results/report/confusion.svg",
            caption="../report/confusion.rst",
            category="Problem 2",
        ),
    log:
        "logs/confusion_figure.log",
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        code=library_digest("confusion_figure.py"),
    script:
        "../scripts/confusion_figure.py"


rule report:
    input:
        unpack(report_inputs),
    output:
        html="reports/hw6.html",
    log:
        "logs/report.log",
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        code=library_digest("report.py"),
        template=REPORT_TEMPLATE,
        template_digest=report_template_digest(),
    script:
        "../scripts/report.py"
