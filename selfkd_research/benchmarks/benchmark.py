"""Pieces shared by the benchmark and comparison scripts in tools/analysis.

The benchmark scripts are thin wrappers over this module: the run options
(device, mixed precision, ``channels_last``, ``torch.compile``), peak
memory, achieved FLOP/s and the printed table live here
(docs/performance.md).  The timer (synchronised, interleaved) is the
library's, :mod:`selfkd_seg.utils.timing`, and the measured model is built
by :func:`selfkd_seg.apis.builder.build_analysis_model`; both are
re-exported here for the scripts.
"""
import argparse
import contextlib
import copy
import json
import logging
import os.path as osp
from dataclasses import asdict, dataclass, field, fields
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn as nn

from selfkd_research import REPO  # noqa: F401  (re-exported)
from selfkd_seg.apis.builder import \
    build_analysis_model as build_model  # noqa: F401  (re-exported)
from selfkd_seg.utils.timing import (  # noqa: F401  (re-exported)
    interleaved_medians, synchronize)

AMP_CHOICES = ('none', 'bf16', 'fp16')
_AMP_DTYPES = dict(bf16=torch.bfloat16, fp16=torch.float16)


@dataclass
class RunOptions:
    """How a benchmark runs its models.

    Args:
        device: 'cpu' or 'cuda' (the default CUDA device).
        amp: 'none', 'bf16' (autocast) or 'fp16' (autocast + loss scaling,
            CUDA only).
        channels_last: 4-D weights (hence activations) and inputs in
            ``channels_last`` memory format.
        compile: False, or a ``torch.compile`` backend ('inductor',
            'aot_eager', ...); ``compile_mode`` its mode.
        legacy_ops: the model as it was before docs/performance.md: the
            package's memory-efficient swish in the backbone, mmcv's
            ``x * sigmoid(x)`` swish elsewhere, ``F.pad`` before every
            TF-"same" convolution and mmseg's losses with their host
            synchronisations. Otherwise the fast path of ``tools/train.py``
            (``FastPathHook``): ``nn.SiLU`` everywhere, sync-free losses.
    """
    device: str = 'cpu'
    amp: str = 'none'
    channels_last: bool = False
    compile: object = False
    compile_mode: Optional[str] = None
    legacy_ops: bool = False

    def __post_init__(self):
        if self.amp not in AMP_CHOICES:
            raise ValueError(f'amp must be one of {AMP_CHOICES}, got '
                             f'{self.amp!r}')
        if self.device.startswith('cuda') and not torch.cuda.is_available():
            raise RuntimeError(
                f'--device {self.device}: CUDA is not available on this '
                'machine (torch.cuda.is_available() is False); run on CPU '
                '(the default) or on a machine with a GPU')
        if self.amp == 'fp16' and not self.device.startswith('cuda'):
            raise ValueError('--amp fp16 needs --device cuda (loss scaling); '
                             'on CPU use --amp bf16')

    @property
    def label(self) -> str:
        parts = [self.device, 'fp32' if self.amp == 'none' else self.amp]
        if self.channels_last:
            parts.append('channels_last')
        if self.compile:
            parts.append(f'compile({self.compile}' + (
                f', {self.compile_mode})' if self.compile_mode else ')'))
        if self.legacy_ops:
            parts.append('legacy ops')
        return ' '.join(parts)

    def autocast(self):
        """The forward's autocast context (a null context for fp32)."""
        if self.amp == 'none':
            return contextlib.nullcontext()
        return torch.autocast(
            device_type='cuda' if self.device.startswith('cuda') else 'cpu',
            dtype=_AMP_DTYPES[self.amp])

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.device)
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def maybe_compile(self, fn: Callable) -> Callable:
        if not self.compile:
            return fn
        kwargs = dict(backend=self.compile)
        if self.compile_mode:
            kwargs['mode'] = self.compile_mode
        return torch.compile(fn, **kwargs)


def add_run_arguments(parser: argparse.ArgumentParser,
                      *,
                      batch: int,
                      size: Sequence[int],
                      steps: int = 10) -> None:
    """The options every benchmark script shares."""
    parser.add_argument(
        '--device', default='cpu', help="'cpu' (default) or 'cuda'")
    parser.add_argument(
        '--amp',
        default='none',
        choices=AMP_CHOICES,
        help='mixed precision of the forward pass')
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help='channels_last weights, activations and inputs')
    parser.add_argument(
        '--compile',
        nargs='?',
        const='inductor',
        default=False,
        metavar='BACKEND',
        help='torch.compile the train step and the inference forward '
        "(backend, default 'inductor')")
    parser.add_argument(
        '--compile-mode',
        default=None,
        help="torch.compile mode, e.g. 'max-autotune'")
    parser.add_argument(
        '--legacy-ops',
        action='store_true',
        help='the model as before docs/performance.md (memory-efficient / '
        'x*sigmoid(x) swish, F.pad same padding), to measure what the '
        'change bought')
    parser.add_argument('--batch', type=int, default=batch)
    parser.add_argument('--size', type=int, nargs=2, default=tuple(size))
    parser.add_argument('--steps', type=int, default=steps)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument(
        '--json',
        default=None,
        help='also write the results to this JSON file')


def run_options(args: argparse.Namespace) -> RunOptions:
    """The parsed options; an impossible combination (CUDA without a GPU,
    fp16 on CPU) exits with a one-line message instead of a traceback."""
    try:
        return RunOptions(
            **{f.name: getattr(args, f.name)
               for f in fields(RunOptions)})
    except (RuntimeError, ValueError) as err:
        raise SystemExit(f'error: {err}')


def use_legacy_ops(model: nn.Module) -> nn.Module:
    """Undo the cheap-op changes of docs/performance.md (for measuring
    them): memory-efficient swish in EfficientNet backbones, ``F.pad`` before
    their TF-"same" convolutions, mmcv's ``x * sigmoid(x)`` swish for every
    other ``nn.SiLU``. Parameter-free: the state dict is unchanged."""
    from efficientnet_pytorch.utils import (Conv2dDynamicSamePadding,
                                            Conv2dStaticSamePadding)
    from mmcv.cnn.bricks.swish import Swish

    from selfkd_seg.models.backbones.efficientnet import (
        Conv2dSamePadding, Conv2dStaticSamePaddingFast, EfficientNetBackbone)
    backbone_modules = set()
    for module in model.modules():
        if isinstance(module, EfficientNetBackbone):
            module.set_swish(memory_efficient=True)
            backbone_modules.update(id(m) for m in module.modules())
            for conv in module.modules():
                if type(conv) is Conv2dSamePadding:
                    conv.__class__ = Conv2dDynamicSamePadding
                elif type(conv) is Conv2dStaticSamePaddingFast:
                    conv.__class__ = Conv2dStaticSamePadding
    for parent in list(model.modules()):
        if id(parent) in backbone_modules:
            continue
        for name, child in list(parent.named_children()):
            if type(child) is nn.SiLU:
                setattr(parent, name, Swish())
    return model


def prepare_model(model: nn.Module, opts: RunOptions) -> nn.Module:
    """Move ``model`` to the device and apply the run options' op and
    memory-format choices (compilation is separate: it wraps callables)."""
    from selfkd_seg.engine.fast_path import apply_fast_path
    if opts.legacy_ops:
        use_legacy_ops(model)
    else:
        apply_fast_path(model, silu=True)
    model.to(opts.device)
    if opts.channels_last:
        model.to(memory_format=torch.channels_last)
    return model


def peak_memory(fn: Callable, device: str) -> Optional[int]:
    """Peak bytes allocated on the GPU while ``fn`` runs (None on CPU)."""
    if not str(device).startswith('cuda'):
        return None
    synchronize(device)
    torch.cuda.reset_peak_memory_stats()
    fn()
    synchronize(device)
    return torch.cuda.max_memory_allocated()


@dataclass
class Measurement:
    """One model's figures in one run."""
    name: str
    seconds: float
    images: int
    flops: Optional[float] = None  # FLOPs (2 x multiply-adds) per call
    peak_bytes: Optional[int] = None

    @property
    def img_per_s(self) -> float:
        return self.images / self.seconds

    @property
    def tflops(self) -> Optional[float]:
        return None if self.flops is None else self.flops / self.seconds / 1e12

    def as_dict(self) -> dict:
        out = asdict(self)
        out.update(img_per_s=self.img_per_s, tflops=self.tflops)
        return out


def measurements(rows: Sequence[tuple], times: Dict[str, float],
                 fns: Dict[str, Callable], batch: int,
                 device: str) -> List[Measurement]:
    """A :class:`Measurement` per ``(name, key, flops)`` row: the median
    ``times[key]`` and the peak memory of one more call of ``fns[key]``."""
    return [
        Measurement(name, times[key], batch, flops,
                    peak_memory(fns[key], device)) for name, key, flops in rows
    ]


def train_flops(forward_macs: float, batch: int) -> float:
    """FLOPs of a train step: forward multiply-adds x 2 FLOPs x 3
    (forward, backward to inputs, backward to weights) x batch."""
    return 6.0 * forward_macs * batch


def infer_flops(forward_macs: float, batch: int) -> float:
    return 2.0 * forward_macs * batch


def _fmt(value, spec, none='-'):
    return none if value is None else format(value, spec)


def format_measurements(title: str, rows: List[Measurement]) -> str:
    lines = [
        title, f"{'':24s} {'ms':>9s} {'img/s':>9s} {'TFLOP/s':>8s} "
        f"{'peak GiB':>8s}"
    ]
    for m in rows:
        peak = None if m.peak_bytes is None else m.peak_bytes / 2**30
        lines.append(f'{m.name:24s} {m.seconds * 1e3:9.1f} '
                     f'{m.img_per_s:9.1f} {_fmt(m.tflops, "8.2f"):>8s} '
                     f'{_fmt(peak, "8.2f"):>8s}')
    return '\n'.join(lines)


@dataclass
class BenchmarkReport:
    """What a benchmark script prints and writes with ``--json``."""
    script: str
    options: dict
    shape: str
    train: List[Measurement] = field(default_factory=list)
    infer: List[Measurement] = field(default_factory=list)
    ratios: Dict[str, float] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(
            script=self.script,
            options=self.options,
            shape=self.shape,
            train=[m.as_dict() for m in self.train],
            infer=[m.as_dict() for m in self.infer],
            ratios=self.ratios,
            extra=self.extra)

    def write_json(self, path: Optional[str]) -> None:
        if path:
            with open(path, 'w') as f:
                json.dump(self.as_dict(), f, indent=1)


def loss_terms(model: nn.Module,
               inputs,
               data_samples,
               opts: RunOptions,
               loss_fn: Optional[Callable] = None) -> Dict[str, float]:
    """The model's loss terms on a fixed batch (floats), for comparing
    precisions and compiled vs eager. Dropout and drop-connect are the
    caller's business (switch them off for a deterministic comparison)."""
    loss_fn = loss_fn or model.loss
    with opts.autocast():
        losses = loss_fn(inputs, data_samples)
    return {
        k: float(v.detach().float().sum())
        for k, v in losses.items() if 'loss' in k
    }


def relative_differences(reference: Dict[str, float],
                         other: Dict[str, float]) -> Dict[str, float]:
    """``|other - ref| / max(|ref|, 1e-8)`` per loss term."""
    return {
        k: abs(other[k] - v) / max(abs(v), 1e-8)
        for k, v in reference.items()
    }


def disable_randomness(model: nn.Module) -> nn.Module:
    """Dropout p=0 and EfficientNet drop-connect off (train-mode BN kept),
    so two forward passes of the same model can be compared."""
    for module in model.modules():
        if isinstance(module, nn.modules.dropout._DropoutNd):
            module.p = 0.0
        if hasattr(module, '_drop_connect_rate'):
            module._drop_connect_rate = 0.0
    return model


def dtype_census(fn: Callable) -> dict:
    """Run ``fn`` once and count what the dispatcher saw: ops per output
    dtype, and dtype conversions (``_to_copy``: autocast's casts and
    explicit ``.float()``) with the bytes they wrote, per direction and per
    shape (``large_conversions``: bytes). Finds what stays in float32 or
    converts back and forth under autocast."""
    from collections import Counter

    from torch.utils._python_dispatch import TorchDispatchMode

    ops = Counter()
    converts = Counter()
    convert_bytes = Counter()
    where = Counter()

    class _Census(TorchDispatchMode):

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            name = func.overloadpacket.__name__
            first = out[0] if isinstance(out, (tuple, list)) and out else out
            if isinstance(first, torch.Tensor):
                ops[(name, str(first.dtype).replace('torch.', ''))] += 1
                src = args[0] if args and isinstance(args[0],
                                                     torch.Tensor) else None
                if name == '_to_copy' and src is not None and \
                        src.dtype != first.dtype and first.is_floating_point():
                    key = (f"{str(src.dtype).replace('torch.', '')}->"
                           f"{str(first.dtype).replace('torch.', '')}")
                    nbytes = first.numel() * first.element_size()
                    converts[key] += 1
                    convert_bytes[key] += nbytes
                    where[(key, tuple(first.shape))] += nbytes
            return out

    with _Census():
        fn()
    return dict(
        ops=dict(ops),
        conversions=dict(converts),
        conversion_bytes=dict(convert_bytes),
        large_conversions=dict(where))


def format_census(census: dict, top: int = 8) -> str:
    by_dtype = {}
    for (_, dtype), n in census['ops'].items():
        by_dtype[dtype] = by_dtype.get(dtype, 0) + n
    lines = [
        'ops by output dtype: ' +
        ', '.join(f'{d} {n}' for d, n in sorted(by_dtype.items()))
    ]
    for key, n in sorted(census['conversions'].items()):
        lines.append(f'conversions {key}: {n} '
                     f"({census['conversion_bytes'][key] / 2**20:.1f} MiB)")
    large = sorted(
        census['large_conversions'].items(), key=lambda kv: -kv[1])[:top]
    for (key, shape), nbytes in large:
        lines.append(f'  {key} {shape}: {nbytes / 2**20:.1f} MiB')
    return '\n'.join(lines)


def toy_cls_recipe(cfg, data_root: str, work_dir: str, *, batch: int,
                   lr: float, epochs: int, seed: int):
    """Turn a toy classification config into a short, comparable CPU run:
    CIFAR-style augmentation, cosine lr over ``epochs``, one validation and
    one checkpoint at the end, the given seed. Modifies ``cfg`` in place."""
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.dataset.data_root = data_root
        loader.batch_size = batch
    cfg.train_dataloader.dataset.pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='RandomCrop', crop_size=32, padding=4),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='PackInputs'),
    ]
    cfg.optim_wrapper.optimizer.lr = lr
    cfg.param_scheduler = dict(
        type='CosineAnnealingLR', by_epoch=True, T_max=epochs)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=epochs)
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=50)
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=epochs, max_keep_ckpts=1)
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    return cfg


def compile_train_step(model: nn.Module, opts: RunOptions) -> nn.Module:
    """What mmengine's ``compile`` config does (``Runner._maybe_compile``):
    replace ``model.train_step`` by its ``torch.compile``'d version."""
    if opts.compile:
        model.train_step = opts.maybe_compile(model.train_step)
    return model


def runner_optim_wrapper(model: nn.Module, cfg, opts: RunOptions):
    """The optimizer wrapper ``tools/train.py`` builds for ``model``.

    ``cfg.optim_wrapper`` as the config writes it (optimizer,
    ``paramwise_cfg``,
    gradient clipping, ``accumulative_counts``), turned into the mixed-
    precision wrapper of ``--amp`` for ``opts.amp`` (``amp_optim_wrapper_cfg``,
    as ``prepare_train_cfg`` does), built by mmengine's
    ``build_optim_wrapper`` (what ``Runner.build_optim_wrapper`` calls) and
    with its accumulation counter started as ``Runner.train`` starts it.
    """
    from mmengine.logging import MMLogger
    from mmengine.optim import build_optim_wrapper

    from selfkd_seg.engine.optim_wrappers import amp_optim_wrapper_cfg
    wrapper_cfg = copy.deepcopy(cfg.optim_wrapper)
    if opts.amp != 'none':
        wrapper_cfg = amp_optim_wrapper_cfg(wrapper_cfg, opts.amp)
    # mmengine logs one INFO line per parameter of a ``paramwise_cfg``
    # (e.g. SegFormer's); a benchmark's output keeps its table instead
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        optim_wrapper = build_optim_wrapper(model, wrapper_cfg)
    finally:
        logger.setLevel(level)
    # no finite max_iters here: never the shortened last accumulation
    optim_wrapper.initialize_count_status(model, 0, 2**62)
    return optim_wrapper


def runner_train_step_fn(model: nn.Module, cfg, data: dict,
                         opts: RunOptions) -> Callable:
    """A callable running what ``tools/train.py`` runs per optimizer update.

    Each call is ``model.train_step(data, optim_wrapper)`` (the call of
    mmengine's train loops: data preprocessor, forward, loss, backward and
    the optimizer wrapper's update) ``accumulative_counts`` times, i.e. one
    update of the weights; the wrapper is :func:`runner_optim_wrapper`'s,
    ``train_step`` compiled as the ``compile`` config key would for
    ``opts.compile``. ``model`` is prepared already (:func:`prepare_model`,
    the ``FastPathHook``'s changes) and in train mode; ``data`` is a data
    batch as a dataloader yields it (:func:`data_batch`). The callable's
    ``iterations`` says how many ``train_step`` calls it makes and its
    ``optim_wrapper`` is the wrapper.
    """
    optim_wrapper = runner_optim_wrapper(model, cfg, opts)
    compile_train_step(model, opts)
    iterations = optim_wrapper._accumulative_counts

    def step():
        for _ in range(iterations):
            model.train_step(dict(data), optim_wrapper)

    step.iterations = iterations
    step.optim_wrapper = optim_wrapper
    return step


def _options_label(options: dict) -> str:
    parts = [
        options.get('device', 'cpu'),
        'fp32' if options.get('amp', 'none') == 'none' else options['amp']
    ]
    if options.get('channels_last'):
        parts.append('channels_last')
    if options.get('compile'):
        parts.append(f"compile({options['compile']})")
    if options.get('legacy_ops'):
        parts.append('legacy ops')
    return ' '.join(parts)


def markdown_table(reports: Sequence[dict],
                   names: Optional[Sequence[str]] = None) -> str:
    """One markdown row per benchmark report (``--json`` output): train
    and inference images/s per model, TFLOP/s, peak GiB, ratios and the
    fixed-batch loss check (largest relative difference to float32)."""
    lines = [
        '| row | input | run | train img/s | train TFLOP/s | train peak GiB'
        ' | inference img/s | ratios | loss check (max rel.) |',
        '|---|---|---|---|---|---|---|---|---|'
    ]

    def per_model(rows, key, spec):
        return ' / '.join(f"{r['name']} {format(r[key], spec)}" if r.
                          get(key) is not None else f"{r['name']} -"
                          for r in rows)

    for i, rep in enumerate(reports):
        name = names[i] if names else rep.get('script', '')
        peak = [
            dict(
                r,
                peak_gib=None
                if r.get('peak_bytes') is None else r['peak_bytes'] / 2**30)
            for r in rep['train']
        ]
        check = rep.get('extra', {}).get('check_losses')
        worst = (f"{max(check['relative'].values()):.1e}" if check else '')
        ratios = ', '.join(f'{k} {v:.2f}'
                           for k, v in rep.get('ratios', {}).items())
        lines.append(
            f"| {name} | {rep['shape']} | {_options_label(rep['options'])}"
            f" | {per_model(rep['train'], 'img_per_s', '.1f')}"
            f" | {per_model(rep['train'], 'tflops', '.3g')}"
            f" | {per_model(peak, 'peak_gib', '.1f')}"
            f" | {per_model(rep['infer'], 'img_per_s', '.1f')}"
            f' | {ratios} | {worst} |')
    return '\n'.join(lines)


# ------------------------------------------------- models and data of a run


def load_cfg(path: str):
    """The config at ``path`` (relative to the repository root, or
    absolute), its default scope made current."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(osp.join(REPO, path))
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    return cfg


def training_only_keys() -> tuple:
    """The model-config keys that exist only for training a teacher-student
    model: ``teacher`` and :attr:`TeacherStudentMixin.TEACHER_ARGS`."""
    from selfkd_seg.models.distillers import TeacherStudentMixin
    return ('teacher', ) + TeacherStudentMixin.TEACHER_ARGS


def plain_student_cfg(model_cfg, model_type: str = 'ImageClassifier'):
    """The plain student of a teacher-student model config: a copy without
    :func:`training_only_keys`, of type ``model_type``."""
    model = copy.deepcopy(model_cfg)
    for key in training_only_keys():
        model.pop(key, None)
    model['type'] = model_type
    return model


def fake_batch(task: str,
               batch: int,
               size: Sequence[int],
               num_classes: int,
               device: str = 'cpu',
               uint8: bool = False):
    """A fixed random batch (generator seed 0): ``(inputs, data_samples)``.

    ``task`` 'seg': ``SegDataSample`` with a random ``gt_sem_seg`` each;
    'cls': mmpretrain ``DataSample`` with a random label each. Inputs are
    float ``randn`` (already normalised, for ``model.loss``) or, with
    ``uint8``, raw images (for ``train_step``'s data preprocessor);
    ``dict(inputs=list(inputs), data_samples=samples)`` is the data batch
    ``train_step`` takes."""
    size = tuple(size)
    gen = torch.Generator().manual_seed(0)
    if uint8:
        inputs = torch.randint(
            0, 256, (batch, 3, *size), generator=gen, dtype=torch.uint8)
    else:
        inputs = torch.randn(batch, 3, *size, generator=gen)
    if task == 'seg':
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample
        samples = []
        for _ in range(batch):
            label = torch.randint(0, num_classes, (1, *size), generator=gen)
            sample = SegDataSample(gt_sem_seg=PixelData(data=label.to(device)))
            sample.set_metainfo(
                dict(img_shape=size, ori_shape=size, pad_shape=size))
            samples.append(sample)
        return inputs, samples
    if task != 'cls':
        raise ValueError(f"task must be 'seg' or 'cls', got {task!r}")
    from mmpretrain.structures import DataSample
    labels = torch.randint(0, num_classes, (batch, ), generator=gen)
    return inputs, [
        DataSample().set_gt_label(int(y)).to(device) for y in labels
    ]


def data_batch(task: str, batch: int, size: Sequence[int],
               num_classes: int) -> dict:
    """A fixed batch as a dataloader yields it to ``train_step``: raw uint8
    images and their data samples (:func:`fake_batch` with ``uint8``)."""
    images, samples = fake_batch(task, batch, size, num_classes, uint8=True)
    return dict(inputs=list(images), data_samples=samples)


def set_crop_size(cfg, size: Sequence[int]) -> None:
    """Make a segmentation config's data preprocessor pad to ``size`` (as
    the config's ``crop_size`` would) instead of its own crop size, so the
    timed step sees the benchmark's input size. A no-op without one."""
    for node in (cfg.get('data_preprocessor'),
                 cfg.model.get('data_preprocessor')):
        if node is not None and node.get('size') is not None:
            node['size'] = tuple(size)


def inference_fn(model: nn.Module, inputs, opts: RunOptions) -> Callable:
    """``model(inputs, mode='tensor')`` per call, without gradients, under
    the run's autocast, compiled as ``opts`` says. Puts ``model`` in eval
    mode."""
    model.eval()
    forward = opts.maybe_compile(lambda x: model(x, mode='tensor'))

    def run():
        with torch.no_grad(), opts.autocast():
            forward(inputs)

    return run


def exported_student(model: nn.Module, student: nn.Module,
                     opts: RunOptions) -> nn.Module:
    """``student`` (the plain model, freshly built) holding ``model``'s
    deployable weights: its state dict without the training-only parts
    (``strip_distill_only``), loaded strictly; prepared for ``opts``."""
    from selfkd_seg.models.utils.distill import strip_distill_only
    student.load_state_dict(
        {
            k: v.cpu()
            for k, v in strip_distill_only(model.state_dict()).items()
        },
        strict=True)
    return prepare_model(student, opts)
