"""Fixtures shared by the end-to-end tests: tiny toy data and configs."""
import os.path as osp
import uuid

import pytest
import torch

import selfkd_seg  # noqa: F401  (compat + registrations before mmseg)
from mmengine.config import Config

from selfkd_seg.testing.toy_voc import make_toy_voc

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

# keep the suite predictable on 2 shared cores
torch.set_num_threads(1)


@pytest.fixture(autouse=True, scope='session')
def fast_config_text():
    """Skip yapf when a Runner prints and dumps its config: ~1 s per call,
    several calls per Runner.  The unformatted text is the same config."""
    import mmengine.config.config as config_module
    original = config_module.FormatCode
    config_module.FormatCode = lambda text, **kwargs: (text, False)
    yield
    config_module.FormatCode = original


@pytest.fixture(autouse=True)
def isolated_default_scope():
    """A test's ``init_default_scope('mmseg')`` (or a Runner's) must not
    change which registry the next test builds from: mmengine keeps the
    latest DefaultScope as a process-wide current instance."""
    from mmengine.registry import DefaultScope
    before = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(before)


def config_path(*parts) -> str:
    return osp.join(REPO, 'configs', *parts)


@pytest.fixture(scope='session')
def toy_voc_64(tmp_path_factory):
    """4 train / 2 val toy images of 64x64 (session-wide, read-only)."""
    root = str(tmp_path_factory.mktemp('toy_voc_64'))
    make_toy_voc(root, num_train=4, num_val=2, img_size=(64, 64), seed=0)
    return root


def shrink_seg_cfg(cfg: Config, data_root: str, work_dir: str,
                   max_iters: int = 2) -> Config:
    """Make a toy segmentation config run in seconds: 64 px, batch 2, no
    workers, a 1-layer BiFPN of width 16 (self-teacher included; an SFD
    teacher gets a 1-layer BiFPN of width 24), val and checkpoint at
    ``max_iters``."""
    train_pipeline = [
        dict(type='LoadImageFromFileChecked'),
        dict(type='LoadAnnotationsChecked'),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackSegInputs')
    ]
    for split, pipeline in (('train', train_pipeline), ('val', None),
                            ('test', None)):
        loader = cfg[f'{split}_dataloader']
        loader.batch_size = 2
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.dataset.data_root = data_root
        if pipeline is not None:
            loader.dataset.pipeline = pipeline
    cfg.model.data_preprocessor.size = (64, 64)
    cfg.model.neck.out_channels = 16
    cfg.model.neck.num_layers = 1
    cfg.model.decode_head.in_channels = 16
    cfg.model.decode_head.channels = 16
    if 'self_teacher' in cfg.model:
        cfg.model.self_teacher.neck.in_channels = [16] * 6
        cfg.model.self_teacher.neck.out_channels = 16
        cfg.model.self_teacher.neck.num_layers = 1
    teacher = cfg.model.get('teacher')
    if teacher is not None and 'neck' in teacher:
        # SFD: a frozen teacher segmentor, kept wider (24) than the student
        teacher.neck.out_channels = 24
        teacher.neck.num_layers = 1
        teacher.decode_head.in_channels = 24
        teacher.decode_head.channels = 16
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = max_iters
    cfg.default_hooks.checkpoint.interval = max_iters
    cfg.default_hooks.logger.interval = 1
    cfg.param_scheduler = [
        dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0)
    ]
    for hook in cfg.get('custom_hooks', []):
        if hook['type'] == 'DistillWeightScheduleHook':
            hook.update(warmup=0, ramp=0)  # distill from the first step
    cfg.work_dir = work_dir
    cfg.experiment_name = f'test_{uuid.uuid4().hex[:8]}'
    cfg.visualizer.save_dir = work_dir
    # mmseg's runtime names every visualizer 'visualizer', and mmengine
    # returns an existing instance of that name (with an earlier test's
    # save_dir): a unique name gives each runner its own
    cfg.visualizer.name = cfg.experiment_name
    return cfg


@pytest.fixture
def tiny_seg_cfg(toy_voc_64, tmp_path):
    """Factory: tiny_seg_cfg('toy/frskd_d0_toy.py', max_iters=2) -> Config."""

    def factory(name: str, max_iters: int = 2, work_dir: str = None):
        cfg = Config.fromfile(config_path(name))
        return shrink_seg_cfg(cfg, toy_voc_64, work_dir or str(tmp_path),
                              max_iters)

    return factory
