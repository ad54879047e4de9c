"""Write the synthetic stand-in for card_transdata.csv, in the real file's format."""

from typing import TYPE_CHECKING

from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]) as log:
    from hw6lib.card.synthetic import generate_card_data, write_card_csv

    rows, seed = snakemake.params.rows, snakemake.params.seed
    frame = generate_card_data(rows, seed)
    write_card_csv(frame, snakemake.output.csv)
    log.info("wrote %d synthetic rows (seed %d), fraud rate %.4f", rows, seed, frame.fraud.mean())
