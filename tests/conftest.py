"""Shared test set-up: make the synthetic card-data fixture (tests/synthcard.py) importable."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
