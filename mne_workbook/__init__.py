"""mne-workbook: Excel-native generator and reader for results-based M&E matrices."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
