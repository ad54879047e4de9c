# Problem 2 on the test rows, threshold by threshold: the best MLP retrained to score every test
# row, and the precision-recall curves of that model and of the tree.


rule mlp_best_scores:
    input:
        **SPLIT,
        best=rules.mlp_collect.output.best,
    output:
        scores=result_path("mlp/best_test_scores.npy"),
        model=result_path("mlp/best_model.json"),
    log:
        log_path("mlp/best_scores"),
    benchmark:
        bench_path("mlp/best_scores")
    threads: 1
    resources:
        mem_mb=by_attempt(2048),
        runtime=by_attempt(30),
    params:
        n_valid=CARD["n_valid"],
        schedule=MLP["schedule"],
        max_epochs=MLP["max_epochs"],
        device=MLP["device"],
        code=library_digest("mlp_best_scores.py"),
        versions=library_versions("mlp_best_scores.py"),
    script:
        "../scripts/mlp_best_scores.py"


rule pr_figure:
    input:
        y_test=rules.card_split.output.y_test,
        mlp_scores=rules.mlp_best_scores.output.scores,
        mlp_model=rules.mlp_best_scores.output.model,
        tree_scores=rules.tree_fit.output.scores,
    output:
        fig=report(
            result_path("report/pr_curves.svg"),
            caption="../report/pr_curves.rst",
            category="Problem 2",
        ),
        curves=result_path("report/pr_curves.json"),
    log:
        log_path("pr_figure"),
    threads: 1
    resources:
        mem_mb=by_attempt(1024),
        runtime=by_attempt(5),
    params:
        code=library_digest("pr_figure.py"),
        versions=library_versions("pr_figure.py"),
    script:
        "../scripts/pr_figure.py"
