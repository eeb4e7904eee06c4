"""Plans: how a :class:`SegSelfTeacher` is derived from a built student.

A plan reads the student (its built modules and its config) and the
``self_teacher`` config of a FRSKD segmentor and returns the
:class:`SegSelfTeacher` config: which student levels it reads, the BiFPN
stack, and its head. Two plans:

- :class:`BiFPNStackPlan` (the paper, ``FRSKDSegmentor``): more layers of
  the student's own BiFPN on every level of its BiFPN outputs, a copy of its
  head.
- :class:`LevelPlan` (``FRSKDEncoderDecoder`` and
  ``FRSKDCascadeEncoderDecoder``): chosen levels of any mmseg model's
  ``extract_feat``, found by a probe, refined by a :class:`WeightedBiFPN`,
  with a copy of the student's head remapped to the refined levels (checked
  by a gradient probe) or an aggregation head.

Plans run inside the self-teacher's random stream (the segmentor builds
them there): every module they build for a probe draws from it, never from
the student's.
"""
import copy
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.logging import print_log
from mmseg.models.decode_heads import DepthwiseSeparableASPPHead
from mmseg.registry import MODELS as SEG_MODELS
from torch import nn

from selfkd_seg.models.distillers import level_shapes, neck_level_channels
from selfkd_seg.models.utils.distill import check_config_keys
from .head_runners import head_class, is_head


def _check_num_classes(model, head_cfg: dict) -> None:
    if head_cfg.get('num_classes') != model.num_classes:
        raise ValueError(
            'self_teacher.decode_head.num_classes must equal the student '
            f'decode_head.num_classes ({model.num_classes}), got '
            f"{head_cfg.get('num_classes')}")


class BiFPNStackPlan:
    """The paper's self-teacher: more BiFPN layers on the student's BiFPN.

    ``self_teacher`` keys: ``neck`` (required; without a ``type`` it is the
    student's neck config with the given keys changed, fed with the
    student's BiFPN outputs, and ``last_layer_top_down=True``), optional
    ``decode_head`` (default: a copy of the student's) and ``detach_input``.
    """

    KEYS = ('neck', 'decode_head', 'detach_input')

    def check_student(self, student_cfg: dict, owner: str) -> None:
        if student_cfg.get('neck') is None:
            raise ValueError(f'{owner} needs a multi-level neck (BiFPN) '
                             'for the self-teacher to refine; neck is None. '
                             'For a model without one (any mmseg '
                             'EncoderDecoder) use FRSKDEncoderDecoder')

    def __call__(self, model, self_teacher: dict, student_cfg: dict,
                 head_runner) -> dict:
        owner = type(model).__name__
        check_config_keys(self_teacher, self.KEYS, f'{owner} self_teacher')
        if 'neck' not in self_teacher:
            raise KeyError('self_teacher must have a "neck" config (the '
                           'BiFPN layers stacked on the student BiFPN)')
        head_cfg = copy.deepcopy(
            dict(
                self_teacher.get('decode_head')
                or head_runner.head_cfg_to_copy(student_cfg['decode_head'])))
        neck_cfg = dict(self_teacher['neck'])
        if 'type' not in neck_cfg:
            # more layers of the student's own BiFPN, fed with its outputs
            inherited = copy.deepcopy(dict(student_cfg['neck']))
            inherited.update(in_channels=None)
            if 'min_level' in inherited:
                inherited['backbone_min_level'] = inherited['min_level']
            inherited['last_layer_top_down'] = True
            neck_cfg = {**inherited, **neck_cfg}
        expected = neck_level_channels(model)
        if neck_cfg.get('in_channels') is None:
            neck_cfg['in_channels'] = expected
        in_channels = neck_cfg.get('in_channels')
        if expected is not None and in_channels is not None:
            if isinstance(in_channels, int):
                in_channels = [in_channels] * len(expected)
            if list(in_channels) != expected:
                raise ValueError(
                    'self_teacher.neck.in_channels must match the student '
                    f'neck outputs: expected {expected}, got '
                    f'{list(in_channels)}')
        _check_num_classes(model, head_cfg)
        return dict(
            type='SegSelfTeacher',
            neck=neck_cfg,
            decode_head=head_cfg,
            detach_input=self_teacher.get('detach_input', False))


class LevelPlan:
    """A BiFPN self-teacher on chosen levels of any model's features.

    ``self_teacher`` keys: ``in_index`` (default all levels), ``channels``
    (default 128), ``num_layers`` (default 2), ``norm_cfg`` (default the
    student head's), ``neck`` (more :class:`WeightedBiFPN` arguments),
    ``decode_head`` (None: the student head's copy or, where a copy cannot
    read the same levels, an aggregation head; ``'aggregate'``; or a head
    config), ``last_layer_top_down``, ``detach_input``, ``probe_size``
    (default 128). See :class:`FRSKDEncoderDecoder`.
    """

    KEYS = ('in_index', 'channels', 'num_layers', 'norm_cfg', 'neck',
            'decode_head', 'last_layer_top_down', 'detach_input', 'probe_size')

    def check_student(self, student_cfg: dict, owner: str) -> None:
        """Any encoder-decoder: its levels are checked once it is built."""

    def __call__(self, model, self_teacher: dict, student_cfg: dict,
                 head_runner) -> dict:
        owner = type(model).__name__
        decode_head = head_runner.head_cfg_to_copy(student_cfg['decode_head'])
        check_config_keys(self_teacher, self.KEYS, f'{owner} self_teacher')
        probe_size = int(self_teacher.get('probe_size', 128))
        shapes = self.probe_levels(model, probe_size)
        levels = self.select_levels(model, self_teacher.get('in_index'),
                                    shapes)
        channels = int(self_teacher.get('channels', 128))
        norm_cfg = self_teacher.get('norm_cfg') or dict(
            decode_head.get('norm_cfg') or dict(type='BN'))

        head_cfg = self_teacher.get('decode_head')
        default_head = head_cfg is None
        why = None  # why the default head is the aggregation head
        read = None  # the refined levels the head reads, probed below
        if default_head:
            head_cfg, read, levels, why = self.default_head(
                model, head_runner, decode_head, levels, shapes, channels)
        elif head_cfg == 'aggregate':
            head_cfg, why = None, 'decode_head="aggregate"'
        elif not isinstance(head_cfg, dict):
            raise TypeError('self_teacher.decode_head must be None, '
                            f'"aggregate" or a head config, got {head_cfg!r}')
        sizes = [shapes[i][1] for i in levels]
        # finest first for the BiFPN; ties keep the config's order
        order = sorted(
            range(len(levels)), key=lambda k: -(sizes[k][0] * sizes[k][1]))
        head_cfg = (
            copy.deepcopy(dict(head_cfg)) if head_cfg is not None else
            self.aggregate_head(model, decode_head, order, channels, norm_cfg))
        _check_num_classes(model, head_cfg)
        if read is None:
            read = self.levels_read(head_cfg, sizes, channels)
        top_down = self.choose_top_down(
            read, order, self_teacher.get('last_layer_top_down'))
        if top_down is None:
            if not default_head:
                raise ValueError(
                    'self_teacher.decode_head reads refined level(s) '
                    f'{sorted(levels[k] for k in read)} only, none of them '
                    'the finest or the coarsest of in_index='
                    f'{tuple(levels)}: the BiFPN levels off its path would '
                    'never train and AT would distil random features. Let it '
                    'read the finest or the coarsest level, or use '
                    'decode_head="aggregate"')
            why = (f'the student head reads only level(s) '
                   f'{sorted(levels[k] for k in read)}, in the middle of '
                   f'in_index={tuple(levels)}')
            # the aggregation head reads every level: bottom-up outputs
            head_cfg = self.aggregate_head(model, decode_head, order, channels,
                                           norm_cfg)
            top_down = False
        if default_head and why:
            print_log(
                f'{owner}: the self-teacher uses an '
                f'aggregation head (SegformerHead) because {why}',
                logger='current')

        neck_cfg = dict(
            type='WeightedBiFPN',
            in_channels=[shapes[levels[k]][0] for k in order],
            out_channels=channels,
            num_layers=int(self_teacher.get('num_layers', 2)),
            min_level=0,
            max_level=len(levels) - 1,
            backbone_min_level=0,
            norm_cfg=norm_cfg,
            last_layer_top_down=top_down)
        neck_cfg.update(self_teacher.get('neck') or {})
        return dict(
            type='SegSelfTeacher',
            neck=neck_cfg,
            decode_head=head_cfg,
            in_index=levels,
            order=order,
            detach_input=self_teacher.get('detach_input', False))

    # ------------------------------------------------------------------
    @staticmethod
    def probe_levels(model, size: int) -> List[Tuple[int, Tuple[int, int]]]:
        """(channels, (h, w)) of each ``extract_feat`` output for a
        ``size`` x ``size`` zero image (:func:`level_shapes`)."""
        try:
            return level_shapes(model, size)
        except RuntimeError as err:
            raise RuntimeError(f'{err} (set self_teacher.probe_size)') from err

    @staticmethod
    def select_levels(model, in_index, shapes) -> List[int]:
        num = len(shapes)
        described = ', '.join(f'{i}: {c} ch {h}x{w}'
                              for i, (c, (h, w)) in enumerate(shapes))
        source = 'neck' if model.with_neck else 'backbone'
        where = (f'the student\'s extract_feat ({source}) gives {num} '
                 f'level{"s" if num != 1 else ""} [{described}] at the '
                 'probe size')
        if num < 2:
            raise ValueError(
                'FRSKD\'s self-teacher refines at least 2 feature levels '
                f'with a BiFPN, and {where} (the probe runs in eval mode). '
                'Single-level models (e.g. ERFNet) are not supported by '
                f'{type(model).__name__}: distil such a model from a trained '
                'teacher instead (SFDSegmentor with a logit term, KD, CWD or '
                'DIST: configs/sfd_seg/, docs/segmentation_distillation.md; '
                'it needs no levels), or give it a neck that outputs several '
                'levels. Models that return more levels in training mode '
                'only (PIDNet, DDRNet: their heads also return tuples in '
                'training) are supported by neither yet')
        if in_index is None:
            in_index = list(range(num))
        elif isinstance(in_index, int):
            in_index = [in_index]
        levels = []
        for i in in_index:
            if isinstance(i, bool) or not isinstance(i, int):
                raise TypeError(f'self_teacher.in_index must hold ints, got '
                                f'{i!r}')
            if not -num <= i < num:
                raise ValueError(
                    f'self_teacher.in_index: level {i} is out of range: '
                    f'{where}; valid indices are {-num}..{num - 1}')
            levels.append(i % num)
        if len(set(levels)) != len(levels):
            raise ValueError(f'self_teacher.in_index names a level twice: '
                             f'{tuple(in_index)} ({where})')
        if len(levels) < 2:
            raise ValueError(
                'self_teacher.in_index must choose at least 2 levels for the '
                f'BiFPN self-teacher, got {tuple(in_index)}: {where}')
        return levels

    def default_head(self, model, head_runner, decode_head: dict,
                     levels: List[int], shapes, channels: int):
        """The self-teacher's default head: ``(config, refined levels it
        reads, levels, None)`` for the student head's copy, the levels in
        the order the copy needs them; ``(None, None, levels, why)`` for the
        aggregation head."""
        head_cfg, head_levels, why = self.student_head_copy(
            decode_head, levels, len(shapes), channels)
        if head_cfg is None:
            return None, None, levels, why
        # the copy must read the refined versions of exactly the levels the
        # student head reads (a head may read inputs besides in_index)
        read = self.levels_read(head_cfg, [shapes[i][1] for i in head_levels],
                                channels)
        copy_reads = sorted(head_levels[k] for k in read)
        student_reads = sorted(
            self.inputs_read(head_runner.head_to_copy(model), shapes))
        if copy_reads != student_reads:
            return None, None, levels, (
                f'the student head ({decode_head.get("type")}) reads level(s) '
                f'{student_reads}, its copy on the refined levels '
                f'{tuple(head_levels)} would read {copy_reads}')
        if head_levels != levels:
            readers = '; '.join(self.fixed_reads(decode_head).values())
            print_log(
                f'{type(model).__name__}: the self-teacher\'s levels are '
                f'{tuple(head_levels)} (self_teacher.in_index='
                f'{tuple(levels)} reordered): {readers}, so the student '
                'head\'s copy finds the refined level there',
                logger='current')
        return head_cfg, read, head_levels, None

    @staticmethod
    def fixed_reads(head_cfg: dict) -> Dict[int, str]:
        """The positions of its inputs a head reads whatever its
        ``in_index`` says (for the student: those levels of
        ``extract_feat``), each with what reads it."""
        if is_head(head_cfg, DepthwiseSeparableASPPHead) and head_cfg.get(
                'c1_in_channels', 0) > 0:
            return {
                0:
                f'{head_class(head_cfg).__name__}\'s c1 branch '
                '(c1_in_channels > 0) reads inputs[0] whatever in_index says'
            }
        return {}

    def student_head_copy(self, decode_head: dict, levels: List[int],
                          num_levels: int, channels: int):
        """The student's head config on the refined levels and the levels in
        the order it needs them, or ``(None, levels, why)``.

        A level the head reads at a fixed position of its inputs
        (:meth:`fixed_reads`) is moved to that position."""
        cfg = copy.deepcopy(dict(decode_head))
        in_index = cfg.get('in_index', -1)
        many = isinstance(in_index, (list, tuple))
        for i in (in_index if many else [in_index]):
            if i % num_levels not in levels:
                return None, levels, (
                    f'the student head reads level {i}, which is not in '
                    f'self_teacher.in_index={tuple(levels)}')
        fixed = self.fixed_reads(cfg)
        for position, reader in fixed.items():
            if position not in levels:
                return None, levels, (
                    f'the student head reads level {position} ({reader}), '
                    'which is not in self_teacher.in_index='
                    f'{tuple(levels)}; add level {position} to '
                    'self_teacher.in_index for a copy of the student head')
        levels = list(levels)
        for position in sorted(fixed):
            levels.remove(position)
            levels.insert(position, position)
        remapped = [
            levels.index(i % num_levels)
            for i in (in_index if many else [in_index])
        ]
        cfg['in_index'] = remapped if many else remapped[0]
        for key, value in list(cfg.items()):
            if key == 'in_channels' or key.endswith('_in_channels'):
                cfg[key] = ([channels] * len(value) if isinstance(
                    value, (list, tuple)) else channels)
        return cfg, levels, None

    @staticmethod
    def aggregate_head(model, decode_head: dict, order: List[int],
                       channels: int, norm_cfg: dict) -> dict:
        """An all-MLP head over every refined level, finest first."""
        return dict(
            type='SegformerHead',
            in_channels=[channels] * len(order),
            in_index=list(order),
            channels=channels,
            dropout_ratio=0.1,
            num_classes=model.num_classes,
            norm_cfg=norm_cfg,
            align_corners=model.align_corners,
            loss_decode=copy.deepcopy(
                decode_head.get(
                    'loss_decode',
                    dict(
                        type='CrossEntropyLoss',
                        use_sigmoid=False,
                        loss_weight=1.0))))

    def levels_read(self, head_cfg: dict, sizes, channels: int) -> set:
        """Which refined levels ``head_cfg``'s head uses (a gradient probe)."""
        head = SEG_MODELS.build(copy.deepcopy(head_cfg))
        return self.inputs_read(head, [(channels, size) for size in sizes])

    @staticmethod
    def inputs_read(head: nn.Module, shapes) -> set:
        """Which of its inputs a built head's output depends on: a gradient
        probe with zero features of the given ``(channels, (h, w))``, in
        eval mode (no random numbers drawn, no running statistics updated;
        the head's mode is restored), leaving the parameters' ``.grad``."""
        param = next(head.parameters(), None)
        device = param.device if param is not None else None
        probes = [
            torch.zeros(1, c, h, w, device=device, requires_grad=True)
            for c, (h, w) in shapes
        ]
        was_training = head.training
        head.eval()
        try:
            with torch.enable_grad():
                out = head(probes)
                out = out[0] if isinstance(out, (list, tuple)) else out
                grads = torch.autograd.grad(
                    out.float().sum(), probes, allow_unused=True)
        finally:
            head.train(was_training)
        return {k for k, g in enumerate(grads) if g is not None}

    @staticmethod
    def choose_top_down(read: set, order: List[int],
                        forced: Optional[bool]) -> Optional[bool]:
        """Bottom-up outputs if the head reads the coarsest level, the
        top-down pass if it reads the finest; None if neither."""
        if forced is not None:
            return bool(forced)
        if order[-1] in read:
            return False
        if order[0] in read:
            return True
        return None
