"""Figures of the softmax family and of the softmax classifier (needs matplotlib).

Every function takes ``ax=None`` and returns what it drew on: its Axes, or an array of
Axes for figures of several panels. matplotlib is imported when a figure is first drawn;
nothing here uses pyplot's global state.

>>> from softmaxkit import plot
>>> ax = plot.softmax_vs_input([1.0, 2.0, 3.0])[0]
>>> ax.get_lines()[0].get_ydata().round(8).tolist()
[0.09003057, 0.24472847, 0.66524096]
"""

# The names are those of the implementation module's __all__.
from ._plotting.figures import *  # noqa: F403
from ._plotting.figures import __all__  # noqa: F401
