"""Experiment drivers: the toy and digits runs, multi-seed comparison tables,
fault injection.  They run tools/*.py in subprocesses in the checkout
(:data:`selfkd_research.REPO`) and may import all of selfkd_seg and the rest
of selfkd_research."""
