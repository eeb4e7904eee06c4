"""FRSKD self-teachers (BiFPNc / BiFPN): shapes, wiring, fusion, errors."""
import pytest
import torch
import torch.nn.functional as F

import selfkd_seg  # noqa: F401
from selfkd_seg.models.necks import FRSKDBiFPN as BiFPN
from selfkd_seg.models.necks import FRSKDBiFPNc as BiFPNc
from selfkd_seg.models.utils import FastNormalizedFusion
from selfkd_seg.registry import MODELS

# (channels, spatial size at 32x32 input) of the classifiers' stages
CIFAR_RESNET18 = ([64, 128, 256, 512], [32, 16, 8, 4])
WRN_16_2 = ([32, 64, 128], [32, 16, 8])


def _feats(channels, sizes, batch=2, scale=1):
    return [
        torch.randn(batch, c, s // scale, s // scale)
        for c, s in zip(channels, sizes)
    ]


@pytest.mark.parametrize('stages', [CIFAR_RESNET18, WRN_16_2])
def test_bifpnc_shapes_and_logits(stages):
    channels, sizes = stages
    neck = MODELS.build(
        dict(type='FRSKDBiFPNc', in_channels=channels, num_classes=100))
    # real channel counts, spatial sizes /4 to keep the test fast
    out = neck(_feats(channels, sizes, scale=4))
    assert [tuple(f.shape) for f in out.post
            ] == [(2, 2 * c, s // 4, s // 4) for c, s in zip(channels, sizes)]
    assert out.logits.shape == (2, 100)
    for pre, post in zip(out.pre, out.post):
        assert torch.equal(post, F.relu(pre))
    expected = neck.fc(out.post[-1].mean((2, 3)))
    assert torch.allclose(out.logits, expected, atol=1e-6)


def test_bifpn_single_width_and_no_classifier():
    channels, sizes = WRN_16_2
    neck = BiFPN(channels, num_channels=16, upsample_mode='bilinear')
    out = neck(_feats(channels, sizes, scale=4))
    assert [f.shape[1] for f in out.post] == [16, 16, 16]
    assert out.logits is None


def test_two_stacked_layers_take_wide_inputs():
    channels = [4, 8, 16]
    neck = BiFPNc(channels, width=3, num_layers=2, num_classes=5)
    second = neck.layers[1]
    # stacked layer: lat is the identity, lat2 maps d_i -> d_i
    assert all(isinstance(m, torch.nn.Identity) for m in second.lat)
    assert [m.conv.in_channels for m in second.lat2] == [24, 48]
    out = neck(_feats(channels, [8, 4, 2]))
    assert [f.shape[1] for f in out.post] == [12, 24, 48]


def test_odd_sizes_are_resampled_exactly():
    neck = BiFPNc([4, 8, 16], num_classes=3)
    feats = [
        torch.randn(1, 4, 7, 7),
        torch.randn(1, 8, 4, 4),
        torch.randn(1, 16, 2, 2)
    ]
    assert [f.shape[-1] for f in neck(feats).post] == [7, 4, 2]


def test_wiring_matches_the_paper_equations():
    """Recompute T_1..T_3 from the submodules, equation by equation."""
    torch.manual_seed(0)
    neck = BiFPNc([4, 8, 16], depth=1, num_classes=None).eval()
    with torch.no_grad():  # distinct fusion weights expose swapped inputs
        for fusion in neck.modules():
            if isinstance(fusion, FastNormalizedFusion):
                fusion.weight.uniform_(0.2, 2.0)
    f = _feats([4, 8, 16], [8, 4, 2], batch=1)
    layer = neck.layers[0]
    lat = [m(x) for m, x in zip(layer.lat, f)]
    lat2 = [None] + [m(x) for m, x in zip(layer.lat2, f[1:])]

    def fuse(fusion, xs):
        w = F.relu(fusion.weight)
        w = w / (w.sum() + 1e-6)
        return sum(wi * xi for wi, xi in zip(w, xs))

    def up(x):
        return F.interpolate(F.relu(x), scale_factor=2, mode='nearest')

    p3 = lat[2]
    p2 = layer.up_nodes[1](
        fuse(layer.up_fusions[1], [F.relu(lat[1]), layer.up_convs[1](up(p3))]))
    p1 = layer.up_nodes[0](
        fuse(layer.up_fusions[0], [F.relu(lat[0]), layer.up_convs[0](up(p2))]))
    t1 = p1
    down = layer.down_sample
    t2 = layer.down_nodes[0](
        fuse(layer.down_fusions[0], [
            F.relu(lat2[1]),
            F.relu(p2), layer.down_convs[0](down(F.relu(t1)))
        ]))
    t3 = layer.down_nodes[1](
        fuse(layer.down_fusions[1],
             [F.relu(lat2[2]), layer.down_convs[1](down(F.relu(t2)))]))
    out = neck(f)
    for got, want in zip(out.pre, [t1, t2, t3]):
        assert torch.allclose(got, want, atol=1e-5)


def test_fusion_weights_are_normalized():
    neck = BiFPNc([4, 8, 16])
    fusions = [
        m for m in neck.modules() if isinstance(m, FastNormalizedFusion)
    ]
    # 2 top-down nodes (2 inputs) + middle (3) + top (2) bottom-up nodes
    assert sorted(m.num_inputs for m in fusions) == [2, 2, 2, 3]
    for m in fusions:
        assert m.normalized_weights().sum().item() == pytest.approx(
            1.0, abs=1e-5)
        assert m.eps == 1e-6


def test_output_norms_produce_the_pre_relu_outputs():
    neck = BiFPNc([4, 8, 16], num_layers=2).eval()
    captured = []
    hooks = [
        bn.register_forward_hook(lambda m, i, o: captured.append(o))
        for bn in neck.output_norms()
    ]
    out = neck(_feats([4, 8, 16], [8, 4, 2]))
    for h in hooks:
        h.remove()
    assert len(captured) == 3
    for pre in out.pre:
        assert any(torch.equal(pre, c) for c in captured)


def test_errors_name_expected_and_got():
    neck = BiFPNc([4, 8, 16])
    with pytest.raises(ValueError, match=r'\[4, 8, 12\].*\[4, 8, 16\]'):
        neck(_feats([4, 8, 12], [8, 4, 2]))
    with pytest.raises(ValueError, match='expects 3 feature levels, got 2'):
        neck(_feats([4, 8], [8, 4]))
    with pytest.raises(ValueError, match='at least 2 levels'):
        BiFPNc([4])
    with pytest.raises(ValueError, match='upsample_mode'):
        BiFPN([4, 8], upsample_mode='cubic')


@pytest.mark.parametrize('backbone', [
    dict(type='CIFARResNet18', out_indices=(0, 1, 2, 3)),
    dict(
        type='WideResNet',
        depth=16,
        widen_factor=2,
        norm_in_blocks=False,
        out_indices=(0, 1, 2)),
])
def test_on_real_cifar_backbone_stages(backbone):
    bb = MODELS.build(backbone).eval()
    with torch.no_grad():
        feats = bb(torch.randn(1, 3, 16, 16))
        out = BiFPNc(list(bb.stage_channels), num_classes=100)(list(feats))
    assert [f.shape[1:]
            for f in out.post] == [(2 * c, ) + tuple(f.shape[2:])
                                   for c, f in zip(bb.stage_channels, feats)]
    assert out.logits.shape == (1, 100)


@pytest.mark.parametrize('old,new', [('BiFPN', 'FRSKDBiFPN'),
                                     ('BiFPNc', 'FRSKDBiFPNc')])
def test_old_names_fail_naming_the_new_one(old, new):
    from selfkd_seg.registry import MODELS
    with pytest.raises(KeyError, match=f"renamed to type='{new}'"):
        MODELS.build(dict(type=old, in_channels=[4, 8, 16]))
    neck = MODELS.build(dict(type=new, in_channels=[4, 8, 16]))
    assert type(neck).__name__ == new
