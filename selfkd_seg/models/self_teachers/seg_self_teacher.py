"""FRSKD's segmentation self-teacher as one component."""
from typing import List, Optional, Sequence

import torch
from mmengine.model import BaseModule
from mmseg.registry import MODELS as SEG_MODELS
from mmseg.utils import SampleList, add_prefix
from torch import Tensor

from selfkd_seg.registry import MODELS


@MODELS.register_module(codebases='mmseg')
class SegSelfTeacher(BaseModule):
    """The self-teacher: a level adapter, a BiFPN stack and its own head.

    Paper: `Refine Myself by Teaching Myself: Feature Refinement via
    Self-Knowledge Distillation <https://arxiv.org/abs/2103.08273>`_.

    Three parts, in the order the data takes:

    1. **level adapter** (``in_index``, ``order``; no weights): which levels
       of the student's ``extract_feat`` it reads (:meth:`select`, all of
       them when ``in_index`` is None) and in which order its BiFPN wants
       them (finest first; ``order[j]`` is the position in ``in_index`` of
       the BiFPN's ``j``-th input). :meth:`refine` returns the refined
       levels in ``in_index``'s order again, so ``refined[k]`` refines
       ``select(feats)[k]``.
    2. ``neck``: the BiFPN layers that refine them (any registered neck).
    3. ``decode_head``: its own head on the refined levels.

    The plans in :mod:`selfkd_seg.models.self_teachers.plans` derive these
    three from the student (the paper's stacked BiFPN, or chosen levels of
    any mmseg model); a config can also give them directly.

    Args:
        neck (dict): The BiFPN stack's config.
        decode_head (dict): The head's config.
        in_index (Sequence[int], optional): The student levels read.
            Default: all, in their order.
        order (Sequence[int], optional): The BiFPN's input order over
            ``in_index``'s positions. Default: as given.
        detach_input (bool): Beyond the paper: read detached student
            features, so the self-teacher's CE trains only itself.
            Default: False.
    """

    def __init__(self,
                 neck: dict,
                 decode_head: dict,
                 in_index: Optional[Sequence[int]] = None,
                 order: Optional[Sequence[int]] = None,
                 detach_input: bool = False):
        super().__init__(init_cfg=None)
        self.neck = SEG_MODELS.build(neck)
        self.decode_head = SEG_MODELS.build(decode_head)
        self.in_index = None if in_index is None else list(in_index)
        self.order = None if order is None else list(order)
        if (self.order is not None and self.in_index is not None
                and sorted(self.order) != list(range(len(self.in_index)))):
            raise ValueError(
                f'SegSelfTeacher: order={self.order} must be a permutation '
                f'of the positions of in_index={self.in_index}')
        self.detach_input = bool(detach_input)

    def select(self, student_feats) -> List[Tensor]:
        """The student's levels the self-teacher reads (and the feature
        loss compares), in ``in_index``'s order."""
        if torch.is_tensor(student_feats):
            student_feats = [student_feats]
        if self.in_index is None:
            return list(student_feats)
        return [student_feats[i] for i in self.in_index]

    def refine(self, levels: Sequence[Tensor]) -> List[Tensor]:
        """The refined levels, ``refined[k]`` for ``levels[k]``."""
        if self.order is None:
            return self.neck(levels)
        refined = self.neck([levels[k] for k in self.order])
        out = [None] * len(self.order)
        for k, feat in zip(self.order, refined):
            out[k] = feat
        return out

    def forward(self, levels: Sequence[Tensor]):
        """``(refined levels, logits)`` from the selected student levels."""
        if self.detach_input:
            levels = [f.detach() for f in levels]
        refined = self.refine(levels)
        return refined, self.decode_head(refined)

    def loss_by_feat(self,
                     logits: Tensor,
                     data_samples: SampleList,
                     prefix: str = 'self_teacher') -> dict:
        """Its head's losses, logged under ``prefix``."""
        return add_prefix(
            self.decode_head.loss_by_feat(logits, data_samples), prefix)

    def predict(self, student_feats, batch_img_metas: List[dict],
                test_cfg) -> Tensor:
        """Its logits at the images' size (as a decode head's
        ``predict``)."""
        refined = self.refine(self.select(student_feats))
        return self.decode_head.predict(refined, batch_img_metas, test_cfg)
