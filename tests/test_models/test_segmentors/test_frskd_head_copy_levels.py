"""FRSKDEncoderDecoder / FRSKDCascadeEncoderDecoder: the self-teacher's copy
of the student head reads the refined versions of the levels the student
head reads (DeepLabV3+'s c1 branch reads inputs[0] whatever in_index says),
PointRend is refused at build, and a cascade student runs its stages call
for call as mmseg's CascadeEncoderDecoder (same losses, same BN
statistics)."""
import copy
import os.path as osp

import mmseg
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from test_frskd_encoder_decoder import SIZE, batch, build, load_cfg

from selfkd_seg.apis.config import replace_sync_bn
from selfkd_seg.models.self_teachers import LevelPlan, plans

DEEPLAB = 'frskd_deeplabv3plus_r18-tiny_360it_digits.py'


@pytest.fixture
def logged(monkeypatch):
    """The messages the FRSKD segmentors log while building."""
    messages = []
    monkeypatch.setattr(plans, 'print_log',
                        lambda msg, *args, **kwargs: messages.append(msg))
    return messages


def c1_and_aspp_inputs(model):
    """The tensors the self-teacher head's c1 branch and ASPP read in one
    eval forward, with the refined levels (config order)."""
    head = model.self_teacher.decode_head
    seen = {}
    hooks = [
        head.c1_bottleneck.register_forward_pre_hook(
            lambda m, args: seen.__setitem__('c1', args[0])),
        head.image_pool.register_forward_pre_hook(
            lambda m, args: seen.__setitem__('aspp', args[0])),
    ]
    model.eval()
    try:
        with torch.no_grad():
            out = model.self_teacher_forward(torch.randn(1, 3, SIZE, SIZE))
    finally:
        for hook in hooks:
            hook.remove()
    return seen, out


# -- DeepLabV3+'s c1 branch ----------------------------------------------
@pytest.mark.parametrize('in_index', [(0, 1, 2, 3), (1, 0, 2, 3), (3, 2, 1, 0),
                                      (2, 3, 0, 1)])
def test_the_c1_branch_of_the_head_copy_reads_refined_level_0(
        in_index, logged):
    """The student's c1 branch reads extract_feat level 0 (its inputs[0]);
    the copy's reads the refined level 0 whatever order in_index lists the
    levels in (level 0 is moved first), and its ASPP the refined level the
    student's ASPP reads (in_index=3)."""
    model = build(DEEPLAB, in_index=in_index)
    levels = model.self_teacher.in_index
    assert sorted(levels) == sorted(in_index)
    assert levels[0] == 0
    assert [lvl for lvl in levels if lvl] == [lvl for lvl in in_index if lvl]
    head = model.self_teacher.decode_head
    assert type(head).__name__ == 'DepthwiseSeparableASPPHead'
    assert head.c1_bottleneck is not None
    assert (in_index[0] == 0) == (not logged)
    if logged:
        assert 'reordered' in logged[0] and 'c1 branch' in logged[0]

    seen, out = c1_and_aspp_inputs(model)
    refined = out['teacher_feats']
    assert seen['c1'] is refined[levels.index(0)]
    assert seen['aspp'] is refined[levels.index(3)]
    # the refined level 0 is the student's level 0 refined: same size (1/4)
    student_level0 = model.extract_feat(torch.randn(1, 3, SIZE, SIZE))[0]
    assert seen['c1'].shape[-2:] == student_level0.shape[-2:]
    assert seen['c1'].shape[1] == head.c1_bottleneck.conv.in_channels
    # AT pairs each student level with its own refined level
    assert all(s.shape[-2:] == t.shape[-2:]
               for s, t in zip(out['student_feats'], refined))
    assert out['student_feats'][levels.index(0)].shape[-2:] == \
        student_level0.shape[-2:]


def test_the_c1_branch_also_reads_refined_level_0_in_training():
    model = build(DEEPLAB, in_index=(3, 2, 1, 0))
    model.train()
    seen, refined = {}, {}
    head = model.self_teacher.decode_head
    hooks = [
        head.c1_bottleneck.register_forward_pre_hook(
            lambda m, args: seen.__setitem__('c1', args[0])),
        model.self_teacher.register_forward_hook(
            lambda m, args, out: refined.__setitem__('feats', out[0])),
    ]
    data = model.data_preprocessor(batch(), True)
    model.loss(data['inputs'], data['data_samples'])
    for hook in hooks:
        hook.remove()
    levels = model.self_teacher.in_index
    assert seen['c1'] is refined['feats'][levels.index(0)]


def test_without_level_0_the_c1_head_is_not_copied_and_the_log_says_why(
        logged):
    """in_index=(1, 2, 3) leaves out the level the student's c1 branch
    reads: a copy cannot read its refined version, so the self-teacher uses
    the aggregation head and the log names the head, the level and what to
    set, as for any student head reading a level outside in_index."""
    model = build(DEEPLAB, in_index=(1, 2, 3))
    assert model.self_teacher.in_index == [1, 2, 3]
    assert type(model.self_teacher.decode_head).__name__ == 'SegformerHead'
    assert len(logged) == 1
    message = logged[0]
    for part in ('aggregation head', 'DepthwiseSeparableASPPHead', 'c1 branch',
                 'reads level 0', 'inputs[0]',
                 'add level 0 to self_teacher.in_index'):
        assert part in message, (part, message)


def test_a_copy_that_would_read_other_levels_is_refused(monkeypatch, logged):
    """The gradient probes of the student head and of its copy catch a head
    that reads inputs besides in_index unknown to the level reordering (here
    the c1 branch, with the reordering switched off): the copy is refused
    and the log names the levels each reads."""
    monkeypatch.setattr(LevelPlan, 'fixed_reads',
                        staticmethod(lambda head_cfg: {}))
    model = build(DEEPLAB, in_index=(3, 2, 1, 0))
    assert model.self_teacher.in_index == [3, 2, 1, 0]
    assert type(model.self_teacher.decode_head).__name__ == 'SegformerHead'
    assert any('the student head (DepthwiseSeparableASPPHead) reads '
               'level(s) [0, 3], its copy on the refined levels (3, 2, 1, 0) '
               'would read [3]' in m for m in logged), logged


def test_the_student_head_probe_leaves_the_student_untouched():
    """The build's gradient probe of the student head (eval mode) moves
    no BN statistics, leaves no gradients and restores train mode."""
    plain, model = build('deeplabv3plus_r18-tiny_360it_digits.py'), build(
        DEEPLAB)
    assert model.training and model.decode_head.training
    for key, value in plain.state_dict().items():
        assert torch.equal(value, model.state_dict()[key]), key
    assert all(p.grad is None for p in model.parameters())


# -- PointRend -----------------------------------------------------------
def _zoo(path):
    """One of mmseg's own configs."""
    return Config.fromfile(
        osp.join(osp.dirname(mmseg.__file__), '.mim', 'configs', path))


def _zoo_frskd(path, segmentor='FRSKDEncoderDecoder', **self_teacher):
    """The model of an mmseg zoo config as a FRSKD segmentor (BN, no
    ImageNet download), the default scope made current."""
    cfg = _zoo(path)
    replace_sync_bn(cfg.model)
    cfg.model.backbone.pop('init_cfg', None)
    cfg.model.update(
        type=segmentor, pretrained=None, self_teacher=self_teacher)
    init_default_scope('mmseg')
    return cfg.model


def test_pointrend_is_refused_at_build_naming_the_point_head():
    model = _zoo_frskd(
        '_base_/models/pointrend_r50.py',
        'FRSKDCascadeEncoderDecoder',
        in_index=(0, 1, 2, 3),
        channels=32)
    with pytest.raises(
            TypeError,
            match=r'does not support PointRend: decode_head\[1\] '
            r'is a PointHead .*not a dense map.*Supported are '
            r'cascades whose every stage predicts a dense map.*'
            r'OCRNet'):
        MODELS.build(model)


def test_a_point_head_stage_in_any_cascade_is_refused():
    cfg = load_cfg('frskd_ocrnet_r18-tiny_360it_digits.py')
    cfg.model.decode_head[1] = dict(
        type='mmseg.PointHead',
        in_channels=[128],
        in_index=[3],
        channels=32,
        num_fcs=1,
        num_classes=11,
        align_corners=False)
    init_default_scope('mmseg')
    with pytest.raises(TypeError, match=r'decode_head\[1\] is a PointHead'):
        MODELS.build(cfg.model)


# -- a cascade student trains as mmseg's cascade ----------------------------
def build_cfg(cfg, seed=0):
    init_default_scope('mmseg')
    torch.manual_seed(seed)
    return MODELS.build(cfg.model)


def student_state(model):
    return {
        k: v
        for k, v in model.state_dict().items()
        if not k.startswith(('self_teacher.', 'distill_losses.'))
    }


def test_a_cascade_student_runs_its_stages_as_mmseg_cascade_does():
    """OCRNet at the same seed and weights, one loss() + backward() in train
    mode on one batch, FRSKD's weights at 0 and the self-teacher detached:
    the student's decode losses, BN running statistics and gradients are
    mmseg's CascadeEncoderDecoder's, bit for bit (its first stage runs twice,
    for its loss and for the OCR head's input; dropout 0.1 stays on)."""
    stock = build_cfg(load_cfg('ocrnet_r18-tiny_360it_digits.py'))
    assert type(stock).__name__ == 'CascadeEncoderDecoder'
    cfg = load_cfg('frskd_ocrnet_r18-tiny_360it_digits.py', detach_input=True)
    cfg.model.distill = dict(alpha=0., beta=0.)
    model = build_cfg(cfg)
    assert model.decode_head[0].dropout is not None
    result = model.load_state_dict(stock.state_dict(), strict=False)
    assert not result.unexpected_keys
    assert all(
        k.startswith(('self_teacher.', 'distill_losses.'))
        for k in result.missing_keys)

    losses, calls = [], []
    for net in (stock, model):
        net.train()
        data = net.data_preprocessor(batch(), True)
        # the heads' loss() calls forward() directly, past any hook: count
        # the calls by wrapping forward
        counted = []
        for i, head in enumerate(net.decode_head):
            head.forward = (lambda *a, _f=head.forward, _i=i, **k:
                            (counted.append(_i), _f(*a, **k))[1])
        torch.manual_seed(1)
        try:
            out = net.loss(data['inputs'], data['data_samples'])
        finally:
            for head in net.decode_head:
                del head.forward  # the class's again
        sum(v for k, v in out.items() if 'loss' in k).backward()
        losses.append(out)
        calls.append(counted)
    assert calls[0] == calls[1] == [0, 0, 1]

    decode = {k for k in losses[0] if k.startswith('decode_')}
    assert decode == {
        'decode_0.loss_ce', 'decode_0.acc_seg', 'decode_1.loss_ce',
        'decode_1.acc_seg'
    }
    for key in decode:
        assert torch.equal(losses[0][key], losses[1][key]), key
    assert losses[1]['loss_kd'] == 0 and losses[1]['loss_feat'] == 0

    ours = student_state(model)
    stats = [
        k for k in stock.state_dict()
        if k.endswith(('running_mean', 'running_var', 'num_batches_tracked'))
    ]
    assert any(k.startswith('decode_head.0.') for k in stats)
    for key in stats:
        assert torch.equal(stock.state_dict()[key], ours[key]), key
    # the first stage's BN saw its input twice, as in mmseg
    assert ours['decode_head.0.convs.0.bn.num_batches_tracked'] == 2
    assert ours['decode_head.1.bottleneck.bn.num_batches_tracked'] == 1
    grads = dict(stock.named_parameters())
    for name, param in model.named_parameters():
        if name.startswith('self_teacher.'):
            continue
        want = grads[name].grad
        assert (param.grad is None) == (want is None), name
        if want is not None:
            assert torch.equal(param.grad, want), name


# -- mask-classification heads (issue 33) ----------------------------------
@pytest.mark.parametrize('zoo', [
    'mask2former/mask2former_r50_8xb2-90k_cityscapes-512x1024.py',
    'maskformer/maskformer_r50-d32_8xb2-160k_ade20k-512x512.py'
])
def test_mask_classification_heads_are_refused_at_build_naming_why(zoo):
    """mmseg's MaskFormer / Mask2Former heads predict (class, mask) pairs
    per query, not a dense logit map: refused before anything is built,
    with the reason, not mmseg's unrelated TypeError (without mmdet they
    are plain modules)."""
    model = _zoo_frskd(zoo, in_index=(0, 1, 2, 3), channels=32)
    with pytest.raises(
            TypeError,
            match=r'FRSKDEncoderDecoder does not support decode_head of type '
            r'Mask(2)?FormerHead: it is a mask-classification head .*'
            r'no forward\(feats\) -> per-pixel logits.*pip install mmdet'):
        MODELS.build(model)


# -- models with one level at the probe (issue 33) -------------------------


@pytest.mark.parametrize(
    'zoo', [
        '_base_/models/erfnet_fcn.py',
        'ddrnet/ddrnet_23-slim_in1k-pre_2xb6-120k_cityscapes-1024x1024.py',
        'pidnet/pidnet-s_2xb6-120k_1024x1024-cityscapes.py'
    ],
    ids=['erfnet', 'ddrnet', 'pidnet'])
def test_one_level_at_the_probe_is_refused_saying_what_to_use(zoo):
    """ERFNet has one feature level; DDRNet and PIDNet return one in eval
    mode (more in training only). The refusal says so and names the
    teacher-student way for a single-level model (which works: the test
    below) instead of only 'at least 2 levels'."""
    model = _zoo_frskd(zoo)
    with pytest.raises(
            ValueError,
            match=r'refines at least 2 feature levels .* gives 1 level .*'
            r'Single-level models \(e\.g\. ERFNet\) are not supported .*'
            r'SFDSegmentor with a logit term.*training mode only \(PIDNet, '
            r'DDRNet.*supported by neither yet'):
        MODELS.build(model)


def test_a_single_level_student_distils_through_sfd_segmentor():
    """What the refusal advises for ERFNet: SFDSegmentor with a logit term
    (DIST here) builds and trains it; every student parameter gets a
    gradient, the teacher none."""
    cfg = _zoo('_base_/models/erfnet_fcn.py')
    replace_sync_bn(cfg.model)
    student = cfg.model.to_dict()
    student['data_preprocessor']['size'] = (SIZE, SIZE)
    student.update(
        type='SFDSegmentor',
        teacher=copy.deepcopy(student),
        teacher_ckpt=None,
        allow_random_teacher=True,
        integrator=None,
        distill=dict(loss=None, margin=None, kd=dict(type='DISTLoss')))
    init_default_scope('mmseg')
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match='randomly initialised'):
        model = MODELS.build(student)
    data = model.data_preprocessor(batch(num_classes=19), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert {'decode.loss_ce', 'loss_kd'} <= set(losses)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert [
        n for n, p in model.named_parameters()
        if p.requires_grad and not n.startswith('teacher.') and p.grad is None
    ] == []
    assert all(p.grad is None for p in model.teacher.parameters())
