"""What ``tools/train.py`` and ``tools/test.py`` do to a config.

Loading (``selfkd_seg::`` names, scope and no-download checks), work dir,
device fallbacks (SyncBN, nccl, CPU DDP), the reliability hooks,
``--resume``/``--amp``/``--auto-scale-lr``, the fast path's switches, and
the test script's ``--out``/``--show``/``--show-dir``.  Kept out of the
scripts so both mmseg and mmpretrain configs go through the same, tested
code path; the codebase is chosen by the config's ``default_scope``.  Starting
and ending a run (the
process group, teardown) is :mod:`selfkd_seg.apis.runtime`.
"""
import logging
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log

from selfkd_seg.engine.checkpoint_io import resolve_auto_resume
from selfkd_seg.engine.optim_wrappers import amp_optim_wrapper_cfg

SUPPORTED_SCOPES = ('mmseg', 'mmpretrain')
# Hooks every training run gets (docs/reliability.md): exact resume, a clear
# stop on NaN/inf losses, a checkpoint on Ctrl-C/SIGTERM, classes and label
# values checked against the model before the first step.  A config may list
# one itself (in custom_hooks or default_hooks) to change its arguments; set
# ``reliability_hooks = False`` in a config to train without them.
RELIABILITY_HOOKS = ('RNGStateHook', 'NonFiniteLossHook',
                     'InterruptCheckpointHook', 'DatasetModelCheckHook')

# mmpretrain datasets whose ``download`` defaults to True
DOWNLOADING_DATASETS = ('CIFAR10', 'CIFAR100', 'MNIST', 'FashionMNIST')


def find_downloading_datasets(node, where: str = 'cfg') -> list:
    """Config paths of datasets that would download at run time."""
    found = []
    if isinstance(node, (dict, ConfigDict)):
        kind = str(node.get('type', '')).split('.')[-1]
        if kind in DOWNLOADING_DATASETS and node.get('download', True):
            found.append(where)
        for key, value in node.items():
            found += find_downloading_datasets(value, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            found += find_downloading_datasets(value, f'{where}[{i}]')
    return found


def _raise_if_extra_missing(path: str, text: str, cause=None) -> None:
    """A clear ``ModuleNotFoundError`` when ``text`` (a scope, an error)
    names an optional codebase that is not installed (mmpretrain: the
    classification configs)."""
    from selfkd_seg.registry import EXTRAS, has_codebase
    for codebase, hint in EXTRAS.items():
        if codebase in (text or '') and not has_codebase(codebase):
            raise ModuleNotFoundError(
                f'{path} is a {codebase} config (classification), and '
                f'{codebase} is not installed: {hint}',
                name=codebase) from cause


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config, apply ``--cfg-options`` and check its scope.

    A dataset that would download at run time (mmpretrain's CIFAR datasets
    default to ``download=True``) is refused: training must never depend on
    the network; put the data in place and set ``download=False``.

    ``path`` is a file or a package's config, ``selfkd_seg::<path under
    configs/>`` (``mmseg::...``, ``mmpretrain::...``): see
    :func:`selfkd_seg.utils.get_config_path`.  A classification config
    without mmpretrain installed is a ``ModuleNotFoundError`` saying what to
    install.
    """
    if '::' in path:
        from selfkd_seg.utils.configs import get_config_path
        file = get_config_path(path)
    elif not osp.isfile(path):
        raise FileNotFoundError(f'config file {path!r} does not exist')
    else:
        file = path
    try:
        cfg = Config.fromfile(file)
    except ModuleNotFoundError as err:  # e.g. an mmpretrain:: _base_
        _raise_if_extra_missing(path, str(err), err)
        raise
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    scope = cfg.get('default_scope')
    if scope not in SUPPORTED_SCOPES:
        raise ValueError(f'{path}: default_scope must be one of '
                         f'{SUPPORTED_SCOPES} (it decides whether mmseg or '
                         f'mmpretrain runs the config), got {scope!r}')
    _raise_if_extra_missing(path, scope)
    downloading = [
        where
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader')
        if key in cfg for where in find_downloading_datasets(cfg[key], key)
    ]
    if downloading:
        raise ValueError(
            f'{path}: {", ".join(downloading)} would download its data at '
            'run time (download defaults to True); put the dataset under '
            'its data_root (or data_prefix) and set download=False')
    return cfg


def default_work_dir(cfg: Config, config_path: str,
                     work_dir: Optional[str]) -> str:
    """CLI > config's ``work_dir`` > ./work_dirs/<config name>."""
    if work_dir is not None:
        return work_dir
    if cfg.get('work_dir') is not None:
        return cfg.work_dir
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def replace_sync_bn(node) -> int:
    """Turn every ``SyncBN`` norm config below ``node`` into ``BN``.

    SyncBN needs a distributed run on GPUs: on one process it is plain BN
    anyway, and with gloo on CPU torch refuses it.  Returns the count.
    """
    count = 0
    if isinstance(node, (dict, ConfigDict)):
        if node.get('type') == 'SyncBN':
            node['type'] = 'BN'
            count += 1
        for value in node.values():
            count += replace_sync_bn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            count += replace_sync_bn(value)
    return count


def adapt_to_device(cfg: Config, launcher: str) -> None:
    """Make GPU-ready configs run where there is no GPU (or one process)."""
    distributed = launcher != 'none'
    if not (distributed and torch.cuda.is_available()):
        if replace_sync_bn(cfg.model):
            print_log(
                'SyncBN -> BN: the run is not distributed over GPUs',
                logger='current')
    dist_cfg = cfg.get('env_cfg', {}).get('dist_cfg', {})
    if distributed and not torch.cuda.is_available() and dist_cfg.get(
            'backend', 'nccl') == 'nccl':
        cfg.env_cfg.dist_cfg.backend = 'gloo'
        print_log('dist backend nccl -> gloo: no GPU', logger='current')
    if distributed and not torch.cuda.is_available():
        # mmengine wraps the model with device_ids=[LOCAL_RANK], which torch
        # refuses for a CPU module; CPU DDP needs device_ids=None
        wrapper = cfg.get('model_wrapper_cfg') or dict(
            type='MMDistributedDataParallel',
            find_unused_parameters=cfg.get('find_unused_parameters', False))
        wrapper['device_ids'] = None
        cfg.model_wrapper_cfg = wrapper


def add_reliability_hooks(cfg: Config) -> Config:
    """Append the :data:`RELIABILITY_HOOKS` the config does not list."""
    if cfg.get('reliability_hooks', True) is False:
        return cfg
    hooks = list(cfg.get('custom_hooks', None) or [])
    listed = hooks + list((cfg.get('default_hooks', None) or {}).values())
    present = {hook.get('type') for hook in listed if isinstance(hook, dict)}
    hooks += [dict(type=t) for t in RELIABILITY_HOOKS if t not in present]
    cfg.custom_hooks = hooks
    return cfg


def prepare_train_cfg(cfg: Config,
                      config_path: str,
                      work_dir: Optional[str] = None,
                      resume=False,
                      amp: bool = False,
                      auto_scale_lr: bool = False,
                      launcher: str = 'none') -> Config:
    """Apply the train script's switches to ``cfg`` (in place) and return it.

    ``resume``: False, True/'auto' (latest checkpoint in work_dir) or a path.
    ``amp``: False, True/'auto', 'bf16' or 'fp16' (see
    :func:`~selfkd_seg.engine.optim_wrappers.amp_optim_wrapper_cfg`).
    """
    cfg.launcher = launcher
    cfg.work_dir = default_work_dir(cfg, config_path, work_dir)
    adapt_to_device(cfg, launcher)
    add_reliability_hooks(cfg)
    if amp:
        if cfg.optim_wrapper.get('type') in ('AmpOptimWrapper',
                                             'AutocastOptimWrapper'):
            print_log(
                'AMP training is already enabled in your config.',
                logger='current',
                level=logging.WARNING)
        cfg.optim_wrapper = amp_optim_wrapper_cfg(
            cfg.optim_wrapper, amp if isinstance(amp, str) else None)
    if resume in (True, 'auto'):
        # the newest COMPLETE checkpoint (a truncated file or pointer is
        # skipped); none: start from scratch
        found = resolve_auto_resume(cfg.work_dir)
        cfg.resume, cfg.load_from = found is not None, found
    elif resume:
        if not osp.isfile(resume):
            raise FileNotFoundError(
                f'--resume checkpoint {resume!r} does not exist')
        cfg.resume, cfg.load_from = True, resume
    else:
        cfg.resume = False
    if auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in (
                cfg.auto_scale_lr or {}):
            raise KeyError('--auto-scale-lr needs auto_scale_lr=dict('
                           'base_batch_size=...) in the config')
        cfg.auto_scale_lr.enable = True
    return cfg


COMPILE_MODES = ('default', 'reduce-overhead', 'max-autotune',
                 'max-autotune-no-cudagraphs')


def apply_speed_options(cfg: Config,
                        channels_last: Optional[bool] = None,
                        compile=None,
                        cudnn_benchmark: Optional[bool] = None) -> Config:
    """The fast path's switches (docs/performance.md), in place.

    Each argument left at None keeps what the config says.

    - ``channels_last``: the top-level config key ``channels_last``
      (default False): model weights and activations in ``channels_last``
      memory format (:class:`~selfkd_seg.engine.fast_path.FastPathHook`).
    - ``compile``: mmengine's own ``compile`` key (``torch.compile`` of
      ``train_step``: forward, self-teacher and losses; backward runs the
      compiled backward graphs): True, a mode name from
      :data:`COMPILE_MODES`, or a dict of ``torch.compile`` arguments.
    - ``cudnn_benchmark``: ``env_cfg.cudnn_benchmark`` (fixed-size crops:
      cuDNN picks the fastest kernels once per shape).

    A :class:`FastPathHook` is added unless the config lists one or sets
    ``fast_path = False``: swish modules run as ``nn.SiLU`` (same function,
    no parameters) and, with ``channels_last``, the weights are converted.
    """
    if channels_last is not None:
        cfg.channels_last = bool(channels_last)
    if compile is not None and compile is not False:
        if compile is True or compile == 'default':
            compile = dict()
        elif isinstance(compile, str):
            if compile not in COMPILE_MODES:
                raise ValueError(f'--compile mode must be one of '
                                 f'{COMPILE_MODES}, got {compile!r}')
            compile = dict(mode=compile)
        cfg.compile = dict(compile)
    if cudnn_benchmark is not None:
        env_cfg = dict(cfg.get('env_cfg') or {})
        env_cfg['cudnn_benchmark'] = bool(cudnn_benchmark)
        cfg.env_cfg = env_cfg
    if cfg.get('fast_path', True) is False:
        if cfg.get('channels_last', False):
            raise ValueError('channels_last needs the FastPathHook, but the '
                             'config sets fast_path = False')
        return cfg
    hooks = list(cfg.get('custom_hooks', None) or [])
    listed = [
        h for h in hooks
        if isinstance(h, dict) and h.get('type') == 'FastPathHook'
    ]
    if listed:
        if cfg.get('channels_last', False):
            listed[0]['channels_last'] = True
    else:
        hooks.append(
            dict(
                type='FastPathHook',
                silu=True,
                channels_last=bool(cfg.get('channels_last', False))))
    cfg.custom_hooks = hooks
    return cfg


def prepare_test_cfg(cfg: Config,
                     config_path: str,
                     checkpoint: str,
                     work_dir: Optional[str] = None,
                     out: Optional[str] = None,
                     show: bool = False,
                     show_dir: Optional[str] = None,
                     wait_time: float = 2,
                     launcher: str = 'none',
                     interval: int = 1) -> Config:
    """Apply the test script's switches to ``cfg`` (in place) and return it.

    ``show``/``show_dir`` paint every ``interval``-th test image (default:
    every image; the configs' visualization hooks default to 50 (mmseg) or
    5000 (mmpretrain) for painting during validation).  mmseg writes
    ``show_dir/vis_data/vis_image/test_<image>_0.png``, mmpretrain
    ``show_dir/<class folder>_<image>_0.png``.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist')
    cfg.launcher = launcher
    cfg.work_dir = default_work_dir(cfg, config_path, work_dir)
    adapt_to_device(cfg, launcher)
    cfg.load_from = checkpoint
    scope = cfg.default_scope
    if show or show_dir:
        enable_test_visualization(cfg, show, show_dir, wait_time, interval)
    if out is not None:
        if scope == 'mmseg':
            # IoUMetric writes one PNG per image to output_dir
            evaluators = cfg.test_evaluator if isinstance(
                cfg.test_evaluator, list) else [cfg.test_evaluator]
            for evaluator in evaluators:
                evaluator['output_dir'] = out
                evaluator['keep_results'] = True
        else:
            evaluators = cfg.test_evaluator if isinstance(
                cfg.test_evaluator, list) else [cfg.test_evaluator]
            cfg.test_evaluator = list(evaluators) + [
                dict(type='DumpResults', out_file_path=out)
            ]
    return cfg


def enable_test_visualization(cfg: Config,
                              show: bool = False,
                              show_dir: Optional[str] = None,
                              wait_time: float = 2,
                              interval: int = 1) -> Config:
    """Make the config's visualization hook paint the test images.

    mmseg's ``SegVisualizationHook`` paints every ``interval``-th batch
    (``draw``), mmpretrain's ``VisualizationHook`` every ``interval``-th
    sample (``enable``); with ``interval=1`` both paint every image.
    mmpretrain's hook becomes :class:`ClassFolderVisualizationHook`, which
    keeps the class folder in the file name so same-named images of
    different classes do not overwrite each other.
    """
    if int(interval) < 1:
        raise ValueError(f'the visualization interval must be >= 1, got '
                         f'{interval}')
    hooks = cfg.get('default_hooks') or {}
    if 'visualization' not in hooks:
        raise KeyError('--show/--show-dir need a "visualization" entry in '
                       'default_hooks of the config')
    vis = hooks['visualization']
    vis.interval = int(interval)
    if cfg.default_scope == 'mmseg':
        vis.draw = True
        if show:
            vis.show = True
            vis.wait_time = wait_time
        if show_dir:
            cfg.visualizer.save_dir = show_dir
            cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    else:  # mmpretrain, as its tools/test.py does
        if str(vis.get('type')).split('.')[-1] == 'VisualizationHook':
            vis.type = 'ClassFolderVisualizationHook'
        vis.enable = True
        vis.show = bool(show)
        vis.wait_time = wait_time
        vis.out_dir = show_dir
    return cfg
