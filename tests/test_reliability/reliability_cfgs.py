"""Tiny, deterministic configs of every method for the reliability tests.

Used by the tests and by ``ddp_driver.py`` (run under torchrun), so it only
depends on the package and ``tests/conftest.py``'s ``shrink_seg_cfg``.
Adding a method is one line in :data:`METHODS`.
"""
import importlib.util
import os.path as osp

import selfkd_seg  # noqa: F401
from mmengine.config import Config

TESTS = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _tests_conftest():
    """tests/conftest.py, loaded by path (``conftest`` is ambiguous)."""
    spec = importlib.util.spec_from_file_location(
        'selfkd_tests_conftest', osp.join(TESTS, 'conftest.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_conftest = _tests_conftest()
config_path, shrink_seg_cfg = _conftest.config_path, _conftest.shrink_seg_cfg

# method -> (toy config, 'seg' | 'cls')
METHODS = {
    'baseline': ('toy/efficientdet_d0_toy.py', 'seg'),
    'frskd_seg': ('toy/frskd_d0_toy.py', 'seg'),
    'frskd_cls': ('toy/frskd_cls_toy.py', 'cls'),
    'sfd_seg': ('toy/sfd_seg_toy.py', 'seg'),
    'sfd_cls': ('toy/sfd_cls_toy.py', 'cls'),
}


def make_data(root: str) -> dict:
    """Toy segmentation (4 train / 2 val, 64 px) and classification data."""
    from selfkd_seg.testing.toy_cls import make_toy_cls
    from selfkd_seg.testing.toy_voc import make_toy_voc
    seg = osp.join(root, 'seg')
    cls = osp.join(root, 'cls')
    make_toy_voc(seg, num_train=4, num_val=2, img_size=(64, 64), seed=0)
    make_toy_cls(cls, dict(train=2, val=1))
    return dict(seg=seg, cls=cls)


def _shrink_cls_cfg(cfg: Config, data_root: str, work_dir: str,
                    max_iters: int) -> Config:
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.dataset.data_root = data_root
        loader.batch_size = 4
        loader.num_workers = 0
    cfg.train_cfg = dict(
        type='IterBasedTrainLoop', max_iters=max_iters,
        val_interval=max_iters)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=max_iters, by_epoch=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.log_processor = dict(by_epoch=False)
    cfg.work_dir = work_dir
    return cfg


def tiny_cfg(method: str, data: dict, work_dir: str, max_iters: int = 2,
             ckpt_interval: int = None) -> Config:
    """The method's toy config, shrunk to run in seconds, deterministic.

    The train sampler is mmengine's ``InfiniteSampler``: with the toy
    configs' ``DefaultSampler`` an iteration-based loop restarts the data
    loader every 2 iterations here and mmengine sleeps 2 s each time.
    """
    name, kind = METHODS[method]
    cfg = Config.fromfile(config_path(name))
    if kind == 'seg':
        cfg = shrink_seg_cfg(cfg, data['seg'], work_dir, max_iters)
    else:
        cfg = _shrink_cls_cfg(cfg, data['cls'], work_dir, max_iters)
    cfg.train_dataloader.sampler = dict(type='InfiniteSampler', shuffle=True)
    cfg.default_hooks.checkpoint.interval = ckpt_interval or max_iters
    cfg.randomness = dict(seed=0, deterministic=True)
    for hook in cfg.get('custom_hooks', []):
        if hook['type'] == 'SelfDistillHook':
            hook.update(interval=1, by_epoch=False)  # blend every iteration
    return cfg


def dump_tiny_cfg(method: str, data: dict, out_dir: str, **kwargs) -> str:
    """Write :func:`tiny_cfg` to ``out_dir/<method>.py`` and return it."""
    cfg = tiny_cfg(method, data, osp.join(out_dir, method), **kwargs)
    path = osp.join(out_dir, f'{method}.py')
    cfg.dump(path)
    return path
