"""Experiment drivers: the toy and digits runs, multi-seed comparison tables,
fault injection.  The top floor: may import every other subpackage."""
