"""Figure files: the style every figure shares and the deterministic SVG they are saved as.

No dates, fixed ids (a fixed hash salt), text kept as text, written atomically: a figure's
file is the same, byte for byte, in two runs of the same configuration.
"""

from __future__ import annotations

import io
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from hw6lib.pipeline.resultfiles import atomic_open

#: Matplotlib settings shared by every figure of the report (deterministic SVG output).
STYLE = {
    "svg.hashsalt": "hw6",
    "svg.fonttype": "none",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> None:
    """Save a figure as SVG without a timestamp, atomically, and close it."""
    buf = io.StringIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(
            buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight"
        )
    plt.close(fig)
    with atomic_open(path, "w") as f:
        f.write(buf.getvalue())
