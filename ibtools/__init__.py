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
from ibtools.binning import entropy_binned, mi_binned
from ibtools.closed_form import (
    entropy_gaussian,
    entropy_gaussian_mixture_1d,
    mi_gaussian,
    mi_gaussian_from_correlation,
)
from ibtools.sp import (
    EntropyBounds,
    MonteCarloEstimate,
    NoisyLayerMI,
    entropy_gaussian_mixture,
    entropy_gaussian_mixture_bounds,
    mi_noisy_layer,
)

__all__ += [
    "EntropyBounds",
    "MonteCarloEstimate",
    "NoisyLayerMI",
    "entropy_binned",
    "entropy_gaussian",
    "entropy_gaussian_mixture",
    "entropy_gaussian_mixture_1d",
    "entropy_gaussian_mixture_bounds",
    "mi_binned",
    "mi_gaussian",
    "mi_gaussian_from_correlation",
    "mi_noisy_layer",
]

# --- estimators: kNN and KDE (knn.py, kde.py) ---
from ibtools.kde import bandwidth_kde, entropy_kde
from ibtools.knn import entropy_knn, mi_knn, mi_ksg

__all__ += ["bandwidth_kde", "entropy_kde", "entropy_knn", "mi_knn", "mi_ksg"]

# --- estimators: neural bounds (neural.py) ---
from ibtools import synthetic
from ibtools.neural import NeuralMIResult, mi_neural

__all__ += ["NeuralMIResult", "mi_neural", "synthetic"]

# --- noisy networks and the SZT experiment (noisy.py, datasets.py, clustering.py) ---
from ibtools import szt
from ibtools.clustering import ClassCosine, cosine_similarity_by_class
from ibtools.datasets import SZTData, find_data_dir, load_szt, split_train_test
from ibtools.noisy import (
    NoisyMLP,
    evaluate_noiseless,
    hidden_noiseless,
    log_spaced_epochs,
    sample_layers,
    train_noisy_mlp,
)
from ibtools.szt import SZTConfig, SZTResult, compression_table, peak_and_fall, run_szt

__all__ += [
    "ClassCosine",
    "NoisyMLP",
    "SZTConfig",
    "SZTData",
    "SZTResult",
    "compression_table",
    "cosine_similarity_by_class",
    "evaluate_noiseless",
    "find_data_dir",
    "hidden_noiseless",
    "load_szt",
    "log_spaced_epochs",
    "peak_and_fall",
    "run_szt",
    "sample_layers",
    "split_train_test",
    "szt",
    "train_noisy_mlp",
]

# --- single-neuron toy (single_neuron.py) ---
from ibtools import single_neuron
from ibtools.single_neuron import (
    check_single_neuron_parameters,
    density_single_neuron,
    mi_single_neuron,
    mi_single_neuron_sp,
    single_neuron_phases,
    train_single_neuron,
)

__all__ += [
    "check_single_neuron_parameters",
    "density_single_neuron",
    "mi_single_neuron",
    "mi_single_neuron_sp",
    "single_neuron",
    "single_neuron_phases",
    "train_single_neuron",
]

# --- compression for the synthetic-image benchmark (compression.py) ---
from ibtools import mi_benchmark
from ibtools.compression import (
    CompressionResult,
    Compressor,
    ConvAutoencoder,
    compress,
    fit_compressor,
)
from ibtools.mi_benchmark import (
    CODE_ESTIMATORS,
    NEURAL_ESTIMATORS,
    ConvCritic,
    benchmark_guide,
    check_image_benchmark_parameters,
    default_image_estimators,
    error_table,
    fit_image_compressors,
    mi_entropy_whitened,
    mi_grid,
    mi_on_codes,
    run_image_benchmark,
    run_lowdim_benchmark,
    summarise,
    torch_threads,
    tracking_limit,
)

__all__ += [
    "CODE_ESTIMATORS",
    "CompressionResult",
    "Compressor",
    "ConvAutoencoder",
    "ConvCritic",
    "NEURAL_ESTIMATORS",
    "benchmark_guide",
    "check_image_benchmark_parameters",
    "compress",
    "default_image_estimators",
    "error_table",
    "fit_compressor",
    "fit_image_compressors",
    "mi_benchmark",
    "mi_entropy_whitened",
    "mi_grid",
    "mi_on_codes",
    "run_image_benchmark",
    "run_lowdim_benchmark",
    "summarise",
    "torch_threads",
    "tracking_limit",
]
