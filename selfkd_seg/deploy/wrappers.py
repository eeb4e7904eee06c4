"""What is exported: a tensor-in, logits-out module around the student.

:class:`SegLogits` / :class:`ClsLogits` run only the deployable path of an
mmseg ``EncoderDecoder`` / mmpretrain ``ImageClassifier``;
:func:`exportable` makes the project's modules traceable with dynamic sizes
for the duration of an export.
"""
import contextlib

import torch
import torch.nn as nn
import torch.nn.functional as F

SEG_OUTPUTS = ('input', 'native')


class SegLogits(nn.Module):
    """Plain-tensor forward of an mmseg ``EncoderDecoder``: image -> logits.

    ``backbone -> neck -> decode_head.forward``, then (``output='input'``)
    a bilinear resize to the input size with the head's ``align_corners``,
    as ``EncoderDecoder.encode_decode`` does.  Distillation-only parts never
    run.
    """

    def __init__(self, segmentor: nn.Module, output: str = 'input'):
        super().__init__()
        if output not in SEG_OUTPUTS:
            raise ValueError(f"seg output must be 'input' or 'native', got "
                             f'{output!r}')
        self.segmentor = segmentor
        self.output = output

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        feats = self.segmentor.extract_feat(inputs)
        logits = self.segmentor.decode_head.forward(feats)
        if self.output == 'input':
            logits = F.interpolate(
                logits,
                size=inputs.shape[2:],
                mode='bilinear',
                align_corners=self.segmentor.decode_head.align_corners)
        return logits


class ClsLogits(nn.Module):
    """Plain-tensor forward of an mmpretrain ``ImageClassifier``: logits."""

    def __init__(self, classifier: nn.Module):
        super().__init__()
        self.classifier = classifier

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.classifier.head(self.classifier.extract_feat(inputs))


def task_of(model: nn.Module) -> str:
    """``'seg'`` (a ``decode_head``) or ``'cls'`` (a ``head``)."""
    if hasattr(model, 'decode_head'):
        return 'seg'
    if hasattr(model, 'head'):
        return 'cls'
    raise ValueError(f'{type(model).__name__} is neither a segmentor (no '
                     'decode_head) nor a classifier (no head)')


def logits_module(model: nn.Module, seg_output: str = 'input') -> nn.Module:
    """The tensor-in, logits-out module that is exported."""
    return (SegLogits(model, seg_output)
            if task_of(model) == 'seg' else ClsLogits(model)).eval()


@contextlib.contextmanager
def exportable(model: nn.Module):
    """Make ``model`` traceable with dynamic sizes, only inside the block.

    The size arithmetic of the project's modules (TF-"same" convolutions,
    ``MaxPool2dSame``, ``resize_to``) is trace-safe itself
    (``selfkd_seg.models.utils.bifpn_blocks.is_tracing``). Here:

    * memory-efficient swish -> plain swish (``set_swish``), kept after (an
      autograd function does not trace);
    * ``efficientnet_pytorch``'s own ``Conv2dDynamicSamePadding`` (a backbone
      built with ``fast_same_padding=False``) becomes the backbone's
      trace-safe ``Conv2dSamePadding`` (same state, same outputs) for the
      block.
    """
    from efficientnet_pytorch.utils import Conv2dDynamicSamePadding

    from selfkd_seg.models.backbones.efficientnet import Conv2dSamePadding
    for module in model.modules():
        if hasattr(module, 'set_swish') and hasattr(module, '_swish'):
            module.set_swish(memory_efficient=False)
    swapped = [
        m for m in model.modules() if type(m) is Conv2dDynamicSamePadding
    ]
    for module in swapped:
        module.__class__ = Conv2dSamePadding
    try:
        yield model
    finally:
        for module in swapped:
            module.__class__ = Conv2dDynamicSamePadding
