"""What the report says about the run itself: its git state and its CPU."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup


def provenance_sentences(pv: Mapping[str, Any]) -> dict[str, Markup]:
    """Say the git state and the CPU of the run in words.

    Parameters
    ----------
    pv : mapping
        :func:`hw6lib.provenance.collect_provenance`: ``git`` (``commit``, ``dirty``:
        ``None`` when unknown) and ``cpu`` (may be absent or empty).

    Returns
    -------
    dict
        ``git`` and ``cpu`` (empty when the CPU is not recorded).
    """
    git = pv.get("git") or {}
    commit = git.get("commit") or "unknown (not a git checkout)"
    state = ""
    if git.get("dirty"):
        state = Markup(" <strong>with uncommitted changes</strong>")
    elif git.get("dirty") is False:
        state = ", clean working tree"
    out = {"git": Markup("Git commit <code>{}</code>{}.").format(commit, state), "cpu": Markup()}
    cpu = pv.get("cpu")
    if cpu:
        env = "".join(f", {k}={v}" for k, v in sorted(cpu.get("environment", {}).items()) if v)
        out["cpu"] = Markup(
            "CPU: {}; numpy dispatches to {}, torch's CPU kernels to {}{} (these decide the last "
            "bits of the floating-point results; see the README's Reproducibility section)."
        ).format(
            cpu.get("model") or "unknown",
            ", ".join(cpu.get("numpy_simd") or ["its baseline"]),
            cpu.get("torch_cpu_capability") or "unknown",
            env,
        )
    return out
