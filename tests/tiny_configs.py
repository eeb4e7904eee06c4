"""Tiny, deterministic toy configs of every method, for tests.

:func:`shrink_seg_cfg` makes a toy segmentation config run in seconds;
:func:`tiny_cfg` does that for every method of :data:`METHODS` (the
reliability, DDP and fast-path tests); :func:`make_tiny_data` writes the toy
data they read.  Adding a method is one line in :data:`METHODS`.  Configs
come from the checkout's ``configs/`` (:func:`config_path`).  Imported as
``tiny_configs`` (``pytest.ini`` puts ``tests/`` on the path).
"""
import os.path as osp
import uuid

from mmengine.config import Config

from selfkd_research.synthetic_data.toy_cls import make_toy_cls
from selfkd_research.synthetic_data.toy_voc import make_toy_voc

# the checkout's configs/ (the tests run in a checkout, next to it)
CONFIGS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')


def config_path(*parts) -> str:
    return osp.join(CONFIGS, *parts)


def shrink_seg_cfg(cfg: Config,
                   data_root: str,
                   work_dir: str,
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
    for split, pipeline in (('train', train_pipeline), ('val', None), ('test',
                                                                       None)):
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


# method -> (toy config, 'seg' | 'cls')
METHODS = {
    'baseline': ('efficientdet_seg/efficientdet-d0_240it_toy.py', 'seg'),
    'frskd_seg': ('frskd_seg/frskd_efficientdet-d0_240it_toy.py', 'seg'),
    'frskd_cls': ('frskd_cls/frskd_wrn-10-1_4e_toy.py', 'cls'),
    'sfd_seg':
    ('sfd_seg/sfd_efficientdet-d0-bifpn48_efficientdet-d0_240it_toy.py',
     'seg'),
    'sfd_cls': ('sfd_cls/sfd_resnet8x4_resnet8_20it_toy.py', 'cls'),
}


def make_tiny_data(root: str) -> dict:
    """Toy segmentation (4 train / 2 val, 64 px) and classification data."""
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
        type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=max_iters, by_epoch=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.log_processor = dict(by_epoch=False)
    cfg.work_dir = work_dir
    return cfg


def tiny_cfg(method: str,
             data: dict,
             work_dir: str,
             max_iters: int = 2,
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
