"""FRSKDSegBiFPN: the FPN + plain-sum BiFPN of FRSKD's segmentation code."""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import selfkd_seg  # noqa: F401  (compat before mmseg / registration)
from selfkd_seg.models.necks import FRSKDSegBiFPN
from selfkd_seg.models.necks.frskd_official_bifpn import FRSKDSegBiFPNLayer

IN_CHANNELS = [8, 12, 20, 24]  # tiny stand-ins for C2..C5 (24, 40, 80, 320)


def level_sizes(h, w, levels):
    return [(math.ceil(h / 2**lvl), math.ceil(w / 2**lvl)) for lvl in levels]


def backbone_feats(h, w, channels=IN_CHANNELS, batch=2):
    sizes = level_sizes(h, w, range(2, 2 + len(channels)))
    return [torch.randn(batch, c, *s) for c, s in zip(channels, sizes)]


def conv_biases_before_bn(module):
    """Names of conv biases that feed a BN directly (a train-mode BN
    subtracts the batch mean, so their gradient is zero analytically)."""
    names = set()
    for name, mod in module.named_modules():
        if isinstance(mod, nn.Sequential):
            children = list(mod.named_children())
            for (cname, child), (_, nxt) in zip(children, children[1:]):
                if (isinstance(child, nn.Conv2d) and child.bias is not None
                        and isinstance(nxt, nn.modules.batchnorm._BatchNorm)):
                    names.add(
                        f'{name}.{cname}.bias' if name else f'{cname}.bias')
    return names


@pytest.mark.parametrize('h, w', [(64, 64), (66, 50), (97, 61)])
def test_p2_to_p7_shapes(h, w):
    neck = FRSKDSegBiFPN(IN_CHANNELS, out_channels=16, num_layers=2).eval()
    assert neck.num_outs == 6 and neck.out_channels == 16
    with torch.no_grad():
        outs = neck(backbone_feats(h, w, batch=1))
    assert len(outs) == 6
    for out, size in zip(outs, level_sizes(h, w, range(2, 8))):
        assert out.shape == (1, 16, *size)


def test_fpn_layout_p6_from_raw_c5_and_no_smooth_layers():
    neck = FRSKDSegBiFPN(IN_CHANNELS, out_channels=16, num_layers=1)
    assert [n for n, _ in neck.named_children()
            ] == ['laterals', 'extra_convs', 'layers']
    assert [lat[0].in_channels for lat in neck.laterals] == IN_CHANNELS
    assert all(lat[0].kernel_size == (1, 1) for lat in neck.laterals)
    p6, p7 = neck.extra_convs
    assert p6[0].in_channels == 24 and p6[0].stride == (2, 2)  # raw C5
    assert p7[0].in_channels == 16 and p7[0].kernel_size == (3, 3)
    assert neck.laterals[0][1].eps == 1e-4  # the FPN's BN
    node = neck.layers[0].td_nodes[0]
    assert node[0].groups == 16 and node[0].kernel_size == (1, 1)
    assert node[0].bias is not None and node[1].eps == 1e-5
    assert isinstance(node[2], nn.ReLU)


def test_self_teacher_form_takes_six_levels_without_fpn():
    neck = FRSKDSegBiFPN(
        [16] * 6, 16, num_layers=2, with_fpn=False,
        last_layer_top_down=True).eval()
    assert not hasattr(neck, 'laterals') and neck.num_outs == 6
    feats = [torch.randn(1, 16, *s) for s in level_sizes(97, 61, range(2, 8))]
    with torch.no_grad():
        outs = neck(feats)
    assert [o.shape for o in outs] == [f.shape for f in feats]
    with pytest.raises(ValueError, match='out_channels'):
        FRSKDSegBiFPN([16] * 5 + [8], 16, with_fpn=False)
    with pytest.raises(ValueError, match='channels'):
        neck([torch.randn(1, 8, 4, 4)] * 6)


def identity_layer(channels, num_levels, top_down_only):
    """A layer whose nodes are ReLU(x): conv weight 1, bias 0, BN in eval
    mode with mean 0, var 1, eps 0."""
    layer = FRSKDSegBiFPNLayer(
        channels,
        num_levels,
        dict(type='BN', eps=0.),
        dict(type='ReLU'),
        top_down_only=top_down_only).eval()
    for node in list(layer.td_nodes) + list(layer.bu_nodes):
        nn.init.ones_(node[0].weight)
        nn.init.zeros_(node[0].bias)
    return layer


def test_plain_sum_fusion_by_hand():
    a, b, c = 1.0, 10.0, 100.0
    feats = [
        torch.full((1, 2, 4, 4), a),
        torch.full((1, 2, 2, 2), b),
        torch.full((1, 2, 1, 1), c)
    ]
    with torch.no_grad():
        outs = identity_layer(2, 3, top_down_only=False)(feats)
        ups = identity_layer(2, 3, top_down_only=True)(feats)
    # top-down: P_up[2] = c, P_up[1] = b + c, P_up[0] = a + b + c
    assert [o.unique().tolist() for o in ups] == [[a + b + c], [b + c], [c]]
    # bottom-up: P_out[i] = P_in[i] + P_up[i] + down(P_out[i - 1])
    p3 = b + (b + c) + (a + b + c)
    p4 = c + c + p3
    assert [o.unique().tolist() for o in outs] == [[a + b + c], [p3], [p4]]


def test_fusion_matches_a_reference_on_odd_sizes():
    """Random positive maps of odd sizes: bilinear up, nearest down."""
    torch.manual_seed(0)
    sizes = [(13, 9), (7, 5), (4, 3), (2, 2)]
    feats = [torch.rand(1, 3, *s) for s in sizes]
    with torch.no_grad():
        outs = identity_layer(3, 4, top_down_only=False)(feats)

    def up(x, ref):
        return F.interpolate(
            x, ref.shape[-2:], mode='bilinear', align_corners=False)

    def down(x, ref):
        return F.interpolate(x, ref.shape[-2:], mode='nearest')

    p = feats
    up3 = p[3]
    up2 = p[2] + up(up3, p[2])
    up1 = p[1] + up(up2, p[1])
    out0 = p[0] + up(up1, p[0])
    out1 = p[1] + up1 + down(out0, p[1])
    out2 = p[2] + up2 + down(out1, p[2])
    out3 = p[3] + up3 + down(out2, p[3])
    for got, want in zip(outs, (out0, out1, out2, out3)):
        torch.testing.assert_close(got, want)


def test_last_layer_top_down_returns_top_down_outputs():
    neck = FRSKDSegBiFPN(
        [8] * 6, 8, num_layers=1, with_fpn=False,
        last_layer_top_down=True).eval()
    layer = neck.layers[0]
    assert layer.top_down_only and len(layer.bu_nodes) == 0
    assert len(layer.td_nodes) == 6
    feats = [torch.rand(1, 8, *s) for s in level_sizes(64, 64, range(2, 8))]
    captured = []
    hooks = [
        n.register_forward_hook(lambda m, i, o: captured.append(o))
        for n in layer.td_nodes
    ]
    with torch.no_grad():
        outs = neck(feats)
    for h in hooks:
        h.remove()
    # nodes run top (P7) first; each output is its level's top-down node
    assert all(o is c for o, c in zip(outs, captured[::-1]))
    # a full layer builds one bottom-up node per level above P2
    full = FRSKDSegBiFPN([8] * 6, 8, num_layers=2, with_fpn=False)
    assert [len(lay.bu_nodes) for lay in full.layers] == [5, 5]


@pytest.mark.parametrize('with_fpn', [True, False])
def test_every_parameter_trained_by_a_p2_loss_when_last_is_top_down(with_fpn):
    torch.manual_seed(0)
    in_channels = IN_CHANNELS if with_fpn else [8] * 6
    neck = FRSKDSegBiFPN(
        in_channels,
        8,
        num_layers=2,
        with_fpn=with_fpn,
        last_layer_top_down=True).train()
    feats = (
        backbone_feats(66, 50, in_channels) if with_fpn else
        [torch.randn(2, 8, *s) for s in level_sizes(66, 50, range(2, 8))])
    outs = neck(feats)
    (outs[0] * torch.randn_like(outs[0])).sum().backward()
    pre_bn_biases = conv_biases_before_bn(neck)
    assert pre_bn_biases  # the authors' convs keep their biases
    for name, param in neck.named_parameters():
        assert param.grad is not None, f'{name} is not used'
        if name in pre_bn_biases:
            # in the graph (DDP-safe), but a BN subtracts the batch mean
            continue
        assert param.grad.abs().max() > 0, f'{name} has a zero gradient'


def test_full_last_layer_leaves_its_bottom_up_nodes_unused():
    """The baseline's situation (P2-only head): why its configs set
    find_unused_parameters=True."""
    neck = FRSKDSegBiFPN([8] * 6, 8, num_layers=1, with_fpn=False).train()
    outs = neck(
        [torch.randn(2, 8, *s) for s in level_sizes(64, 64, range(2, 8))])
    outs[0].sum().backward()
    unused = {n for n, p in neck.named_parameters() if p.grad is None}
    assert unused == {
        n
        for n, _ in neck.named_parameters() if '.bu_nodes.' in n
    }
