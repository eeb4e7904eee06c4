"""Research code of the selfkd_seg checkout: NOT part of the installed
package (``pip install`` ships :mod:`selfkd_seg` only; see README.md here).

- :mod:`selfkd_research.experiments`: the main job (toy baseline vs FRSKD),
  the digits experiment, multi-seed comparisons, fault injection.  They run
  ``tools/*.py`` in subprocesses, in the checkout.
- :mod:`selfkd_research.benchmarks`: speed, memory and FLOP measurements.
- :mod:`selfkd_research.synthetic_data`: the toy VOC/COCO/class-folder and
  digits data generators.

Scripts in ``tools/`` put the checkout on ``sys.path`` to import it; the
tests get it from ``pythonpath`` in ``pytest.ini``.
"""
import os.path as osp

# the checkout this package lives in: configs/, tools/, data/ are found here
REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

__all__ = ['REPO']
