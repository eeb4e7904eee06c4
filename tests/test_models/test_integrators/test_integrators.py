import pytest
import torch

import selfkd_seg  # noqa: F401  (registers the integrators)
from selfkd_seg.models.integrators import (AttentionIntegration,
                                           ConvBNConnector,
                                           LayerwiseIntegration,
                                           ReceptiveFieldIntegration)
from selfkd_seg.registry import MODELS

ALL = [
    LayerwiseIntegration, AttentionIntegration, ReceptiveFieldIntegration,
    ConvBNConnector
]


def _feats(channels, sizes, batch=2):
    return [torch.randn(batch, c, s, s) for c, s in zip(channels, sizes)]


@pytest.mark.parametrize('cls', ALL)
@pytest.mark.parametrize(
    'channels,sizes,out_channels,out_size',
    [
        # resnet20-like stages -> resnet32x4-like teacher
        ((16, 32, 64), (32, 16, 8), 256, (8, 8)),
        # student larger spatially than the teacher (down-scaling path)
        ((16, 24, 40, 112), (16, 16, 8, 8), 64, (4, 4)),
        # student smaller than the teacher, non-square target
        ((8, 8, 16), (4, 2, 2), 32, (6, 5)),
    ])
def test_output_shape(cls, channels, sizes, out_channels, out_size):
    model = MODELS.build(
        dict(
            type=cls.__name__,
            in_channels=list(channels),
            out_channels=out_channels))
    out = model(_feats(channels, sizes), out_size)
    assert out.shape == (2, out_channels, *out_size)
    # gradients reach the stages the integrator claims to use, not the others
    feats = [f.requires_grad_() for f in _feats(channels, sizes)]
    model(feats, out_size).sum().backward()
    used = len(channels) - model.num_inputs
    assert all(f.grad is None for f in feats[:used])
    assert all(f.grad is not None for f in feats[used:])


def test_layerwise_channel_split():
    li = LayerwiseIntegration([16, 32, 64], 256)
    assert [c.out_channels for c in li.reduce_convs] == [64, 64, 128]
    assert [c.in_channels for c in li.reduce_convs] == [16, 32, 64]


def test_attention_mid_channels():
    assert AttentionIntegration([16, 32, 64], 64).mid_channels == 96
    ai = AttentionIntegration([512, 1024, 2048], 64)
    assert ai.mid_channels == (512 + 1024 + 2048) // 16
    assert ai.attention[1].out_channels == ai.mid_channels // 16


def test_receptive_field_branches_are_pooled():
    ri = ReceptiveFieldIntegration([64], 256)
    assert ri.project.out_channels == 64
    seen = []
    hooks = [
        conv.register_forward_hook(lambda m, i, o: seen.append(o.shape[-2:]))
        for conv in ri.branch_convs
    ]
    ri([torch.randn(1, 64, 8, 8)], (8, 8))
    for h in hooks:
        h.remove()
    assert [tuple(s) for s in seen] == [(2, 2), (4, 4), (6, 6)]


def test_rescale_rule():
    ri = ConvBNConnector([4], 4)
    x = torch.arange(16.).view(1, 1, 4, 4)
    # shrinking by 2 = 2x2 mean (adaptive average pooling)
    assert torch.equal(
        ri.rescale(x, (2, 2)), torch.tensor([[[[2.5, 4.5], [10.5, 12.5]]]]))
    assert ri.rescale(x, (4, 4)) is x
    assert ri.rescale(x, (8, 8)).shape[-2:] == (8, 8)


def test_errors():
    with pytest.raises(ValueError, match='divisible by 4'):
        LayerwiseIntegration([8, 16, 32], 30)
    with pytest.raises(ValueError, match='divisible by 4'):
        ReceptiveFieldIntegration([8], 30)
    with pytest.raises(ValueError, match='last 3 student'):
        LayerwiseIntegration([8, 16], 32)
    with pytest.raises(ValueError, match='downsample'):
        ConvBNConnector([8], 8, downsample='nearest')
    li = LayerwiseIntegration([8, 16, 32], 32)
    with pytest.raises(ValueError, match=r'student feature 1 should be'):
        li(_feats((8, 15, 32), (8, 4, 2)), (4, 4))
    with pytest.raises(ValueError, match='was built for 3'):
        li(_feats((16, 32), (4, 2)), (4, 4))
