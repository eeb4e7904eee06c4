from typing import Optional, Sequence

from selfkd_seg.registry import MODELS, register_renamed
from .frskd_bifpn_base import FRSKDSelfTeacher


@MODELS.register_module()
class FRSKDBiFPN(FRSKDSelfTeacher):
    """FRSKD self-teacher with ``num_channels`` channels at every level.

    `Refine Myself by Teaching Myself: Feature Refinement via Self-Knowledge
    Distillation <https://arxiv.org/abs/2103.08273>`_ (the "BiFPN" rows of
    Table 6).  Up/Down resampling needs no channel mapping here.  See
    :class:`~selfkd_seg.models.necks.frskd_bifpn_base.FRSKDBiFPNLayer` for the
    wiring; ``forward`` returns ``SelfTeacherOutput(pre, post, logits)``.
    (The segmentation BiFPN of EfficientDet is ``WeightedBiFPN``.)

    Args:
        in_channels (Sequence[int]): Channels of the classifier's stages.
        num_channels (int): Channels of every level. Default: 128.
        num_layers (int): Stacked BiFPN layers. Default: 1.
        depth (int): Depthwise-separable stages per node. Default: 2.
        upsample_mode (str): ``'nearest'`` (code) or ``'bilinear'`` (paper).
        eps (float): Fast-fusion epsilon (FRSKD code: 1e-6).
        num_classes (int, optional): Classes of the self-teacher classifier.
        norm_cfg (dict): Norm layer config. Default: BN.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 num_channels: int = 128,
                 num_layers: int = 1,
                 depth: int = 2,
                 upsample_mode: str = 'nearest',
                 eps: float = 1e-6,
                 num_classes: Optional[int] = None,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg=None):
        super().__init__(
            in_channels, [num_channels] * len(in_channels),
            resample_conv=False,
            num_layers=num_layers,
            depth=depth,
            upsample_mode=upsample_mode,
            eps=eps,
            num_classes=num_classes,
            norm_cfg=norm_cfg,
            init_cfg=init_cfg)
        self.num_channels = num_channels


register_renamed('BiFPN', 'FRSKDBiFPN')
