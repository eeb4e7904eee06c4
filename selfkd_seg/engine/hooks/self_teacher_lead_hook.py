"""Does the self-teacher lead the student? Scored at every validation, and
on a held-out part of the training set for the lead gate."""
import copy
import logging
from contextlib import contextmanager
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from selfkd_seg.models.distillers import SelfTeacherLeadTarget
from selfkd_seg.registry import HOOKS
from .rng_state_hook import capture_rng_state, restore_rng_state


@contextmanager
def _global_rng_untouched():
    """Python, numpy and torch (CUDA) generators as they were on entry:
    building a data loader (its sampler draws a seed from numpy) or
    iterating one (torch draws a base seed) leaves no trace in the stream
    the training run draws from."""
    state = capture_rng_state()
    try:
        yield
    finally:
        restore_rng_state(state)


def _with_pipeline(dataset: dict, pipeline) -> dict:
    """``dataset`` (a config) with ``pipeline`` in every leaf dataset
    (through Concat/Repeat wrappers)."""
    dataset = copy.deepcopy(dict(dataset))
    if 'datasets' in dataset:
        dataset['datasets'] = [
            _with_pipeline(d, pipeline) for d in dataset['datasets']
        ]
    elif isinstance(dataset.get('dataset'), dict):
        dataset['dataset'] = _with_pipeline(dataset['dataset'], pipeline)
    else:
        dataset['pipeline'] = copy.deepcopy(pipeline)
    return dataset


@HOOKS.register_module(codebases='mmseg')
class SelfTeacherLeadHook(Hook):
    """Score the FRSKD self-teacher's own predictions beside the student's.

    FRSKD only helps when its self-teacher knows more than the student; the
    authors' code never checks.  At every validation this hook runs the
    self-teacher on each val batch (the model's ``self_teacher_view``: one
    more forward of the batch, through the self-teacher's BiFPN and head),
    scores it with its own :class:`mmseg.evaluation.IoUMetric`, and adds to
    the validation metrics (so the logger prints them and ``scalars.json``
    keeps them)::

        self_teacher/mIoU   the self-teacher's mIoU
        self_teacher/lead   self_teacher/mIoU - mIoU (student); > 0: it leads

    These are reported, never acted on: nothing chooses on the val split.

    **The held-out lead** (``held_out=True``): a :class:`DistillGate` with
    ``lead_source='held_out'`` opens on the lead measured on the held-out
    part of the training set, which the training set must exclude: the
    config wraps its train dataset in
    :class:`~selfkd_seg.datasets.HoldOutSplit` (``hold_out`` samples,
    ``seed``), and this hook scores student and self-teacher on the other
    part (the same dataset with the val pipeline) every ``interval``
    training iterations, in ``after_train_iter``: before the
    ``CheckpointHook`` (lower priority) saves, so a checkpoint written at a
    measuring iteration holds the lead just measured (the gate's
    ``held_out_lead`` buffer) and a resumed run gates the next interval as
    the uninterrupted one does. The measurement runs in eval mode, without
    gradients and with the global random generators forked, so it changes
    neither the student nor the random stream: a run whose gate stays
    closed trains the baseline's student bit for bit. Logged:
    ``held_out/mIoU``, ``held_out/self_teacher_mIoU``, ``held_out/lead``.

    The train-time lead needs no hook: :class:`FRSKDSegmentor` logs
    ``self_teacher.ce_lead`` (student CE - self-teacher CE over the same
    labelled pixels) with its losses at every logging interval.

    Cost: one more forward per val batch (the student's features are
    recomputed); with ``held_out``, two forwards per held-out sample every
    ``interval`` iterations.

    Args:
        iou_metrics (list[str]): As ``IoUMetric``. Default: ``['mIoU']``.
        prefix (str): Key prefix of the logged metrics.
            Default: 'self_teacher'.
        held_out (bool): Measure the lead on the held-out part of the
            training set and write it into the model's gate (which must
            have ``lead_source='held_out'``). Default: False.
        interval (int, optional): Training iterations between held-out
            measurements. Default: the train loop's ``val_interval``.
    """

    priority = 'NORMAL'  # after RuntimeInfoHook, before LoggerHook and

    # CheckpointHook

    def __init__(self,
                 iou_metrics=('mIoU', ),
                 prefix: str = 'self_teacher',
                 held_out: bool = False,
                 interval: Optional[int] = None):
        self.iou_metrics = list(iou_metrics)
        self.prefix = prefix
        self.held_out = bool(held_out)
        if interval is not None and (isinstance(interval, bool)
                                     or not isinstance(interval, int)
                                     or interval < 1):
            raise ValueError(f'SelfTeacherLeadHook: interval must be a '
                             f'positive int, got {interval!r}')
        self.interval = interval
        self._metric = None
        self._student_prefix = None
        self._held_out_loader = None

    def before_train(self, runner) -> None:
        model = self._model(runner)
        source = model.gate_lead_source()
        if (source == 'held_out') != self.held_out:
            raise ValueError(
                'SelfTeacherLeadHook: the model\'s gate has lead_source='
                f'{source!r} but the hook has '
                f'held_out={self.held_out}: a held-out gate needs '
                "dict(type='SelfTeacherLeadHook', held_out=True), and the "
                'hook measures the held-out lead only for such a gate')
        if not self.held_out:
            return
        loop = runner.train_loop
        if self.interval is None:
            self.interval = getattr(loop, 'val_interval', None)
        total = getattr(loop, 'max_iters', None)
        if not isinstance(self.interval, int) or total is None:
            raise ValueError('SelfTeacherLeadHook(held_out=True) measures '
                             'every `interval` iterations of an '
                             'IterBasedTrainLoop; set interval')
        if self.interval >= total:
            print_log(
                f'SelfTeacherLeadHook: the gate opens on the held-out lead, '
                f'but interval={self.interval} measures only at the end of '
                f'training ({total}): the gate stays closed the whole run. '
                'Measure before distillation starts (e.g. every 1/3).',
                logger='current',
                level=logging.WARNING)
        with _global_rng_untouched():
            self._held_out_loader = runner.build_dataloader(
                self._held_out_dataloader_cfg(runner), seed=runner.seed)

    @staticmethod
    def _held_out_dataloader_cfg(runner) -> dict:
        """The held-out part of the training set, with the val pipeline
        and the val loader's batch size."""
        train = copy.deepcopy(runner.cfg.train_dataloader.dataset)
        if train.get('type') not in ('HoldOutSplit', ) or train.get(
                'part', 'train') != 'train':
            raise ValueError(
                'SelfTeacherLeadHook(held_out=True): the training set must '
                "exclude the held-out part: wrap train_dataloader.dataset in "
                "dict(type='HoldOutSplit', hold_out=N, dataset=...) (got "
                f"type={train.get('type')!r})")
        val = runner.cfg.val_dataloader
        inner = _with_pipeline(train['dataset'], val.dataset.pipeline)
        held_out = dict(train, part='held_out', dataset=inner)
        return dict(
            batch_size=val.get('batch_size', 1),
            num_workers=0,
            persistent_workers=False,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=held_out)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if self._held_out_loader is None or not self.every_n_train_iters(
                runner, self.interval):
            return
        student, teacher = self._score_held_out(runner)
        lead = teacher - student
        factor = self._model(runner).set_held_out_lead(lead)
        for key, value in (('mIoU', student), ('self_teacher_mIoU', teacher),
                           ('lead', lead)):
            runner.message_hub.update_scalar(f'held_out/{key}', value)
        print_log(
            f'held-out lead at iteration {runner.iter + 1}: student '
            f'{student:.2f}, self-teacher {teacher:.2f} mIoU, lead '
            f'{lead:+.2f} (gate factor now '
            f'{factor:.3f})',
            logger='current')

    def _score_held_out(self, runner):
        """(student mIoU, self-teacher mIoU) on the held-out part."""
        from mmseg.evaluation import IoUMetric
        model = self._model(runner)
        metrics = [
            IoUMetric(iou_metrics=['mIoU'], ignore_index=model.ignore_index)
            for _ in range(2)
        ]
        for metric in metrics:
            metric.dataset_meta = self._held_out_loader.dataset.metainfo
        was_training = model.training
        model.eval()
        try:
            with _global_rng_untouched(), torch.no_grad():
                for batch in self._held_out_loader:
                    for metric, view in zip(metrics, (False, True)):
                        samples = dict(batch)
                        samples['data_samples'] = [
                            copy.deepcopy(s) for s in batch['data_samples']
                        ]
                        if view:
                            with model.self_teacher_view():
                                out = runner.model.val_step(samples)
                        else:
                            out = runner.model.val_step(samples)
                        metric.process(samples, [
                            s.to_dict() if hasattr(s, 'to_dict') else s
                            for s in out
                        ])
        finally:
            model.train(was_training)
        size = len(self._held_out_loader.dataset)
        return tuple(float(m.evaluate(size)['mIoU']) for m in metrics)

    @staticmethod
    def _model(runner) -> SelfTeacherLeadTarget:
        """The model, unwrapped; refused unless it declares the
        :class:`SelfTeacherLeadTarget` contract."""
        model = runner.model
        model = model.module if is_model_wrapper(model) else model
        if not isinstance(model, SelfTeacherLeadTarget):
            raise TypeError(
                f'SelfTeacherLeadHook needs a model with a self-teacher '
                f'(a FRSKD segmentor: FRSKDSegmentor, FRSKDEncoderDecoder, '
                f'...); {type(model).__name__} does not implement '
                'SelfTeacherLeadTarget (self_teacher_view, gate_lead_source, '
                'set_held_out_lead, ignore_index). Remove the hook from '
                'custom_hooks.')
        return model

    def before_val_epoch(self, runner) -> None:
        from mmseg.evaluation import IoUMetric
        model = self._model(runner)
        # score the self-teacher as the val evaluator scores the student
        # (same ignore index, metrics, NaN handling and key prefix)
        evaluator = getattr(runner, 'val_evaluator', None)
        student_metric = next((m for m in getattr(evaluator, 'metrics', ())
                               if isinstance(m, IoUMetric)), None)
        if student_metric is not None:
            self._metric = IoUMetric(
                ignore_index=student_metric.ignore_index,
                iou_metrics=student_metric.metrics,
                nan_to_num=student_metric.nan_to_num,
                beta=student_metric.beta)
            self._student_prefix = student_metric.prefix
        else:
            self._metric = IoUMetric(
                iou_metrics=self.iou_metrics, ignore_index=model.ignore_index)
            self._student_prefix = None
        self._metric.dataset_meta = runner.val_dataloader.dataset.metainfo

    def after_val_iter(self,
                       runner,
                       batch_idx: int,
                       data_batch=None,
                       outputs=None) -> None:
        if self._metric is None or data_batch is None:
            return
        # the student's samples already hold its predictions (and later
        # hooks may draw them): the self-teacher writes into copies
        batch = dict(data_batch)
        batch['data_samples'] = [
            copy.deepcopy(s) for s in data_batch['data_samples']
        ]
        # the same precision as the val loop's own forward
        from mmengine.runner.amp import autocast
        fp16 = getattr(getattr(runner, 'val_loop', None), 'fp16', False)
        with self._model(runner).self_teacher_view(), autocast(enabled=fp16):
            teacher_outputs = runner.model.val_step(batch)
        # as mmengine's Evaluator.process: metrics read plain dicts
        self._metric.process(batch, [
            s.to_dict() if hasattr(s, 'to_dict') else s
            for s in teacher_outputs
        ])

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        if self._metric is None:
            return
        print_log('self-teacher on the val set:', logger='current')
        result = self._metric.evaluate(len(runner.val_dataloader.dataset))
        student_prefix = self._student_prefix
        self._metric = self._student_prefix = None
        if metrics is None:
            metrics = {}
        added = {}
        for key, value in result.items():
            added[f'{self.prefix}/{key}'] = value
            student_key = (f'{student_prefix}/{key}'
                           if student_prefix else key)
            if student_key in metrics:
                added[f'{self.prefix}/lead' if key ==
                      'mIoU' else f'{self.prefix}/lead_{key}'] = (
                          value - metrics[student_key])
        for key, value in added.items():
            metrics[key] = value
            runner.message_hub.update_scalar(f'val/{key}', value)
