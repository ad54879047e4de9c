# Problem 2 on the test rows, threshold by threshold: the best MLP retrained to score every test
# row, and the precision-recall curves of that model and of the tree.


rule mlp_best_scores:
    input:
        X_train=rules.card_split.output.X_train,
        y_train=rules.card_split.output.y_train,
        X_test=rules.card_split.output.X_test,
        y_test=rules.card_split.output.y_test,
        best=rules.mlp_collect.output.best,
    output:
        scores="results/mlp/best_test_scores.npy",
        model="results/mlp/best_model.json",
    log:
        "logs/mlp/best_scores.log",
    benchmark:
        "results/benchmarks/mlp/best_scores.tsv"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=30,
    params:
        n_valid=CARD["n_valid"],
        schedule=MLP["schedule"],
        max_epochs=MLP["max_epochs"],
        device=MLP["device"],
        code=library_digest("mlp_best_scores.py"),
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
            "results/report/pr_curves.svg",
            caption="../report/pr_curves.rst",
            category="Problem 2",
        ),
        curves="results/report/pr_curves.json",
    log:
        "logs/pr_figure.log",
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        code=library_digest("pr_figure.py"),
    script:
        "../scripts/pr_figure.py"
