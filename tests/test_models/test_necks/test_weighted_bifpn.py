import math

import pytest
import torch
import torch.nn as nn

import selfkd_seg  # noqa: F401  (compat before mmseg / registration)
from selfkd_seg.models.necks import WeightedBiFPN
from selfkd_seg.models.utils import FastNormalizedFusion

IN_CHANNELS = [8, 12, 20, 24]  # tiny stand-ins for C2..C5 (24, 40, 112, 320)


def level_sizes(h, w, levels):
    """TF-same sizes of an image's pyramid levels: ceil(size / 2**level)."""
    return [(math.ceil(h / 2**lvl), math.ceil(w / 2**lvl)) for lvl in levels]


def backbone_feats(h, w, channels=IN_CHANNELS, first_level=2, batch=2):
    sizes = level_sizes(h, w, range(first_level, first_level + len(channels)))
    return [torch.randn(batch, c, *s) for c, s in zip(channels, sizes)]


@pytest.mark.parametrize('h, w', [(64, 64), (66, 50), (500, 375), (97, 61)])
def test_p2_to_p7_shapes(h, w):
    neck = WeightedBiFPN(IN_CHANNELS, out_channels=16, num_layers=2).eval()
    with torch.no_grad():
        outs = neck(backbone_feats(h, w, batch=1))
    assert len(outs) == 6
    for out, size in zip(outs, level_sizes(h, w, range(2, 8))):
        assert out.shape == (1, 16, *size)


def test_p3_to_p7_skips_c2():
    neck = WeightedBiFPN(
        IN_CHANNELS, out_channels=16, min_level=3, num_layers=2)
    feats = backbone_feats(66, 50)
    for f in feats:
        f.requires_grad_(True)
    outs = neck(feats)
    assert [o.shape[-2:] for o in outs
            ] == [torch.Size(s) for s in level_sizes(66, 50, range(3, 8))]
    sum(o.sum() for o in outs).backward()
    assert feats[0].grad is None
    assert all(f.grad is not None for f in feats[1:])


def test_feature_sizes_that_are_not_ceil_halves():
    # e.g. a backbone with floor rounding: levels are resized to fit exactly.
    sizes = [(24, 15), (12, 7), (6, 3), (3, 1)]
    feats = [torch.randn(1, c, *s) for c, s in zip(IN_CHANNELS, sizes)]
    neck = WeightedBiFPN(IN_CHANNELS, out_channels=16, num_layers=1).eval()
    with torch.no_grad():
        outs = neck(feats)
    assert [tuple(o.shape[-2:]) for o in outs[:4]] == sizes
    assert tuple(outs[4].shape[-2:]) == (2, 1)  # same max-pool of P5


def test_gradient_reaches_every_fusion_weight_and_parameter():
    neck = WeightedBiFPN(IN_CHANNELS, out_channels=16, num_layers=2)
    outs = neck(backbone_feats(66, 50))
    sum((o * torch.randn_like(o)).sum() for o in outs).backward()
    fusion_weights = {
        name: p
        for name, p in neck.named_parameters()
        if name.endswith('fusion.weight')
    }
    # per layer: 5 top-down nodes (P2..P6) + 5 bottom-up nodes (P3..P7)
    assert len(fusion_weights) == 2 * 10
    for name, p in neck.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_last_layer_top_down_outputs_every_level_from_a_trained_node():
    """FRSKD's ``is_last`` self-teacher layer: a P2-only loss trains it all."""
    neck = WeightedBiFPN(
        [16] * 6, out_channels=16, num_layers=2, last_layer_top_down=True)
    last = neck.stages[1]
    assert not hasattr(last, 'bu_nodes')
    assert sorted(last.td_nodes) == ['P2', 'P3', 'P4', 'P5', 'P6', 'P7']
    assert last.td_nodes['P7'].fusion.num_inputs == 1
    assert not list(last.td_nodes['P7'].fusion.parameters())
    assert hasattr(neck.stages[0], 'bu_nodes')  # earlier layers are full
    feats = backbone_feats(66, 50, channels=[16] * 6)
    outs = neck(feats)
    assert [o.shape[-2:] for o in outs] == [f.shape[-2:] for f in feats]
    # the outputs are the last layer's top-down pass
    mid = neck.stages[0](feats)
    p7 = last.td_nodes['P7']([mid[5]])
    p6 = last.td_nodes['P6']([
        mid[4],
        nn.functional.interpolate(p7, size=mid[4].shape[-2:], mode='nearest')
    ])
    assert torch.allclose(outs[5], p7) and torch.allclose(outs[4], p6)
    outs[0].square().mean().backward()  # a head on P2 only
    for name, p in neck.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_without_top_down_last_layer_a_p2_loss_leaves_nodes_untrained():
    """The EfficientDet layout (the baseline student): documents why the
    plain configs set find_unused_parameters=True."""
    neck = WeightedBiFPN([16] * 6, out_channels=16, num_layers=2)
    neck(backbone_feats(32, 32, channels=[16] * 6))[0].sum().backward()
    untrained = {
        n.split('.')[3]
        for n, p in neck.named_parameters() if p.grad is None
    }
    assert untrained == {'P3', 'P4', 'P5', 'P6', 'P7'}  # stages.1.bu_nodes


def test_topology_node_inputs_and_separate_first_layer_adapters():
    neck = WeightedBiFPN(IN_CHANNELS, out_channels=16, num_layers=2)
    first, second = neck.stages
    assert list(first.td_nodes) == ['P2', 'P3', 'P4', 'P5', 'P6']
    assert list(first.bu_nodes) == ['P3', 'P4', 'P5', 'P6', 'P7']
    assert [n.fusion.num_inputs for n in first.td_nodes.values()] == [2] * 5
    assert [n.fusion.num_inputs
            for n in first.bu_nodes.values()] == [3, 3, 3, 3, 2]
    # Inputs C2..C5 are adapted separately for the two paths; the extra
    # levels P6/P7 already have the BiFPN width.
    for name in ['P3', 'P4', 'P5']:
        assert first.td_laterals[name] is not first.bu_laterals[name]
        assert first.bu_laterals[name].conv.kernel_size == (1, 1)
    assert isinstance(first.td_laterals['P6'], nn.Identity)
    assert isinstance(first.bu_laterals['P7'], nn.Identity)
    assert all(
        isinstance(m, nn.Identity)
        for m in [*second.td_laterals.values(), *second.bu_laterals.values()])
    # P6 = max-pool(1x1 conv + BN (C5)), P7 = max-pool(P6)
    assert len(neck.extra_levels) == 2
    assert neck.extra_levels[0][0].conv.in_channels == 24


def test_node_is_fusion_swish_separable_conv_bn_without_final_act():
    node = WeightedBiFPN(IN_CHANNELS, out_channels=16).stages[0].td_nodes.P2
    assert isinstance(node.fusion, FastNormalizedFusion)
    assert node.fusion.eps == 1e-4
    dw, pw = node.conv.depthwise_conv, node.conv.pointwise_conv
    assert dw.conv.groups == 16 and dw.norm_cfg is None
    assert not dw.with_activation
    assert pw.bn.momentum == 0.01 and pw.bn.eps == 1e-3
    assert not pw.with_activation
    node.eval()
    with torch.no_grad():
        node.fusion.weight.copy_(torch.tensor([1.0, 3.0]))
        a, b = torch.randn(2, 1, 16, 5, 4)
        fused = (a + 3 * b) / (4 + 1e-4)
        expected = node.conv(fused * torch.sigmoid(fused))
        torch.testing.assert_close(node([a, b]), expected)


def test_unweighted_fusion_is_a_plain_sum():
    neck = WeightedBiFPN(
        IN_CHANNELS, out_channels=16, weighted_fusion=False, num_layers=1)
    assert not any('fusion' in n for n, _ in neck.named_parameters())
    fusion = neck.stages[0].bu_nodes.P3.fusion
    a, b, c = torch.randn(3, 1, 2, 3, 3)
    torch.testing.assert_close(fusion([a, b, c]), a + b + c)
    assert len(neck(backbone_feats(64, 64))) == 6


def test_self_teacher_stack_on_bifpn_outputs():
    student = WeightedBiFPN(IN_CHANNELS, out_channels=16, num_layers=1)
    teacher = WeightedBiFPN([16] * 6, out_channels=16, num_layers=2)
    assert len(teacher.extra_levels) == 0
    assert all(
        isinstance(m, nn.Identity)
        for m in teacher.stages[0].td_laterals.values())
    levels = student(backbone_feats(66, 50))
    outs = teacher(levels)
    assert [o.shape for o in outs] == [lvl.shape for lvl in levels]


def test_channel_and_count_mismatch_errors():
    neck = WeightedBiFPN(IN_CHANNELS, out_channels=16)
    feats = backbone_feats(64, 64, channels=[8, 12, 20, 32])
    with pytest.raises(
            ValueError,
            match=r'channels \[8, 12, 20, 24\].*\[8, 12, 20, 32\]'):
        neck(feats)
    with pytest.raises(ValueError, match='expects 4 inputs.*got 3 inputs'):
        neck(backbone_feats(64, 64)[:3])


def test_bad_level_ranges():
    with pytest.raises(ValueError, match='min_level=1'):
        WeightedBiFPN(IN_CHANNELS, min_level=1)
    with pytest.raises(ValueError, match='max_level'):
        WeightedBiFPN(IN_CHANNELS, min_level=5, max_level=5)
    with pytest.raises(ValueError, match='num_layers'):
        WeightedBiFPN(IN_CHANNELS, num_layers=0)


def test_level_range_within_inputs_and_registry():
    from mmseg.registry import MODELS
    neck = MODELS.build(
        dict(
            type='WeightedBiFPN',
            in_channels=IN_CHANNELS,
            out_channels=16,
            min_level=3,
            max_level=5,
            num_layers=1))
    assert len(neck.extra_levels) == 0
    # the top level is a backbone level: it gets its own bottom-up adapter
    assert not isinstance(neck.stages[0].bu_laterals['P5'], nn.Identity)
    outs = neck(backbone_feats(64, 64))
    assert [tuple(o.shape[1:]) for o in outs] == [(16, 8, 8), (16, 4, 4),
                                                  (16, 2, 2)]
