# Problem 2: the fraud MLP grid (one job per width x batch size, and per depth where the grid
# varies it: MLP_CELL in common.smk; every learning rate and seed trained at once), the collected table and the best configuration, the replicated published run,
# and the figures.


rule mlp_train:
    input:
        **SPLIT,
    output:
        cell=result_path(f"mlp/cells/{MLP_CELL}.json"),
    log:
        log_path(f"mlp/train_{MLP_CELL}"),
    benchmark:
        bench_path(f"mlp/train_{MLP_CELL}")
    wildcard_constraints:
        layers=r"\d+",
        width=r"\d+",
        batch=r"\d+",
    priority: mlp_train_priority
    threads: 1
    resources:
        mem_mb=by_attempt(2048),
        runtime=by_attempt(60),
    params:
        code=library_digest("mlp_train.py"),
        versions=library_versions("mlp_train.py"),
        learning_rates=MLP["learning_rates"],
        seeds=MLP["seeds"],
        depth=mlp_cell_depth,
        epochs=MLP["max_epochs"],
        momentums=MLP["momentums"],
        schedule=MLP["schedule"],
        device=MLP["device"],
        engine=MLP["engine"],
        n_valid=CARD["n_valid"],
        cuda_graph=True,
    script:
        "../scripts/mlp_train.py"


rule mlp_collect:
    input:
        cells=all_jobs(rules.mlp_train.output.cell),
    output:
        grid_csv=result_path("mlp/grid.csv"),
        grid_json=result_path("mlp/grid.json"),
        best=result_path("mlp/best.json"),
    log:
        log_path("mlp/collect"),
    threads: 1
    resources:
        mem_mb=by_attempt(2048),
        runtime=by_attempt(10),
    params:
        code=library_digest("mlp_collect.py"),
        versions=library_versions("mlp_collect.py"),
        epochs=MLP["epochs"],
        top=5,
    script:
        "../scripts/mlp_collect.py"


rule mlp_published:
    input:
        **SPLIT,
    output:
        published=result_path("mlp/published.json"),
    log:
        log_path("mlp/published"),
    benchmark:
        bench_path("mlp/published")
    threads: 1
    resources:
        mem_mb=by_attempt(2048),
        runtime=by_attempt(30),
    params:
        code=library_digest("mlp_published.py"),
        versions=library_versions("mlp_published.py"),
        seed=MLP["published_seed"],
    script:
        "../scripts/mlp_published.py"


rule mlp_figures:
    input:
        grid=rules.mlp_collect.output.grid_json,
        best=rules.mlp_collect.output.best,
        published=rules.mlp_published.output.published,
    output:
        heatmap=report(
            result_path("mlp/heatmap_f1.svg"),
            caption="../report/mlp_heatmap.rst",
            category="Problem 2",
        ),
        curves=report(
            result_path("mlp/curves.svg"),
            caption="../report/mlp_curves.rst",
            category="Problem 2",
        ),
        published=report(
            result_path("mlp/published.svg"),
            caption="../report/mlp_published.rst",
            category="Problem 2",
        ),
    log:
        log_path("mlp/figures"),
    threads: 1
    resources:
        mem_mb=by_attempt(1024),
        runtime=by_attempt(5),
    params:
        code=library_digest("mlp_figures.py"),
        versions=library_versions("mlp_figures.py"),
    script:
        "../scripts/mlp_figures.py"
