"""Does the self-teacher lead the student? Scored at every validation."""
import copy
import logging
from typing import Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from selfkd_seg.registry import HOOKS


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

    A :class:`DistillGate` with ``lead_source='val'`` gets the lead from
    here after each validation.

    The train-time lead needs no hook: :class:`FRSKDSegmentor` logs
    ``self_teacher.ce_lead`` (student CE - self-teacher CE) with its losses
    at every logging interval.

    Cost: one more forward per val batch (the student's features are
    recomputed); nothing during training.

    Args:
        iou_metrics (list[str]): As ``IoUMetric``. Default: ``['mIoU']``.
        prefix (str): Key prefix of the logged metrics.
            Default: 'self_teacher'.
    """

    priority = 'NORMAL'  # after RuntimeInfoHook, before LoggerHook

    def __init__(self, iou_metrics=('mIoU', ), prefix: str = 'self_teacher'):
        self.iou_metrics = list(iou_metrics)
        self.prefix = prefix
        self._metric = None
        self._student_prefix = None

    def before_train(self, runner) -> None:
        gate = getattr(self._model(runner), 'distill_gate', None)
        loop = getattr(runner, 'train_loop', None)
        if getattr(gate, 'lead_source', None) != 'val' or loop is None:
            return
        interval = getattr(loop, 'val_interval', None)
        total = getattr(loop, 'max_iters', None) or getattr(
            loop, 'max_epochs', None)
        if interval is not None and total is not None and interval >= total:
            print_log(
                f'SelfTeacherLeadHook: the gate opens on the val lead, but '
                f'val_interval={interval} validates only at the end of '
                f'training ({total}): the gate stays closed the whole run. '
                'Validate before distillation starts (e.g. every 1/3).',
                logger='current', level=logging.WARNING)

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_val_epoch(self, runner) -> None:
        from mmseg.evaluation import IoUMetric
        model = self._model(runner)
        if not hasattr(model, 'self_teacher_view'):
            raise AttributeError(
                f'SelfTeacherLeadHook needs a model with a self-teacher '
                f'(FRSKDSegmentor); {type(model).__name__} has no '
                'self_teacher_view. Remove the hook from custom_hooks.')
        # score the self-teacher as the val evaluator scores the student
        # (same ignore index, metrics, NaN handling and key prefix)
        evaluator = getattr(runner, 'val_evaluator', None)
        student_metric = next(
            (m for m in getattr(evaluator, 'metrics', ())
             if isinstance(m, IoUMetric)), None)
        if student_metric is not None:
            self._metric = IoUMetric(
                ignore_index=student_metric.ignore_index,
                iou_metrics=student_metric.metrics,
                nan_to_num=student_metric.nan_to_num,
                beta=student_metric.beta)
            self._student_prefix = student_metric.prefix
        else:
            ignore_index = getattr(
                getattr(model, 'decode_head', None), 'ignore_index', 255)
            self._metric = IoUMetric(
                iou_metrics=self.iou_metrics, ignore_index=ignore_index)
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
                added[f'{self.prefix}/lead'
                      if key == 'mIoU' else f'{self.prefix}/lead_{key}'] = (
                          value - metrics[student_key])
        for key, value in added.items():
            metrics[key] = value
            runner.message_hub.update_scalar(f'val/{key}', value)
        # a gate that opens on the val lead reads it from here
        gate = getattr(self._model(runner), 'distill_gate', None)
        lead = added.get(f'{self.prefix}/lead')
        if gate is not None and lead is not None and hasattr(
                gate, 'set_val_lead'):
            gate.set_val_lead(lead)
