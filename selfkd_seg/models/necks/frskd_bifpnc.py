from typing import Optional, Sequence

from selfkd_seg.registry import MODELS, register_renamed
from .frskd_bifpn_base import FRSKDSelfTeacher


@MODELS.register_module()
class FRSKDBiFPNc(FRSKDSelfTeacher):
    """FRSKD self-teacher whose level ``i`` has ``width * c_i`` channels.

    `Refine Myself by Teaching Myself: Feature Refinement via Self-Knowledge
    Distillation <https://arxiv.org/abs/2103.08273>`_.  Each Up/Down
    resampling is followed by a 1x1 conv-BN-ReLU block that maps the
    neighbour level's channels to this level's.  See
    :class:`~selfkd_seg.models.necks.frskd_bifpn_base.FRSKDBiFPNLayer` for the
    wiring; ``forward`` returns ``SelfTeacherOutput(pre, post, logits)``.

    Args:
        in_channels (Sequence[int]): Channels ``c_i`` of the classifier's
            stages, shallow to deep.
        width (int): Channel multiplier w. Default: 2.
        num_layers (int): Stacked BiFPN layers. Default: 1.
        depth (int): Depthwise-separable stages per node. Default: 2.
        upsample_mode (str): ``'nearest'`` (FRSKD code, default) or
            ``'bilinear'`` (the paper's text).
        eps (float): Fast-fusion epsilon (FRSKD code: 1e-6).
        num_classes (int, optional): Classes of the self-teacher classifier;
            ``None`` builds no classifier (logits are ``None``).
        norm_cfg (dict): Norm layer config. Default: BN.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 width: int = 2,
                 num_layers: int = 1,
                 depth: int = 2,
                 upsample_mode: str = 'nearest',
                 eps: float = 1e-6,
                 num_classes: Optional[int] = None,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg=None):
        if width < 1:
            raise ValueError(f'width must be >= 1, got {width}')
        super().__init__(
            in_channels, [width * c for c in in_channels],
            resample_conv=True,
            num_layers=num_layers,
            depth=depth,
            upsample_mode=upsample_mode,
            eps=eps,
            num_classes=num_classes,
            norm_cfg=norm_cfg,
            init_cfg=init_cfg)
        self.width = width


register_renamed('BiFPNc', 'FRSKDBiFPNc')
