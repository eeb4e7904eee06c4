"""The fast path of training and inference (docs/performance.md).

Model transforms that keep every parameter, buffer and state-dict key, so a
checkpoint written with them loads without them and the other way round:

- :func:`use_silu` replaces every swish module (mmcv's ``Swish``:
  ``x * sigmoid(x)``, two kernels forward, three backward, two saved
  tensors; ``efficientnet_pytorch``'s memory-efficient autograd function)
  with ``nn.SiLU`` (one kernel each way, one saved tensor). Same function.
- :func:`use_sync_free_losses` makes mmseg's segmentation losses stop
  synchronising with the GPU: ``CrossEntropyLoss(avg_non_ignore=True)``
  counts the labelled pixels with ``.item()`` and the ``acc_seg`` metric
  selects them with a boolean mask (two more host round trips); each stalls
  the CPU until the GPU has caught up, in the middle of the forward pass,
  and breaks a ``torch.compile`` graph. The same values are computed on the
  device instead.
- :func:`use_channels_last` puts the 4-D weights in ``channels_last``
  memory format; convolutions then return ``channels_last`` activations, so
  the whole network runs NHWC (tensor-core convolutions and cuDNN's
  depthwise kernels without layout transposes on GPUs) although the data
  preprocessor's batch is NCHW: the first convolution switches.

:class:`FastPathHook` applies them to a runner's model (``tools/train.py``
adds it: ``--channels-last`` or ``channels_last = True`` in a config);
``torch.compile`` goes through mmengine's own ``compile`` config key and
mixed precision through the optimizer wrapper (``--amp``).
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from selfkd_seg.registry import HOOKS


def _swish_types() -> tuple:
    types = []
    try:
        from mmcv.cnn.bricks.swish import Swish as MMCVSwish
        types.append(MMCVSwish)
    except ImportError:  # pragma: no cover - mmcv is a dependency
        pass
    from efficientnet_pytorch.utils import MemoryEfficientSwish, Swish
    types += [MemoryEfficientSwish, Swish]
    return tuple(t for t in types if t is not nn.SiLU)


def use_silu(model: nn.Module) -> int:
    """Replace every swish module below ``model`` by ``nn.SiLU``.

    Returns the number of modules replaced. Parameter-free: state dicts are
    unchanged.
    """
    swish = _swish_types()
    count = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, swish):
                setattr(parent, name, nn.SiLU())
                count += 1
    return count


_EPS = torch.finfo(torch.float32).eps

try:  # mmseg is installed with the package; classification-only setups
    from mmseg.models.losses import CrossEntropyLoss as _MMSegCE
except ImportError:  # pragma: no cover
    _MMSegCE = None

if _MMSegCE is not None:

    class SyncFreeCrossEntropyLoss(_MMSegCE):
        """mmseg's ``CrossEntropyLoss`` whose ``avg_non_ignore`` mean
        counts the labelled pixels on the device (mmseg: ``.item()``).
        Other settings (class weights, sigmoid, other reductions) take
        mmseg's path unchanged. Same state as its parent; instances are
        converted by :func:`use_sync_free_losses`, not built from configs.
        """

        def forward(self,
                    cls_score,
                    label,
                    weight=None,
                    avg_factor=None,
                    reduction_override=None,
                    ignore_index=-100,
                    **kwargs):
            reduction = reduction_override or self.reduction
            if (self.use_sigmoid or self.use_mask or kwargs
                    or self.class_weight is not None or weight is not None
                    or avg_factor is not None or reduction != 'mean'
                    or not self.avg_non_ignore):
                return super().forward(cls_score, label, weight, avg_factor,
                                       reduction_override, ignore_index,
                                       **kwargs)
            loss = F.cross_entropy(
                cls_score, label, reduction='none', ignore_index=ignore_index)
            count = (label != ignore_index).sum()
            # mmseg: loss.sum() / (count + eps), count from .item()
            return self.loss_weight * (loss.sum() / (count + _EPS))


def sync_free_accuracy(seg_logits: torch.Tensor, seg_label: torch.Tensor,
                       ignore_index: int) -> torch.Tensor:
    """mmseg's top-1 ``accuracy(..., ignore_index)`` (percent of labelled
    pixels predicted right, shape ``(1,)``) without boolean-mask indexing,
    which synchronises with the GPU."""
    valid = seg_label != ignore_index
    correct = (seg_logits.argmax(1) == seg_label) & valid
    return (correct.sum().float().reshape(1) +
            _EPS) * (100.0 / (valid.sum().float() + _EPS))


def _sync_free_loss_by_feat(self, seg_logits, batch_data_samples) -> dict:
    """mmseg 1.2.2 ``BaseDecodeHead.loss_by_feat`` with
    :func:`sync_free_accuracy` for ``acc_seg``."""
    from mmseg.models.utils import resize
    seg_label = self._stack_batch_gt(batch_data_samples)
    loss = dict()
    seg_logits = resize(
        input=seg_logits,
        size=seg_label.shape[2:],
        mode='bilinear',
        align_corners=self.align_corners)
    seg_weight = (
        self.sampler.sample(seg_logits, seg_label)
        if self.sampler is not None else None)
    seg_label = seg_label.squeeze(1)
    losses_decode = (
        self.loss_decode
        if isinstance(self.loss_decode, nn.ModuleList) else [self.loss_decode])
    for loss_decode in losses_decode:
        value = loss_decode(
            seg_logits,
            seg_label,
            weight=seg_weight,
            ignore_index=self.ignore_index)
        if loss_decode.loss_name not in loss:
            loss[loss_decode.loss_name] = value
        else:
            loss[loss_decode.loss_name] += value
    loss['acc_seg'] = sync_free_accuracy(seg_logits, seg_label,
                                         self.ignore_index)
    return loss


class _SyncFreeLossByFeat:
    """``head.loss_by_feat`` replaced for one head instance (a callable
    object rather than a bound method, so the model still pickles)."""

    def __init__(self, head: nn.Module):
        self.head = head

    def __call__(self, seg_logits, batch_data_samples) -> dict:
        return _sync_free_loss_by_feat(self.head, seg_logits,
                                       batch_data_samples)


def use_sync_free_losses(model: nn.Module) -> int:
    """Make mmseg's decode heads compute their losses without host
    synchronisation: ``CrossEntropyLoss`` instances become
    ``SyncFreeCrossEntropyLoss`` (a subclass, same state) and heads that
    use mmseg's own ``loss_by_feat`` get :func:`_sync_free_loss_by_feat`
    (an instance attribute, :class:`_SyncFreeLossByFeat`; the class is
    untouched). Same values up to
    float rounding. Returns the number of modules changed."""
    if _MMSegCE is None:  # pragma: no cover - classification only
        return 0
    from mmseg.models.decode_heads.decode_head import BaseDecodeHead
    count = 0
    for module in model.modules():
        if type(module) is _MMSegCE:
            module.__class__ = SyncFreeCrossEntropyLoss
            count += 1
        elif (isinstance(module, BaseDecodeHead)
              and type(module).loss_by_feat is BaseDecodeHead.loss_by_feat
              and 'loss_by_feat' not in vars(module)):
            module.loss_by_feat = _SyncFreeLossByFeat(module)
            count += 1
    return count


def use_channels_last(model: nn.Module) -> nn.Module:
    """Convert the model's 4-D parameters and buffers to ``channels_last``
    (in place: the Parameter objects stay, so an optimizer built before
    keeps working)."""
    return model.to(memory_format=torch.channels_last)


def is_channels_last(model: nn.Module) -> bool:
    """True when every 4-D parameter is ``channels_last``."""
    weights = [p for p in model.parameters() if p.dim() == 4]
    return bool(weights) and all(
        p.is_contiguous(memory_format=torch.channels_last) for p in weights)


def apply_fast_path(model: nn.Module,
                    silu: bool = True,
                    channels_last: bool = False,
                    sync_free_losses: bool = True) -> dict:
    """Apply the transforms above; returns what was done."""
    done = dict(
        silu=use_silu(model) if silu else 0,
        sync_free_losses=use_sync_free_losses(model)
        if sync_free_losses else 0,
        channels_last=False)
    if channels_last:
        use_channels_last(model)
        done['channels_last'] = True
    return done


@HOOKS.register_module()
class FastPathHook(Hook):
    """Apply :func:`apply_fast_path` to the runner's model before the run.

    Runs in ``before_run`` (train, val and test), before weights are
    initialised or loaded: loading copies into the converted parameters and
    keeps their format. Under DDP (mmengine wraps the model when the runner
    is built, before any hook) the gradient buckets keep the NCHW layout and
    torch copies each gradient into its bucket once per step (it warns
    "Grad strides do not match bucket view strides"): correct, a copy of the
    parameters' size (MBs), not of activations.

    Args:
        silu (bool): Swish modules -> ``nn.SiLU``. Defaults to True.
        channels_last (bool): 4-D weights (hence activations) in
            ``channels_last`` memory format. Defaults to False.
        sync_free_losses (bool): mmseg's CE / ``acc_seg`` computed without
            host synchronisation (:func:`use_sync_free_losses`).
            Defaults to True.
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 silu: bool = True,
                 channels_last: bool = False,
                 sync_free_losses: bool = True):
        self.silu = silu
        self.channels_last = channels_last
        self.sync_free_losses = sync_free_losses
        self.applied: Optional[dict] = None

    def before_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        self.applied = apply_fast_path(model, self.silu, self.channels_last,
                                       self.sync_free_losses)
        print_log(
            f"FastPathHook: {self.applied['silu']} swish modules -> "
            f"nn.SiLU; {self.applied['sync_free_losses']} sync-free loss "
            f"modules; channels_last {self.applied['channels_last']}",
            logger='current')
