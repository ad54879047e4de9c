# Problem 2: the fraud MLP grid (one job per width x batch size, every learning rate and seed
# trained at once), the collected table and the best configuration, the replicated published run,
# and the figures.


rule mlp_train:
    input:
        X_train=rules.card_split.output.X_train,
        y_train=rules.card_split.output.y_train,
        X_test=rules.card_split.output.X_test,
        y_test=rules.card_split.output.y_test,
    output:
        cell="results/mlp/cells/w{width}_b{batch}.json",
    log:
        "logs/mlp/train_w{width}_b{batch}.log",
    benchmark:
        "results/benchmarks/mlp/train_w{width}_b{batch}.tsv"
    wildcard_constraints:
        width=r"\d+",
        batch=r"\d+",
    threads: 1
    resources:
        mem_mb=2048,
        runtime=60,
    params:
        code=library_digest("mlp_train.py"),
        learning_rates=MLP["learning_rates"],
        seeds=MLP["seeds"],
        epochs=MLP["max_epochs"],
        momentums=MLP["momentums"],
        schedule=MLP["schedule"],
        device=MLP["device"],
        n_valid=CARD["n_valid"],
        cuda_graph=True,
    script:
        "../scripts/mlp_train.py"


rule mlp_collect:
    input:
        cells=mlp_cell_files,
    output:
        grid_csv="results/mlp/grid.csv",
        grid_json="results/mlp/grid.json",
        best="results/mlp/best.json",
    log:
        "logs/mlp/collect.log",
    threads: 1
    resources:
        mem_mb=2048,
        runtime=10,
    params:
        code=library_digest("mlp_collect.py"),
        epochs=MLP["epochs"],
        top=5,
    script:
        "../scripts/mlp_collect.py"


rule mlp_published:
    input:
        X_train=rules.card_split.output.X_train,
        y_train=rules.card_split.output.y_train,
        X_test=rules.card_split.output.X_test,
        y_test=rules.card_split.output.y_test,
    output:
        published="results/mlp/published.json",
    log:
        "logs/mlp/published.log",
    benchmark:
        "results/benchmarks/mlp/published.tsv"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=30,
    params:
        code=library_digest("mlp_published.py"),
        seed=MLP["published_seed"],
    script:
        "../scripts/mlp_published.py"


rule mlp_figures:
    input:
        grid="results/mlp/grid.json",
        best="results/mlp/best.json",
        published="results/mlp/published.json",
    output:
        heatmap=report(
            "results/mlp/heatmap_f1.svg",
            caption="../report/mlp_heatmap.rst",
            category="Problem 2",
        ),
        curves=report(
            "results/mlp/curves.svg",
            caption="../report/mlp_curves.rst",
            category="Problem 2",
        ),
        published=report(
            "results/mlp/published.svg",
            caption="../report/mlp_published.rst",
            category="Problem 2",
        ),
    log:
        "logs/mlp/figures.log",
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        code=library_digest("mlp_figures.py"),
    script:
        "../scripts/mlp_figures.py"
