"""tools/fault_injection.py follows a run through mmengine's scalars.json."""
import os.path as osp

from mmengine.visualization import LocalVisBackend

from selfkd_research.experiments.fault_injection import (read_progress,
                                                         scalars_files)


def _log_like_mmengine(work_dir):
    """What LoggerHook writes for 3 logged iterations and a validation."""
    backend = LocalVisBackend(
        osp.join(work_dir, '20240101_000000', 'vis_data'))
    for step in (1, 2, 3):
        backend.add_scalars(
            dict(
                lr=0.01,
                loss=1.0 / step,
                time=0.5,
                data_time=0.1,
                iter=step,
                memory=0),
            step=step)
    backend.add_scalars(
        dict(aAcc=91.5, mIoU=42.25, mAcc=50.0, data_time=0.1, time=0.2),
        step=3)
    return osp.join(work_dir, '20240101_000000', 'vis_data', 'scalars.json')


def test_progress_and_final_metrics_come_from_scalars_json(tmp_path):
    path = _log_like_mmengine(str(tmp_path))
    assert scalars_files(str(tmp_path)) == {path}
    progress = read_progress(path)
    assert progress == dict(
        train_iters=[1, 2, 3],
        last_iter=3,
        val=dict(aAcc=91.5, mIoU=42.25, mAcc=50.0))
    # a record still being written is left for the next look
    with open(path, 'a') as f:
        f.write('{"lr": 0.01, "loss": 0.2')
    assert read_progress(path)['last_iter'] == 3
    # before the run has written anything
    assert read_progress(None) == dict(train_iters=[], last_iter=None, val={})
