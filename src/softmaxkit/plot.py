"""Figures of the softmax family and of the softmax classifier (needs matplotlib).

Every function takes ``ax=None`` and returns what it drew on: its Axes, or an array of
Axes for figures of several panels. matplotlib is imported when a figure is first drawn;
nothing here uses pyplot's global state.

>>> from softmaxkit import plot
>>> ax = plot.softmax_vs_input([1.0, 2.0, 3.0])[0]
>>> ax.get_lines()[0].get_ydata().round(8).tolist()
[0.09003057, 0.24472847, 0.66524096]
"""

from ._plot import (
    agreement,
    axis_heatmaps,
    confusion_matrix,
    exp_curve,
    expected_calibration_error,
    grid_search_heatmap,
    loss_curve,
    output_range,
    reliability_diagram,
    save_figure,
    smooth_max_vs_max,
    softmax_vs_input,
    softmax_vs_std_norm,
    temperature_sweep,
    weight_templates,
)

__all__ = [
    "agreement",
    "axis_heatmaps",
    "confusion_matrix",
    "exp_curve",
    "expected_calibration_error",
    "grid_search_heatmap",
    "loss_curve",
    "output_range",
    "reliability_diagram",
    "save_figure",
    "smooth_max_vs_max",
    "softmax_vs_input",
    "softmax_vs_std_norm",
    "temperature_sweep",
    "weight_templates",
]
