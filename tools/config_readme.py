"""Write config/README.md from the configuration schema (tests/test_config.py keeps them in step).

.venv/bin/python tools/config_readme.py
"""

from pathlib import Path

from hw6lib.pipeline.config import load_schema
from hw6lib.pipeline.configdoc import schema_markdown

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    schema = load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")
    out = ROOT / "config" / "README.md"
    out.write_text(schema_markdown(schema), encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
