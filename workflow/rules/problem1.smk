# Problem 1: simulate x ~ N(0, 1), y = sigmoid(x); fit the sigmoid chains; check the gradient;
# draw the fits.


rule p1_simulate:
    output:
        data="results/problem1/data.npy",
    log:
        "logs/problem1/simulate.log",
    benchmark:
        "results/benchmarks/problem1/simulate.tsv"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    params:
        code=library_digest("p1_simulate.py"),
        n=P1["n"],
        seed=P1["seed"],
    script:
        "../scripts/p1_simulate.py"


rule p1_fit:
    input:
        data=rules.p1_simulate.output.data,
    output:
        fit="results/problem1/fit_depth{depth}.json",
    log:
        "logs/problem1/fit_depth{depth}.log",
    benchmark:
        "results/benchmarks/problem1/fit_depth{depth}.tsv"
    wildcard_constraints:
        depth=r"\d+",
    threads: 1
    resources:
        mem_mb=1024,
        runtime=30,
    params:
        code=library_digest("p1_fit.py"),
        seed=P1["seed"],
        gtol=P1["gtol"],
        multistart=P1["multistart"],
    script:
        "../scripts/p1_fit.py"


rule p1_gradcheck:
    input:
        data=rules.p1_simulate.output.data,
    output:
        gradcheck="results/problem1/gradcheck.json",
    log:
        "logs/problem1/gradcheck.log",
    benchmark:
        "results/benchmarks/problem1/gradcheck.tsv"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    params:
        **P1["gradcheck"],
        code=library_digest("p1_gradcheck.py"),
    script:
        "../scripts/p1_gradcheck.py"


rule p1_compare:
    input:
        fits=p1_fit_files,
    output:
        summary="results/problem1/compare.json",
    log:
        "logs/problem1/compare.log",
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        code=library_digest("p1_compare.py"),
    script:
        "../scripts/p1_compare.py"


rule p1_figures:
    input:
        fits=p1_fit_files,
    output:
        fits=report(
            "results/problem1/fits.svg",
            caption="../report/p1_fits.rst",
            category="Problem 1",
        ),
        residuals=report(
            "results/problem1/residuals.svg",
            caption="../report/p1_residuals.rst",
            category="Problem 1",
        ),
    log:
        "logs/problem1/figures.log",
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        code=library_digest("p1_figures.py"),
    script:
        "../scripts/p1_figures.py"
