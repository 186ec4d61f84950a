"""Pictures of change of variables, drawn from covar's own derivations (``covar.plot``).

* :func:`plot_transform` — the map (identity and g), the density of X and the density of
  Y = g(X), side by side; each monotone piece of g and its image share a colour, the
  contributions of the pieces are stacked, point masses are drawn as stems; optionally a
  histogram of samples of g(X) (module :mod:`.figure`).
* :func:`animate_transform` — g_t(x) = (1 - t)·x + t·g(x) for t from 0 to 1, derived by the
  engine at every frame, written as a GIF and optionally an HTML player (:mod:`.animation`).
* :func:`plot_joint_transform` — a 2-D map: density before, density after with the warped
  image of a grid, and log|det J| of the map (:mod:`.joint`).

Shared pieces: :mod:`.canvas` (matplotlib without pyplot state), :mod:`.values` (numbers
from the engine's results), :mod:`.panels` (drawing one derivation). Every curve of a
density comes from the engine; nothing here writes a density by hand. matplotlib and pillow
come with ``pip install "covar[plot]"``; without them importing this package raises
:class:`covar.errors.MissingExtra`.
"""
from covar.render.plot.canvas import PIECE_COLOURS, mathtext, require_matplotlib

require_matplotlib()

from covar.render.plot.animation import Animation, Frame, animate_transform, derive_frames, interpolated_map  # noqa: E402
from covar.render.plot.figure import derive_steps, plot_transform  # noqa: E402
from covar.render.plot.joint import joint_mass, plot_joint_transform  # noqa: E402
from covar.render.plot.values import Mass, continuous_mass_of, plot_range  # noqa: E402

__all__ = [
    "PIECE_COLOURS", "Animation", "Frame", "Mass", "animate_transform", "continuous_mass_of", "derive_frames",
    "derive_steps", "interpolated_map", "joint_mass", "mathtext", "plot_joint_transform", "plot_range",
    "plot_transform",
]
