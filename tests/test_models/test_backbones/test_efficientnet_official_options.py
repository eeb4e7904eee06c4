"""EfficientNetBackbone options for the FRSKD authors' segmentation network:
``endpoints='frskd_official'``, ``stem_act=False``, ``drop_connect_rate=0``."""
import math

import pytest
import torch
from efficientnet_pytorch import EfficientNet

import selfkd_seg  # noqa: F401  (compat before mmseg / registration)
from selfkd_seg.models.backbones import EfficientNetBackbone

OFFICIAL = dict(endpoints='frskd_official', stem_act=False,
                drop_connect_rate=0.)
# the authors' grouping: b0 layer1..5 = blocks 0-1, 2-3, 4-5, 6-11, 12-15;
# b1 = 0-2, 3-5, 6-8, 9-11, 12-22 (C2..C5: ends of layer1, 2, 3 and 5)
AUTHORS_C2_C5 = dict(b0=[1, 3, 5, 15], b1=[2, 5, 8, 22])


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
    for bad in ('stage_start', [1, 3, 5, 15], [-1, 3, 1, 5, 15],
                [-1, 1, 3, 5, 16]):
        with pytest.raises(ValueError, match='endpoints'):
            EfficientNetBackbone('b0', endpoints=bad)


def test_frozen_stages_follow_the_official_endpoints():
    model = EfficientNetBackbone('b0', frozen_stages=3, **OFFICIAL)
    frozen = [i for i, b in enumerate(model._blocks)
              if not any(p.requires_grad for p in b.parameters())]
    assert frozen == [0, 1, 2, 3]  # stem + blocks up to C3 (block 3)
    assert not model._conv_stem.weight.requires_grad
