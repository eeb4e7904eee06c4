"""Test (evaluate) a trained segmentor or classifier: :func:`test`, what
``tools/test.py`` calls after parsing its command line."""
from typing import Optional

from selfkd_seg.apis.config import load_config, prepare_test_cfg
from selfkd_seg.apis.runtime import build_runner, run_session


def test(config: str,
         checkpoint: str,
         work_dir: Optional[str] = None,
         out: Optional[str] = None,
         show: bool = False,
         show_dir: Optional[str] = None,
         wait_time: float = 2,
         interval: int = 1,
         cfg_options: Optional[dict] = None,
         launcher: str = 'none') -> dict:
    """Test ``checkpoint`` with the test set of ``config``; return the
    metrics.

    ``out``: for mmseg configs a folder receiving one prediction PNG per
    image, for mmpretrain configs a pickle file of the predictions.
    ``show``/``show_dir``/``wait_time``/``interval``: paint every
    ``interval``-th test image (see
    :func:`selfkd_seg.apis.config.prepare_test_cfg`).  ``cfg_options``:
    config overrides; ``launcher``: ``'none'``, ``'pytorch'``, ``'slurm'``
    or ``'mpi'``.
    """
    cfg = load_config(config, cfg_options)
    prepare_test_cfg(
        cfg,
        config,
        checkpoint,
        work_dir=work_dir,
        out=out,
        show=show,
        show_dir=show_dir,
        wait_time=wait_time,
        launcher=launcher,
        interval=interval)
    with run_session(cfg) as run:  # loader workers, then the process group
        run.runner = build_runner(cfg)
        metrics = run.runner.test()
        run.clean = True
    return metrics


test.__test__ = False  # a library function: pytest must not collect it
