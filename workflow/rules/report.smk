# The HTML report: reads only result files and renders reports/templates/hw6.html.j2.


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
        template=REPORT_TEMPLATE,
    script:
        "../scripts/report.py"
