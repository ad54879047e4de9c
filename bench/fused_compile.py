"""Registers and spills of the fused Triton kernel, compiled for sm_90 (H100/H200) without a GPU.

For each width, the launch configuration :func:`hw6lib.mlp.fused.launch_config` picks and a few
others (rows per chunk, warps): registers per thread and bytes of stack (spills) per thread, as
``cuobjdump --dump-resource-usage`` (shipped in the Triton wheel) reports them for the cubin.
Prints one line per configuration; ``--json`` writes them too.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from pathlib import Path

import triton

from hw6lib.mlp.fused import compile_offline, launch_config


def usage(kernel) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as tmp:
        cubin = Path(tmp) / "k.cubin"
        cubin.write_bytes(kernel.asm["cubin"])
        tool = Path(triton.__file__).parent / "backends" / "nvidia" / "bin" / "cuobjdump"
        out = subprocess.run(
            [str(tool), "--dump-resource-usage", str(cubin)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return {k.lower(): int(v) for k, v in re.findall(r"(REG|STACK):(\d+)", out)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", type=int, default=90)
    ap.add_argument("--json")
    args = ap.parse_args()
    rows = []
    for width in (4, 8, 16, 32, 64, 128):
        default = launch_config(width)
        for chunk, warps in sorted({default, (16, 4), (32, 4), (64, 4), (64, 8), (16, 8)}):
            for momentum in (0.0, 0.9) if (chunk, warps) == default else (0.0,):
                k = compile_offline(width, momentum, chunk, warps, arch=args.arch)
                row = {
                    "width": width,
                    "chunk": chunk,
                    "warps": warps,
                    "momentum": momentum,
                    "default": (chunk, warps) == default,
                    **usage(k),
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
