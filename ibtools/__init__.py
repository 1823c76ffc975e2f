"""ibtools: entropy and mutual-information estimators for information flow in deep networks.

All information quantities are in nats unless a name says otherwise (``*_bits``).
"""

from ibtools._torch import resolve_device
from ibtools.results import ChapterRun, check_results_dir, scorecard, verdict_from_checks

__version__ = "0.1.0"

__all__ = [
    "ChapterRun",
    "check_results_dir",
    "resolve_device",
    "scorecard",
    "verdict_from_checks",
]

# --- estimators: closed forms, sample propagation, binning (sp.py, closed_form.py, binning.py) ---

# --- estimators: kNN and KDE (knn.py, kde.py) ---

# --- estimators: neural bounds (neural.py) ---

# --- noisy networks and the SZT experiment (noisy.py, datasets.py, clustering.py) ---

# --- single-neuron toy (single_neuron.py) ---

# --- compression for the synthetic-image benchmark (compression.py) ---
