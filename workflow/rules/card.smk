# Problem 2 data and baseline: the card data (real file or synthetic stand-in) -> the homework's
# split in file order -> the decision tree and its depth sweep.


rule card_synthetic:
    output:
        csv=CARD_SYNTHETIC_CSV,
    log:
        "logs/card/synthetic.log",
    benchmark:
        "results/benchmarks/card/synthetic.tsv"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=10,
    params:
        code=library_digest("card_synthetic.py"),
        rows=CARD["synthetic_rows"],
        seed=CARD["synthetic_seed"],
    script:
        "../scripts/card_synthetic.py"


rule card_split:
    input:
        csv=card_csv,
    output:
        X_train="results/card/split/X_train.npy",
        y_train="results/card/split/y_train.npy",
        X_test="results/card/split/X_test.npy",
        y_test="results/card/split/y_test.npy",
        summary="results/card/split/summary.json",
    log:
        "logs/card/split.log",
    benchmark:
        "results/benchmarks/card/split.tsv"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=10,
    params:
        code=library_digest("card_split.py"),
        n_train=CARD["n_train"],
        n_valid=CARD["n_valid"],
        kind=card_kind(),
        seed=card_seed(),
    script:
        "../scripts/card_split.py"


rule tree_fit:
    input:
        X_train=rules.card_split.output.X_train,
        y_train=rules.card_split.output.y_train,
        X_test=rules.card_split.output.X_test,
        y_test=rules.card_split.output.y_test,
    output:
        metrics="results/card/tree/metrics.json",
        timing="results/benchmarks/card/tree_timing.json",
    log:
        "logs/card/tree_fit.log",
    benchmark:
        "results/benchmarks/card/tree_fit.tsv"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=15,
    params:
        code=library_digest("tree_fit.py"),
        seed=TREE["seed"],
        text_depth=3,
    script:
        "../scripts/tree_fit.py"


rule tree_sweep:
    input:
        X_train=rules.card_split.output.X_train,
        y_train=rules.card_split.output.y_train,
        X_test=rules.card_split.output.X_test,
        y_test=rules.card_split.output.y_test,
    output:
        sweep="results/card/tree/sweep.json",
        timing="results/benchmarks/card/tree_sweep_timing.json",
    log:
        "logs/card/tree_sweep.log",
    benchmark:
        "results/benchmarks/card/tree_sweep.tsv"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=30,
    params:
        code=library_digest("tree_sweep.py"),
        seed=TREE["seed"],
        max_depths=TREE["max_depths"],
    script:
        "../scripts/tree_sweep.py"


rule tree_figure:
    input:
        sweep=rules.tree_sweep.output.sweep,
    output:
        fig=report(
            "results/card/tree/depth_sweep.svg",
            caption="../report/tree_sweep.rst",
            category="Problem 2",
        ),
    log:
        "logs/card/tree_figure.log",
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        code=library_digest("tree_figure.py"),
    script:
        "../scripts/tree_figure.py"
