# Problem 1: simulate x ~ N(0, 1), y = sigmoid(x); fit the sigmoid chains; check the gradient;
# draw the fits.


rule p1_simulate:
    output:
        data=result_path("problem1/data.npy"),
    log:
        log_path("problem1/simulate"),
    benchmark:
        bench_path("problem1/simulate")
    threads: 1
    resources:
        mem_mb=by_attempt(1024),
        runtime=by_attempt(10),
    params:
        code=library_digest("p1_simulate.py"),
        versions=library_versions("p1_simulate.py"),
        n=P1["n"],
        seed=P1["seed"],
    script:
        "../scripts/p1_simulate.py"


rule p1_fit:
    input:
        data=rules.p1_simulate.output.data,
    output:
        fit=result_path("problem1/fit_depth{depth}.json"),
    log:
        log_path("problem1/fit_depth{depth}"),
    benchmark:
        bench_path("problem1/fit_depth{depth}")
    wildcard_constraints:
        depth=r"\d+",
    threads: 1
    resources:
        mem_mb=by_attempt(1024),
        runtime=by_attempt(30),
    params:
        code=library_digest("p1_fit.py"),
        versions=library_versions("p1_fit.py"),
        seed=P1["seed"],
        gtol=P1["gtol"],
        multistart=P1["multistart"],
    script:
        "../scripts/p1_fit.py"


# The fit of every configured depth.
P1_FITS = all_jobs(rules.p1_fit.output.fit)


rule p1_gradcheck:
    input:
        data=rules.p1_simulate.output.data,
    output:
        gradcheck=result_path("problem1/gradcheck.json"),
    log:
        log_path("problem1/gradcheck"),
    benchmark:
        bench_path("problem1/gradcheck")
    threads: 1
    resources:
        mem_mb=by_attempt(1024),
        runtime=by_attempt(10),
    params:
        **P1["gradcheck"],
        code=library_digest("p1_gradcheck.py"),
        versions=library_versions("p1_gradcheck.py"),
    script:
        "../scripts/p1_gradcheck.py"


rule p1_compare:
    input:
        fits=P1_FITS,
    output:
        summary=result_path("problem1/compare.json"),
    log:
        log_path("problem1/compare"),
    threads: 1
    resources:
        mem_mb=by_attempt(512),
        runtime=by_attempt(5),
    params:
        code=library_digest("p1_compare.py"),
        versions=library_versions("p1_compare.py"),
    script:
        "../scripts/p1_compare.py"


rule p1_figures:
    input:
        fits=P1_FITS,
    output:
        fits=report(
            result_path("problem1/fits.svg"),
            caption="../report/p1_fits.rst",
            category="Problem 1",
        ),
        residuals=report(
            result_path("problem1/residuals.svg"),
            caption="../report/p1_residuals.rst",
            category="Problem 1",
        ),
    log:
        log_path("problem1/figures"),
    threads: 1
    resources:
        mem_mb=by_attempt(1024),
        runtime=by_attempt(5),
    params:
        code=library_digest("p1_figures.py"),
        versions=library_versions("p1_figures.py"),
    script:
        "../scripts/p1_figures.py"
