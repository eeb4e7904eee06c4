"""EfficientNetBackbone options for the FRSKD authors' segmentation network:
``endpoints='frskd_official'``, ``stem_act=False``, ``drop_connect_rate=0``."""
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from efficientnet_pytorch import EfficientNet

import selfkd_seg  # noqa: F401  (compat before mmseg / registration)
from selfkd_seg.models.backbones import EfficientNetBackbone

OFFICIAL = dict(
    endpoints='frskd_official', stem_act=False, drop_connect_rate=0.)
# the authors' grouping: b0 layer1..5 = blocks 0-1, 2-3, 4-5, 6-11, 12-15;
# b1 = 0-2, 3-5, 6-8, 9-11, 12-22 (C2..C5: ends of layer1, 2, 3 and 5)
AUTHORS_C2_C5 = dict(b0=[1, 3, 5, 15], b1=[2, 5, 8, 22])
REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


@pytest.mark.parametrize('arch', ['b0', 'b1'])
def test_official_endpoints_channels_and_blocks(arch):
    model = EfficientNetBackbone(arch, **OFFICIAL)
    assert model.out_channels == (24, 40, 80, 320)
    assert model._endpoint_blocks == [-1] + AUTHORS_C2_C5[arch]
    assert EfficientNetBackbone(
        arch, out_indices=(0, ), **OFFICIAL).out_channels == (32, )


def test_official_endpoint_shapes_on_an_odd_input():
    model = EfficientNetBackbone('b0', **OFFICIAL).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 67, 45))
    for out, stride, ch in zip(outs, (4, 8, 16, 32), (24, 40, 80, 320)):
        assert out.shape == (1, ch, math.ceil(67 / stride),
                             math.ceil(45 / stride))


def test_defaults_unchanged_and_state_dict_keys_shared():
    default = EfficientNetBackbone('b0')
    assert default.out_channels == (24, 40, 112, 320)
    assert default.stem_act
    assert default._drop_connect_rate == 0.2
    official = EfficientNetBackbone('b0', **OFFICIAL)
    assert official.state_dict().keys() == default.state_dict().keys()


def test_matches_the_package_blocks_run_as_the_authors_code():
    """conv_stem + bn0 (no swish), blocks called without a drop rate."""
    torch.manual_seed(0)
    net = EfficientNet.from_name('efficientnet-b0', image_size=None).eval()
    model = EfficientNetBackbone('b0', **OFFICIAL)
    model.load_efficientnet_state_dict(net.state_dict())
    model.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        ours = model(x)
        h = net._bn0(net._conv_stem(x))
        want = []
        for idx, block in enumerate(net._blocks):
            h = block(h)
            if idx in AUTHORS_C2_C5['b0']:
                want.append(h)
    for got, ref in zip(ours, want):
        torch.testing.assert_close(got, ref)


@pytest.mark.parametrize('stem_act', [True, False])
def test_stem_activation_option(stem_act):
    model = EfficientNetBackbone('b0', stem_act=stem_act).eval()
    seen = {}
    model._blocks[0].register_forward_pre_hook(
        lambda m, args: seen.update(block_in=args[0]))
    model._bn0.register_forward_hook(
        lambda m, args, out: seen.update(bn_out=out))
    with torch.no_grad():
        model(torch.randn(1, 3, 32, 32))
    assert torch.equal(seen['block_in'], seen['bn_out']) != stem_act


def test_no_drop_connect_makes_training_passes_repeatable():
    """Train mode uses batch statistics only, so without drop-connect two
    passes over the same batch are identical; with the package's rate they
    differ (random per-sample block drops)."""
    x = torch.randn(4, 3, 32, 32)
    torch.manual_seed(0)
    official = EfficientNetBackbone('b0', **OFFICIAL).train()
    with torch.no_grad():
        first, second = official(x), official(x)
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    torch.manual_seed(0)
    default = EfficientNetBackbone('b0').train()
    with torch.no_grad():
        first, second = default(x), default(x)
    assert not all(torch.equal(a, b) for a, b in zip(first, second))


def test_explicit_endpoint_list_and_validation():
    model = EfficientNetBackbone(
        'b0', out_indices=(0, 1, 2, 3, 4), endpoints=[-1, 1, 3, 5, 15])
    assert model.out_channels == (32, 24, 40, 80, 320)
    for bad in ('stage_start', [1, 3, 5, 15], [-1, 3, 1, 5,
                                               15], [-1, 1, 3, 5, 16]):
        with pytest.raises(ValueError, match='endpoints'):
            EfficientNetBackbone('b0', endpoints=bad)


def test_frozen_stages_follow_the_official_endpoints():
    model = EfficientNetBackbone('b0', frozen_stages=3, **OFFICIAL)
    frozen = [
        i for i, b in enumerate(model._blocks)
        if not any(p.requires_grad for p in b.parameters())
    ]
    assert frozen == [0, 1, 2, 3]  # stem + blocks up to C3 (block 3)
    assert not model._conv_stem.weight.requires_grad


# ------------------------------------------------ static ("from_pretrained")
# padding. The authors' EfficientNet.from_pretrained(arch) builds the package
# for the arch's default image size (b0: 224, b1: 240) with STATIC TF-"same"
# padding: each conv's pads are computed once, for the size that conv sees on
# an image of that size, and then applied to any input. Re-implemented here by
# hand (F.pad + conv), independently of the package's and our conv classes.
AUTHORS_IMAGE_SIZE = dict(b0=224, b1=240)  # efficientnet_params' resolution


def _same_pads(size, kernel, stride, dilation=1):
    """TF "SAME" pads (before, after) of one side of length ``size``."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def _conv_padded_for(conv, x, size):
    """``conv`` on ``x`` with the pads it has on a ``size`` x ``size`` map."""
    lo, hi = _same_pads(size, conv.weight.shape[-1], conv.stride[0],
                        conv.dilation[0])
    return F.conv2d(
        F.pad(x, (lo, hi, lo, hi)), conv.weight, conv.bias, conv.stride, 0,
        conv.dilation, conv.groups)


def _swish(x):
    return x * torch.sigmoid(x)


def authors_features(model, x, image_size, blocks):
    """The authors' layer0..layer5 (stem conv + BN without activation,
    MBConv blocks without drop-connect) with every conv padded for
    ``image_size``; returns the outputs of ``blocks``. Only the weights and
    BNs of ``model`` are used, never its convolution forwards."""
    size = image_size
    h = model._bn0(_conv_padded_for(model._conv_stem, x, size))
    size = -(-size // 2)
    feats = {}
    for idx, block in enumerate(model._blocks):
        args, inputs = block._block_args, h
        if args.expand_ratio != 1:
            h = _swish(
                block._bn0(_conv_padded_for(block._expand_conv, h, size)))
        h = _swish(
            block._bn1(_conv_padded_for(block._depthwise_conv, h, size)))
        size = -(-size // block._depthwise_conv.stride[0])
        if block.has_se:
            squeezed = F.adaptive_avg_pool2d(h, 1)
            squeezed = _swish(_conv_padded_for(block._se_reduce, squeezed, 1))
            squeezed = _conv_padded_for(block._se_expand, squeezed, 1)
            h = torch.sigmoid(squeezed) * h
        h = block._bn2(_conv_padded_for(block._project_conv, h, size))
        # the package's skip rule (its first block of a stage keeps
        # `stride` as a list, so never skips)
        if (args.id_skip and args.stride == 1
                and args.input_filters == args.output_filters):
            h = h + inputs
        feats[idx] = h
    return [feats[idx] for idx in blocks]


def _official_backbone_cfg(arch):
    """The backbone of the official d0 (b0) / d1 (b1) config."""
    from mmengine.config import Config
    name = f'efficientdet-official-d{arch[1]}_60e_voc0712.py'
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'frskd_seg_official', name)).model.backbone
    cfg = {k: v for k, v in cfg.items() if k != 'type'}
    cfg['pretrained'] = None  # nothing may download
    return cfg


def test_b1_block16_pads_at_240_and_512():
    """The one conv where the authors' padding differs at 512 crops."""
    # stride-16 map of a 240 image: 240 -> 120 -> 60 -> 30 -> 15 (odd)
    assert _same_pads(15, 5, 2) == (2, 2)
    # stride-16 map of a 512 crop is 32 wide (even): dynamic padding
    assert _same_pads(32, 5, 2) == (1, 2)
    static = EfficientNetBackbone('b1', static_image_size=240, **OFFICIAL)
    dynamic = EfficientNetBackbone('b1', **OFFICIAL)
    conv = static._blocks[16]._depthwise_conv
    assert conv.kernel_size == (5, 5) and tuple(conv.stride) == (2, 2)
    assert conv.static_padding.padding == (2, 2, 2, 2)
    assert static.state_dict().keys() == dynamic.state_dict().keys()


@pytest.mark.parametrize('arch', ['b0', 'b1'])
def test_official_backbone_pads_as_the_authors_code_at_512(arch):
    """Official d0 / d1 backbones (from the configs) against the hand-made
    static padding at 512. Train-mode BN (batch statistics) keeps every
    level at unit scale; float64 makes the comparison exact to rounding.
    On dynamic padding d1 differs at C5 by ~100 % (block 16)."""
    assert EfficientNet.get_image_size(f'efficientnet-{arch}') == \
        AUTHORS_IMAGE_SIZE[arch]
    cfg = _official_backbone_cfg(arch)
    assert cfg['arch'] == arch
    torch.manual_seed(0)
    model = EfficientNetBackbone(**cfg).double().train()
    x = torch.randn(1, 3, 512, 512, dtype=torch.float64)
    with torch.no_grad():
        ours = model(x)
        want = authors_features(model, x, AUTHORS_IMAGE_SIZE[arch],
                                AUTHORS_C2_C5[arch])
    for got, ref in zip(ours, want):
        assert got.shape == ref.shape
        torch.testing.assert_close(got, ref, rtol=1e-9, atol=1e-9)
    assert cfg.get('static_image_size') == AUTHORS_IMAGE_SIZE[arch]


def _static_vs_dynamic_pad_differences(model, side):
    """Names of the convs whose static pads (``static_padding``) differ from
    the dynamic TF-"same" pads for a ``side`` x ``side`` input."""
    convs = [('_conv_stem', model._conv_stem, 2)] + [
        (f'_blocks.{i}._depthwise_conv', b._depthwise_conv,
         b._depthwise_conv.stride[0]) for i, b in enumerate(model._blocks)
    ]  # every other conv is 1x1 stride 1: no padding either way
    differences, size = [], side
    for name, conv, stride in convs:
        pad = getattr(conv.static_padding, 'padding', (0, 0, 0, 0))
        lo, hi = _same_pads(size, conv.kernel_size[0], stride)
        if tuple(pad) != (lo, hi, lo, hi):
            differences.append(name)
        size = -(-size // stride)
    return differences


def test_static_pads_differ_from_dynamic_only_where_the_docs_say():
    """docs/frskd_official_network.md: b0 (224) pads as dynamic padding on
    sides 32k, not on others; b1 (240) differs at 512 at block 16 only."""
    b0 = EfficientNetBackbone('b0', static_image_size=224, **OFFICIAL)
    assert not any(
        _static_vs_dynamic_pad_differences(b0, 32 * k) for k in range(1, 41))
    assert _static_vs_dynamic_pad_differences(b0, 500)
    assert _static_vs_dynamic_pad_differences(b0, 48)
    b1 = EfficientNetBackbone('b1', static_image_size=240, **OFFICIAL)
    assert _static_vs_dynamic_pad_differences(
        b1, 512) == ['_blocks.16._depthwise_conv']


def test_static_padding_fast_path_keys_tracing_and_validation():
    """The in-conv fast path equals the package's ZeroPad2d forward, adds no
    state, and a trace (fixed pads) runs on other input sizes as eager."""
    from efficientnet_pytorch.utils import Conv2dStaticSamePadding

    from selfkd_seg.models.backbones.efficientnet import \
        Conv2dStaticSamePaddingFast
    torch.manual_seed(0)
    fast = EfficientNetBackbone('b1', static_image_size=240, **OFFICIAL)
    plain = EfficientNetBackbone(
        'b1', static_image_size=240, fast_same_padding=False, **OFFICIAL)
    plain.load_state_dict(fast.state_dict())
    assert fast.state_dict().keys() == EfficientNetBackbone(
        'b1', **OFFICIAL).state_dict().keys()
    assert {type(m) for m in plain.modules()} >= {Conv2dStaticSamePadding}
    assert Conv2dStaticSamePadding not in {type(m) for m in fast.modules()}
    assert Conv2dStaticSamePaddingFast in {type(m) for m in fast.modules()}
    fast.eval(), plain.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        traced = torch.jit.trace(fast, x)
        for inp in (x, torch.randn(1, 3, 96, 160)):
            for a, b, c in zip(fast(inp), plain(inp), traced(inp)):
                torch.testing.assert_close(a, b)
                torch.testing.assert_close(a, c)
    # benchmarks' --legacy-ops puts the package's F.pad forward back
    from selfkd_research.benchmarks.benchmark import use_legacy_ops
    use_legacy_ops(fast)
    assert Conv2dStaticSamePaddingFast not in {type(m) for m in fast.modules()}
    with torch.no_grad():
        for a, b in zip(fast(x), plain(x)):
            torch.testing.assert_close(a, b)
    for bad in (0, -224, (224, ), 'b1', 224.0, True):
        with pytest.raises(ValueError, match='static_image_size'):
            EfficientNetBackbone('b0', static_image_size=bad)
    assert EfficientNetBackbone(
        'b0', static_image_size=(224, 224)).static_image_size == [224, 224]
