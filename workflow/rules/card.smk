# Problem 2 data and baseline: the card data (real file or synthetic stand-in) -> the homework's
# split in file order -> the decision tree and its depth sweep.


# The stand-in, only while no real file is configured (card.path). It goes through the same
# loader as the real file (one code path for validation, hashing and splitting).
if CARD["path"] is None:

    rule card_synthetic:
        output:
            csv=result_path("card/synthetic/card_transdata.csv"),
        log:
            log_path("card/synthetic"),
        benchmark:
            bench_path("card/synthetic")
        threads: 1
        resources:
            mem_mb=by_attempt(2048),
            runtime=by_attempt(10),
        params:
            code=library_digest("card_synthetic.py"),
            versions=library_versions("card_synthetic.py"),
            rows=CARD["synthetic_rows"],
            seed=CARD["synthetic_seed"],
        script:
            "../scripts/card_synthetic.py"


rule card_split:
    input:
        csv=card_csv,
    output:
        X_train=result_path("card/split/X_train.npy"),
        y_train=result_path("card/split/y_train.npy"),
        X_test=result_path("card/split/X_test.npy"),
        y_test=result_path("card/split/y_test.npy"),
        summary=result_path("card/split/summary.json"),
    log:
        log_path("card/split"),
    benchmark:
        bench_path("card/split")
    threads: 1
    resources:
        mem_mb=by_attempt(2048),
        runtime=by_attempt(10),
    params:
        code=library_digest("card_split.py"),
        versions=library_versions("card_split.py"),
        n_train=CARD["n_train"],
        n_valid=CARD["n_valid"],
        kind=card_kind(),
        seed=card_seed(),
    script:
        "../scripts/card_split.py"


# The split's four arrays, by name: the input of every model (`input: **SPLIT`).
SPLIT = {
    name: getattr(rules.card_split.output, name)
    for name in ("X_train", "y_train", "X_test", "y_test")
}


rule tree_fit:
    input:
        **SPLIT,
    output:
        metrics=result_path("card/tree/metrics.json"),
        scores=result_path("card/tree/test_scores.npy"),
        timing=result_path("benchmarks/card/tree_timing.json"),
    log:
        log_path("card/tree_fit"),
    benchmark:
        bench_path("card/tree_fit")
    threads: 1
    resources:
        mem_mb=by_attempt(2048),
        runtime=by_attempt(15),
    params:
        code=library_digest("tree_fit.py"),
        versions=library_versions("tree_fit.py"),
        seed=TREE["seed"],
        text_depth=3,
    script:
        "../scripts/tree_fit.py"


rule tree_sweep:
    input:
        **SPLIT,
    output:
        sweep=result_path("card/tree/sweep.json"),
        timing=result_path("benchmarks/card/tree_sweep_timing.json"),
    log:
        log_path("card/tree_sweep"),
    benchmark:
        bench_path("card/tree_sweep")
    priority: tree_sweep_priority()
    threads: 1
    resources:
        mem_mb=by_attempt(2048),
        runtime=by_attempt(30),
    params:
        code=library_digest("tree_sweep.py"),
        versions=library_versions("tree_sweep.py"),
        seed=TREE["seed"],
        max_depths=TREE["max_depths"],
    script:
        "../scripts/tree_sweep.py"


rule tree_figure:
    input:
        sweep=rules.tree_sweep.output.sweep,
    output:
        fig=report(
            result_path("card/tree/depth_sweep.svg"),
            caption="../report/tree_sweep.rst",
            category="Problem 2",
        ),
    log:
        log_path("card/tree_figure"),
    threads: 1
    resources:
        mem_mb=by_attempt(1024),
        runtime=by_attempt(5),
    params:
        code=library_digest("tree_figure.py"),
        versions=library_versions("tree_figure.py"),
    script:
        "../scripts/tree_figure.py"
