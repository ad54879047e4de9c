"""Load and validate the card data, split it in file order and write the arrays and a summary."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]) as log:
    from hw6lib.card.split import split_card_file
    from hw6lib.pipeline.resultfiles import save_array, write_json

    p = snakemake.params
    arrays, summary = split_card_file(snakemake.input.csv, p.n_train, p.n_valid, p.kind, p.seed)
    for name, array in arrays.items():
        save_array(snakemake.output[name], array)
    write_json(snakemake.output.summary, summary)
    log.info(
        "%s data %s: %d rows, sha256 %s; fraud rate train %.4f, test %.4f",
        p.kind,
        snakemake.input.csv,
        summary["source"]["rows"],
        summary["source"]["sha256"],
        summary["fraud_rate"]["train"],
        summary["fraud_rate"]["test"],
    )
