"""Device, dtype and chunking helpers shared by every estimator."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Return the torch device to compute on.

    Parameters
    ----------
    device : str, torch.device or None, default="auto"
        ``"auto"`` or ``None`` picks CUDA when torch sees a GPU and the CPU otherwise;
        anything else is passed to :class:`torch.device`.

    Returns
    -------
    torch.device
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu', 'cuda' or 'cuda:N'"
        ) from err


def make_generator(seed: int | None, device: torch.device) -> torch.Generator:
    """A local torch generator on ``device``, seeded from ``seed`` (fresh entropy when None)."""
    generator = torch.Generator(device=device)
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(int(seed))
    return generator


def row_chunks(n_rows: int, chunk_size: int) -> Iterator[slice]:
    """Slices of at most ``chunk_size`` consecutive rows covering ``range(n_rows)``."""
    for start in range(0, n_rows, chunk_size):
        yield slice(start, min(start + chunk_size, n_rows))


def reduce_row_chunks(
    rows: torch.Tensor,
    block_fn: Callable[[torch.Tensor, slice], torch.Tensor],
    chunk_size: int,
) -> torch.Tensor:
    """Apply ``block_fn`` to ``chunk_size``-row blocks of ``rows`` and concatenate the results.

    This is the single place where pairwise work is chunked: ``block_fn(block, rows_slice)``
    compares one block of rows with all columns it needs and reduces that block to one value
    (or one small vector) per row, so memory stays O(chunk_size x n_columns).
    """
    outputs = [block_fn(rows[sl], sl) for sl in row_chunks(rows.shape[0], chunk_size)]
    return torch.cat(outputs, dim=0)
