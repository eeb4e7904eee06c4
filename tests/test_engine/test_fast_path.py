"""The fast path (docs/performance.md) on CPU: same numbers, other layout.

- EfficientNet: ``nn.SiLU`` and in-conv "same" padding by default, equal
  to the package's memory-efficient swish + ``F.pad`` (float64), same keys;
- :func:`use_silu`, :func:`use_sync_free_losses`: state dicts and losses
  unchanged, no mmcv swish or mmseg host sync left;
- ``channels_last``: same losses and gradients for every method;
- bfloat16 autocast: losses close to float32, KD/AT float32 inside;
- ``torch.compile``: same losses and gradients. Inductor compiles the
  distillation losses (C++ on CPU); the toy models compile with
  ``backend='aot_eager'`` (dynamo + AOT autograd: the forward and backward
  graphs inductor would get, run by eager kernels), because inductor's C++
  build took over 8 minutes for a toy FRSKD and 120 s for a 1-layer BiFPN
  with a head on these 2 shared cores (measured).
CUDA-only checks are skipped without a GPU.
"""
import copy
import warnings

import pytest
import torch
import torch.nn as nn
from mmengine.registry import MODELS, init_default_scope
from tiny_configs import METHODS, tiny_cfg

import selfkd_seg  # noqa: F401
from selfkd_research.benchmarks.benchmark import (RunOptions,
                                                  disable_randomness,
                                                  loss_terms,
                                                  relative_differences)
from selfkd_seg.apis.config import replace_sync_bn
from selfkd_seg.engine.fast_path import (apply_fast_path, is_channels_last,
                                         sync_free_accuracy, use_silu,
                                         use_sync_free_losses)


def build(method, seed=0, fast=True):
    """The method's tiny toy model (64 px seg / 32 px cls), fast path on
    (``fast``), dropout and drop-connect off, train mode."""
    cfg = tiny_cfg(method, dict(seg='/none', cls='/none'), '/tmp/none')
    init_default_scope(cfg.default_scope)
    replace_sync_bn(cfg.model)
    model_cfg = copy.deepcopy(cfg.model)
    if 'teacher_ckpt' in model_cfg:
        model_cfg.update(teacher_ckpt=None, allow_random_teacher=True)
    if model_cfg.get('data_preprocessor') is None and \
            cfg.get('data_preprocessor') is not None:
        model_cfg['data_preprocessor'] = cfg.data_preprocessor
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # random teacher, mmseg deprecations
        model = MODELS.build(model_cfg)
        model.init_weights()
    if fast:
        apply_fast_path(model)
    return disable_randomness(model).train()


def batch_for(method, batch=2, num_classes=4):
    kind = METHODS[method][1]
    gen = torch.Generator().manual_seed(1)
    if kind == 'seg':
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample
        size = (64, 64)
        inputs = torch.randn(batch, 3, *size, generator=gen)
        samples = []
        for i in range(batch):
            label = torch.randint(0, num_classes, (1, *size), generator=gen)
            label[:, :4] = 255  # some ignored pixels
            s = SegDataSample(gt_sem_seg=PixelData(data=label))
            s.set_metainfo(
                dict(img_shape=size, ori_shape=size, pad_shape=size))
            samples.append(s)
        return inputs, samples
    from mmpretrain.structures import DataSample
    inputs = torch.randn(batch * 2, 3, 32, 32, generator=gen)
    labels = torch.randint(0, num_classes, (batch * 2, ), generator=gen)
    return inputs, [DataSample().set_gt_label(int(y)) for y in labels]


def loss_and_grads(model, inputs, samples, loss_fn=None, opts=None):
    opts = opts or RunOptions()
    model.zero_grad(set_to_none=True)
    with opts.autocast():
        losses = (loss_fn or model.loss)(inputs, samples)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    terms = {
        k: float(v.detach().float().sum())
        for k, v in losses.items() if 'loss' in k
    }
    grads = torch.cat([
        (p.grad if p.grad is not None else torch.zeros_like(p)).flatten()
        for p in model.parameters() if p.requires_grad
    ])
    return terms, grads


def assert_close_terms(ref, other, rtol):
    rel = relative_differences(ref, other)
    assert max(rel.values()) <= rtol, rel


def grad_rel(a, b):
    return float((a - b).norm() / a.norm())


# ---------------------------------------------------------------- backbone
def test_efficientnet_silu_and_same_padding_equal_the_package():
    from efficientnet_pytorch.utils import MemoryEfficientSwish

    from selfkd_seg.models.backbones.efficientnet import (Conv2dSamePadding,
                                                          EfficientNetBackbone)
    legacy = EfficientNetBackbone(
        memory_efficient_swish=True,
        fast_same_padding=False,
        drop_connect_rate=0.).double().train()
    fast = EfficientNetBackbone(drop_connect_rate=0.).double().train()
    assert any(type(m) is nn.SiLU for m in fast.modules())
    assert not any(isinstance(m, MemoryEfficientSwish) for m in fast.modules())
    assert any(type(m) is Conv2dSamePadding for m in fast.modules())
    assert not any(type(m) is Conv2dSamePadding for m in legacy.modules())
    # same keys: old checkpoints load strictly
    assert list(fast.state_dict()) == list(legacy.state_dict())
    fast.load_state_dict(legacy.state_dict(), strict=True)
    for size in ((64, 64), (67, 70)):  # even and odd: both padding cases
        x = torch.randn(2, 3, *size, dtype=torch.float64, requires_grad=True)
        outs = []
        for net in (legacy, fast):
            feats = net(x)
            grads = torch.autograd.grad(
                sum(f.square().sum() for f in feats),
                [x] + list(net.parameters()))
            outs.append((feats, torch.cat([g.flatten() for g in grads])))
        for a, b in zip(outs[0][0], outs[1][0]):
            assert a.shape == b.shape
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)
        assert grad_rel(outs[0][1], outs[1][1]) < 1e-9


# ------------------------------------------------------- module transforms
def test_silu_and_sync_free_losses_keep_state_and_losses():
    from mmcv.cnn.bricks.swish import Swish
    inputs, samples = batch_for('frskd_seg')
    # as built from the config: mmcv swish in the head, mmseg's CE
    legacy = build('frskd_seg', fast=False)
    assert any(isinstance(m, Swish) for m in legacy.modules())
    fast = copy.deepcopy(legacy)
    done = apply_fast_path(fast)
    assert done['silu'] > 0 and done['sync_free_losses'] >= 4
    assert not any(isinstance(m, Swish) for m in fast.modules())
    assert list(fast.state_dict()) == list(legacy.state_dict())
    with torch.no_grad():
        ref = legacy.loss(inputs, samples)
        out = fast.loss(inputs, samples)
    assert set(ref) == set(out)
    for key in ref:
        torch.testing.assert_close(out[key], ref[key], rtol=1e-5, atol=1e-6)
    # idempotent, and the converted model still pickles and deep-copies
    assert use_silu(fast) == 0 and use_sync_free_losses(fast) == 0
    import pickle
    again = pickle.loads(pickle.dumps(fast))
    with torch.no_grad():
        torch.testing.assert_close(
            again.loss(inputs, samples)['loss_kd'], out['loss_kd'])


def test_sync_free_accuracy_and_ce_match_mmseg():
    from mmseg.models.losses import CrossEntropyLoss, accuracy
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 6, 9, 11, generator=gen)
    label = torch.randint(0, 6, (3, 9, 11), generator=gen)
    label[0, :3] = 255
    torch.testing.assert_close(
        sync_free_accuracy(logits, label, 255),
        accuracy(logits, label, ignore_index=255))
    ce = CrossEntropyLoss(avg_non_ignore=True)
    ref = ce(logits, label, ignore_index=255)
    holder = nn.Sequential(ce)
    assert use_sync_free_losses(holder) == 1
    torch.testing.assert_close(holder[0](logits, label, ignore_index=255), ref)
    # everything ignored: 0, not NaN (as mmseg)
    assert float(holder[0](
        logits, torch.full_like(label, 255), ignore_index=255)) == 0.0


# ---------------------------------------------------------- channels_last
@pytest.mark.parametrize('method', list(METHODS))
def test_channels_last_same_losses_and_gradients(method):
    """float64: in float32 the summation order alone moves the gradients
    of these randomly initialised nets by up to 3e-3 (as much as a 1e-6
    input perturbation does, measured), which would hide a real bug. The
    distillation losses compute in float32 by design (1e-6)."""
    model = build(method).double()
    inputs, samples = batch_for(method)
    inputs = inputs.double()
    cl = copy.deepcopy(model).to(memory_format=torch.channels_last)
    assert is_channels_last(cl) and not is_channels_last(model)
    ref_terms, ref_grads = loss_and_grads(model, inputs, samples)
    terms, grads = loss_and_grads(
        cl, inputs.contiguous(memory_format=torch.channels_last), samples)
    assert_close_terms(ref_terms, terms, 1e-6)
    assert grad_rel(ref_grads, grads) < 1e-6
    # activations really run NHWC, even from an NCHW batch
    feats = cl.backbone(inputs)
    feats = feats if isinstance(feats, (list, tuple)) else [feats]
    assert all(
        f.is_contiguous(memory_format=torch.channels_last) for f in feats
        if f.dim() == 4 and f.shape[1] > 1)


# --------------------------------------------------------------- bfloat16
def test_bf16_autocast_losses_close_to_float32():
    """One fixed batch: every term within 1e-2 relative with BN on its
    running statistics. In train mode the CE terms are; KD/AT of a randomly
    initialised net at 64 px are not a precision test: its features move by
    ~10 % under a 0.4 % input perturbation in pure float32
    (docs/performance.md), and AT compares two such maps."""
    model = build('frskd_seg')
    # logits of a size KD can be measured on: mmseg's init gives both heads'
    # classifiers std 0.01 and bias 0, and on the features of an untrained
    # net in eval mode (about 0) KD of two near-uniform maps is ~1e-8
    torch.manual_seed(0)
    for head in (model.decode_head, model.self_teacher.decode_head):
        nn.init.normal_(head.conv_seg.weight, std=1.0)
        nn.init.normal_(head.conv_seg.bias, std=1.0)
    inputs, samples = batch_for('frskd_seg', batch=4)
    bf16 = RunOptions(amp='bf16')
    with torch.no_grad():
        model.eval()
        assert_close_terms(
            loss_terms(model, inputs, samples, RunOptions()),
            loss_terms(model, inputs, samples, bf16), 1e-2)
        model.train()
        ref = loss_terms(model, inputs, samples, RunOptions())
        out = loss_terms(model, inputs, samples, bf16)
    rel = relative_differences(ref, out)
    assert rel['decode.loss_ce'] < 1e-2 and \
        rel['self_teacher.loss_ce'] < 1e-2, rel


def test_kd_and_at_are_float32_inside_autocast():
    from selfkd_seg.models.losses import ATLoss, KDLoss
    gen = torch.Generator().manual_seed(0)
    s = torch.randn(2, 5, 16, 16, generator=gen).bfloat16()
    t = torch.randn(2, 5, 16, 16, generator=gen).bfloat16()
    for loss in (KDLoss(temperature=1.0), ATLoss()):
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = loss(s, t)
        ref = loss(s.float(), t.float())
        assert out.dtype == torch.float32
        torch.testing.assert_close(out, ref, rtol=1e-6, atol=1e-7)
    # channels_last inputs too
    s_cl = s.float().contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(ATLoss()(s_cl, t.float()),
                               ATLoss()(s.float(), t.float()))


# ------------------------------------------------------------ torch.compile
def test_inductor_compiles_the_distillation_losses():
    """Inductor (C++ on CPU) on KD + AT, forward and backward: same loss
    and gradients as eager (about 25 s here; a 1-layer BiFPN with a head
    took 120 s, so the networks are compiled with aot_eager below)."""
    from selfkd_seg.models.losses import ATLoss, KDLoss
    kd, at = KDLoss(temperature=2.0), ATLoss(loss_weight=50.0)

    def losses(s, t, fs, ft):
        return kd(s, t) + at(fs, ft)

    gen = torch.Generator().manual_seed(0)
    t = torch.randn(2, 3, 16, 16, generator=gen)
    ft = [torch.randn(2, 8, q, q, generator=gen) for q in (16, 8)]
    s0 = torch.randn(2, 3, 16, 16, generator=gen)
    fs0 = [torch.randn(2, 8, q, q, generator=gen) for q in (16, 8)]
    results = []
    for fn in (losses, torch.compile(losses, backend='inductor')):
        s = s0.clone().requires_grad_()
        fs = [f.clone().requires_grad_() for f in fs0]
        loss = fn(s, t, fs, ft)
        loss.backward()
        results.append(
            (loss.detach(),
             torch.cat([s.grad.flatten()] + [f.grad.flatten() for f in fs])))
    torch.testing.assert_close(
        results[1][0], results[0][0], rtol=1e-5, atol=1e-7)
    assert grad_rel(results[0][1], results[1][1]) < 1e-5


def test_compiled_frskd_seg_equals_eager_in_one_graph():
    """The whole FRSKD segmentor (student, self-teacher, CE, KD, AT) in one
    graph (``fullgraph=True``: the sync-free losses leave no break), same
    losses and gradients as eager."""
    torch._dynamo.reset()
    model = build('frskd_seg')
    compiled_model = copy.deepcopy(model)
    inputs, samples = batch_for('frskd_seg')
    ref_terms, ref_grads = loss_and_grads(model, inputs, samples)
    loss_fn = torch.compile(
        compiled_model.loss, backend='aot_eager', fullgraph=True)
    terms, grads = loss_and_grads(compiled_model, inputs, samples, loss_fn)
    assert_close_terms(ref_terms, terms, 1e-5)
    assert grad_rel(ref_grads, grads) < 1e-4


@pytest.mark.parametrize('method,backend', [('baseline', 'eager'),
                                            ('sfd_cls', 'aot_eager')])
def test_compiled_train_step_equals_eager(method, backend):
    """mmengine's way (``compile`` config): ``train_step`` compiled, data
    preprocessor and optimizer wrapper included; one SGD step gives the
    same weights as eager. The seg baseline uses dynamo's capture only
    (backend 'eager': 45-165 s with aot_eager here, and AOT autograd of the
    same network is checked above on FRSKD)."""
    from mmengine.optim import OptimWrapper
    torch._dynamo.reset()
    model = build(method)
    compiled_model = copy.deepcopy(model)
    inputs, samples = batch_for(method)
    to_uint8 = ((inputs - inputs.min()) / (inputs.max() - inputs.min()) *
                255).to(torch.uint8)
    data = dict(inputs=list(to_uint8), data_samples=samples)
    params = []
    for m, compiled in ((model, False), (compiled_model, True)):
        wrapper = OptimWrapper(
            torch.optim.SGD([p for p in m.parameters() if p.requires_grad],
                            lr=0.1))
        step = m.train_step
        if compiled:
            step = torch.compile(step, backend=backend)
        log = step(dict(data), wrapper)
        params.append((log,
                       torch.cat([
                           p.detach().flatten() for p in m.parameters()
                           if p.requires_grad
                       ])))
    (log_a, w_a), (log_b, w_b) = params
    for key in log_a:
        if 'loss' in key:
            torch.testing.assert_close(
                log_b[key], log_a[key], rtol=1e-5, atol=1e-6)
    assert grad_rel(w_a, w_b) < 1e-6


# ------------------------------------------------------------------- CUDA
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_cuda_bf16_channels_last_step_has_no_host_sync():
    model = build('frskd_seg').cuda().to(memory_format=torch.channels_last)
    inputs, samples = batch_for('frskd_seg')
    inputs = inputs.cuda()
    samples = [s.to('cuda') for s in samples]
    opts = RunOptions(device='cuda', amp='bf16', channels_last=True)
    torch.cuda.set_sync_debug_mode('error')
    try:
        with opts.autocast():
            losses = model.loss(inputs, samples)
    finally:
        torch.cuda.set_sync_debug_mode('default')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert torch.isfinite(total)
