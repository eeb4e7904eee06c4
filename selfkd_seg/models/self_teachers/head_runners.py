"""How a FRSKD segmentor runs its student's decode head(s).

A head runner is the one place that knows the shape of the student's head:
a single decode head (``EncoderDecoder``) or a cascade of them
(``CascadeEncoderDecoder``, e.g. OCRNet). It holds no weights (the heads
stay the segmentor's ``decode_head``, so checkpoints keep mmseg's keys); the
segmentor takes one as a part. A new head family (heads with several
outputs, say) is a new runner, not a new segmentor subclass.
"""
import copy
from typing import Dict, Optional, Sequence, Tuple

from mmseg.models.decode_heads import PointHead
from mmseg.registry import MODELS as SEG_MODELS
from mmseg.utils import SampleList, add_prefix
from torch import Tensor, nn


def head_class(head_cfg: dict) -> Optional[type]:
    """The class a decode head config builds (None if not registered)."""
    head_type = head_cfg.get('type')
    if isinstance(head_type, type):
        return head_type
    return SEG_MODELS.get(head_type) if isinstance(head_type, str) else None


def is_head(head_cfg: dict, cls: type) -> bool:
    """Whether ``head_cfg`` builds a ``cls`` (or a subclass)."""
    found = head_class(head_cfg)
    return found is not None and issubclass(found, cls)


def check_dense_head(head_cfg: dict, owner: str, where: str) -> None:
    """Refuse, before it is built, a head that predicts no dense logit map.

    FRSKD's self-teacher copies the student's head and distils its logits:
    it needs mmseg's per-pixel interface (``BaseDecodeHead``:
    ``forward(feats)`` -> ``(N, C, H, W)`` logits,
    ``loss_by_feat(logits, data_samples)``). Mask-classification heads
    (``Mask2FormerHead``, ``MaskFormerHead``: queries with a class and a
    mask each) have neither; without mmdet installed mmseg registers them
    as plain modules, and building one fails with an unrelated TypeError.
    """
    from mmseg.models.decode_heads.decode_head import BaseDecodeHead
    cls = head_class(head_cfg) if isinstance(head_cfg, dict) else None
    if cls is None or issubclass(cls, BaseDecodeHead):
        return
    name = cls.__name__
    mask_cls = 'Mask' in name and 'Former' in name
    kind = ('a mask-classification head (queries that each predict a class '
            'and a mask)' if mask_cls else 'not an mmseg BaseDecodeHead')
    raise TypeError(
        f'{owner} does not support {where} of type {name}: it is {kind}, '
        'with no forward(feats) -> per-pixel logits and no '
        'loss_by_feat(logits, data_samples), which the self-teacher (a copy '
        'of the head) and pixel KD need. Use a per-pixel decode head (e.g. '
        'UPerHead, FCNHead, SegformerHead) for FRSKD' +
        (' (and mmseg\'s MaskFormer/Mask2Former heads need mmdet: pip '
         'install mmdet)' if mask_cls else ''))


class SingleHeadRunner:
    """One decode head (mmseg's ``EncoderDecoder``): CE as
    ``decode.loss_*``, its logits are the ones distilled."""

    def check_student(self, student_cfg: dict, owner: str) -> None:
        """Refuse, before anything is built, a cascade student and a head
        without dense logits (:func:`check_dense_head`)."""
        if 'num_stages' in student_cfg or isinstance(
                student_cfg.get('decode_head'), (list, tuple)):
            raise TypeError(
                f'{owner} got a cascade student (num_stages / a list of '
                'decode heads, as mmseg\'s CascadeEncoderDecoder, e.g. '
                'OCRNet): use type=\'FRSKDCascadeEncoderDecoder\'')
        check_dense_head(student_cfg.get('decode_head'), owner, 'decode_head')

    def loss(self, model, feats: Sequence[Tensor],
             data_samples: SampleList) -> Tuple[Tensor, Dict[str, Tensor]]:
        """The student's logits (what KD and the lead compare) and its
        decode losses under mmseg's names."""
        logits = model.decode_head(feats)
        return logits, add_prefix(
            model.decode_head.loss_by_feat(logits, data_samples), 'decode')

    def logits(self, model, feats: Sequence[Tensor]) -> Tensor:
        return model.decode_head(feats)

    def last_head(self, model) -> nn.Module:
        """The head whose logits are the model's output."""
        return model.decode_head

    def head_to_copy(self, model) -> nn.Module:
        """The built head the self-teacher's default head copies."""
        return model.decode_head

    def head_cfg_to_copy(self, decode_head) -> dict:
        """The config the self-teacher's default head starts from."""
        return decode_head


class CascadeHeadRunner(SingleHeadRunner):
    """A cascade (mmseg's ``CascadeEncoderDecoder`` whose every stage
    predicts a dense map: OCRNet's FCN head + OCR head).

    The stages run exactly as in mmseg's ``CascadeEncoderDecoder.loss``,
    call for call and in the same order (``_decode_head_forward_train``):
    stage 0's ``loss``, then for each later stage ``i`` the previous
    stage's ``forward`` once more (its ``prev_output``) and stage ``i``'s
    loss. So an earlier stage's BN layers see their input twice per step and
    its dropout draws twice, as in the baseline. The last stage's loss is
    its ``forward`` + ``loss_by_feat`` (what ``BaseCascadeDecodeHead.loss``
    runs), whose logits KD and the lead read (``decode_{num_stages-1}``).

    The self-teacher's default head copies the **first** stage (the only
    one that predicts from the features alone) with the **last** stage's
    ``loss_decode`` (OCRNet's first stage is an auxiliary at weight 0.4; the
    self-teacher's CE counts fully, as in FRSKD).

    PointRend is refused: its point head predicts at points it samples from
    the previous stage's uncertainty, not a dense map, so there are no
    last-stage logits for pixel KD.
    """

    def check_student(self, student_cfg: dict, owner: str) -> None:
        heads = student_cfg.get('decode_head')
        if not isinstance(heads, (list, tuple)) or len(heads) != \
                student_cfg.get('num_stages'):
            raise TypeError(
                f'{owner} needs num_stages and a list of that many '
                'decode_head configs (mmseg\'s CascadeEncoderDecoder), got '
                f"num_stages={student_cfg.get('num_stages')!r} and "
                f'decode_head of type {type(heads).__name__}; a single head '
                'is FRSKDEncoderDecoder\'s')
        for i, head in enumerate(heads):
            check_dense_head(head, owner, f'decode_head[{i}]')
            if is_head(head, PointHead) or head.get('type') == 'PointHead':
                raise TypeError(
                    f'{owner} does not support PointRend: '
                    f'decode_head[{i}] is a PointHead ({head.get("type")}), '
                    'which predicts logits at points it samples from the '
                    'previous stage\'s uncertainty, not a dense map, so '
                    'there are no last-stage logits for pixel KD and the '
                    'lead. Supported are cascades whose every stage predicts '
                    'a dense map from forward(inputs[, prev_output]), e.g. '
                    'OCRNet (FCNHead + OCRHead)')

    def loss(self, model, feats, data_samples):
        losses, prev, last = {}, None, model.num_stages - 1
        for i, head in enumerate(model.decode_head):
            inputs = (feats, ) if i == 0 else (feats, prev)
            if i == last:
                logits = head.forward(*inputs)
                losses.update(
                    add_prefix(
                        head.loss_by_feat(logits, data_samples),
                        f'decode_{i}'))
            else:
                losses.update(
                    add_prefix(
                        head.loss(*inputs, data_samples, model.train_cfg),
                        f'decode_{i}'))
                # mmseg's "forward test again": the next stage's input
                prev = head.forward(*inputs)
        return logits, losses

    def logits(self, model, feats):
        out = model.decode_head[0](feats)
        for head in model.decode_head[1:]:
            out = head(feats, out)
        return out

    def last_head(self, model):
        return model.decode_head[-1]

    def head_to_copy(self, model):
        return model.decode_head[0]

    def head_cfg_to_copy(self, decode_head) -> dict:
        first = copy.deepcopy(dict(decode_head[0]))
        last = dict(decode_head[-1])
        if 'loss_decode' in last:
            first['loss_decode'] = copy.deepcopy(last['loss_decode'])
        return first
