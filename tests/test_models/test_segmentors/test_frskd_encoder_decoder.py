"""FRSKDEncoderDecoder: FRSKD on mmseg's own models (DeepLabV3+, SegFormer,
BiSeNetV2), built from the digits configs of configs/frskd_mmseg/ (tiny
widths, 64 px): training, gradients, the exported student in the stock
mmseg config, and the errors a wrong config gets."""
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.apis import inference_model, init_model
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import selfkd_seg  # noqa: F401
from selfkd_seg.apis.config import replace_sync_bn
from selfkd_seg.apis.export import export_student_checkpoint

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIGS = osp.join(REPO, 'configs', 'frskd_mmseg')
# the SFD pairs of mmseg models (load_cfg takes a full path too)
SFD_CONFIGS = osp.join(REPO, 'configs', 'sfd_seg')
SIZE = 64
# family -> (baseline config, head type the self-teacher copies, levels)
FAMILIES = {
    'deeplabv3plus': ('deeplabv3plus_r18-tiny_360it_digits.py',
                      'DepthwiseSeparableASPPHead', [0, 1, 2, 3]),
    'segformer':
    ('segformer_mit-tiny_360it_digits.py', 'SegformerHead', [0, 1, 2, 3]),
    'bisenetv2': ('bisenetv2-tiny_360it_digits.py', 'FCNHead', [0, 2, 3, 4]),
    # a cascade (FRSKDCascadeEncoderDecoder): the first stage's head
    'ocrnet': ('ocrnet_r18-tiny_360it_digits.py', 'FCNHead', [0, 1, 2]),
}


def first_stage(head):
    """The student's (first) decode head; a cascade's is a ModuleList."""
    return head[0] if isinstance(head, torch.nn.ModuleList) else head


def load_cfg(name, **self_teacher):
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    replace_sync_bn(cfg.model)
    cfg.model.data_preprocessor.size = (SIZE, SIZE)
    if 'drop_path_rate' in cfg.model.backbone:
        # MiT's stochastic depth drops whole blocks at random: off, so that
        # "every parameter gets a gradient" is deterministic
        cfg.model.backbone.drop_path_rate = 0.
    if self_teacher:
        cfg.model.self_teacher.update(self_teacher)
    return cfg


def build(name, seed=0, **self_teacher):
    init_default_scope('mmseg')
    torch.manual_seed(seed)
    return MODELS.build(load_cfg(name, **self_teacher).model)


def batch(num_classes=11, seed=0):
    """A data_preprocessor input: uint8 images, labels with ignored rows."""
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(2):
        inputs.append(
            torch.randint(
                0, 256, (3, SIZE, SIZE), generator=gen, dtype=torch.uint8))
        label = torch.randint(0, num_classes, (1, SIZE, SIZE), generator=gen)
        label[:, :3] = 255
        sample = SegDataSample(gt_sem_seg=PixelData(data=label))
        sample.set_metainfo(
            dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE)))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


@pytest.fixture(params=list(FAMILIES), scope='module')
def family(request):
    return request.param


def without_gradient(model, data):
    """Trainable parameters one ``loss()`` + ``backward()`` leaves at 0."""
    data = model.data_preprocessor(data, True)
    losses = model.loss(data['inputs'], data['data_samples'])
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    return losses, [
        name for name, p in model.named_parameters()
        if p.requires_grad and (p.grad is None or not p.grad.abs().sum() > 0)
    ]


def test_two_training_iterations_train_every_parameter(family):
    baseline, _, _ = FAMILIES[family]
    plain = build(baseline)
    plain.train()
    _, plain_missing = without_gradient(plain, batch())
    model = build('frskd_' + baseline)
    model.train()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    # iteration 1 by hand, at the full distillation weights: every
    # trainable parameter of the self-teacher gets a gradient, and so does
    # every student parameter that trains in the baseline (BiSeNetV2's
    # CEBlock has a BN bias that the next BN cancels, in both), and both
    # distillation terms are active
    losses, missing = without_gradient(model, batch())
    assert losses['loss_kd'] > 0 and losses['loss_feat'] > 0
    assert not set(missing) - set(plain_missing), f'no gradient: {missing}'
    assert set(plain_missing) <= {
        'backbone.semantic.stage4_CEBlock.gap.1.bias'
    }
    assert any(
        n.startswith('self_teacher.neck.')
        for n, _ in model.named_parameters())
    optim.step()
    optim.zero_grad()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    # iteration 2 the mmengine way
    log_vars = model.train_step(batch(seed=1), optim)
    assert all(torch.isfinite(torch.as_tensor(v)) for v in log_vars.values())
    changed = [
        k for k, v in model.state_dict().items()
        if k.endswith('weight') and not torch.equal(v, before[k])
    ]
    assert any(k.startswith('self_teacher.') for k in changed)
    assert any(k.startswith('backbone.') for k in changed)


def test_the_self_teacher_head_is_a_copy_of_the_student_head(family):
    _, head_type, levels = FAMILIES[family]
    model = build('frskd_' + FAMILIES[family][0])
    head = model.self_teacher.decode_head
    assert type(head).__name__ == head_type
    assert type(head) is type(first_stage(model.decode_head))
    assert model.self_teacher.in_index == levels
    assert model.self_teacher.neck.out_channels == 32
    # the refined levels keep the student levels' sizes, in config order
    model.eval()
    x = torch.randn(1, 3, SIZE, SIZE)
    with torch.no_grad():
        out = model.self_teacher_forward(x)
    assert [f.shape[-2:] for f in out['teacher_feats']] == \
        [f.shape[-2:] for f in out['student_feats']]
    assert all(f.shape[1] == 32 for f in out['teacher_feats'])


def test_the_student_starts_as_the_baseline(family):
    """The probe forward draws no random numbers: at one seed the student's
    initial weights are the baseline's, so runs compare like with like."""
    baseline, _, _ = FAMILIES[family]
    plain, frskd = build(baseline), build('frskd_' + baseline)
    student = {
        k: v
        for k, v in frskd.state_dict().items()
        if k.split('.')[0] in ('backbone', 'decode_head', 'auxiliary_head')
    }
    assert student.keys() == plain.state_dict().keys()
    assert all(
        torch.equal(v,
                    plain.state_dict()[k]) for k, v in student.items())


def test_exported_student_serves_in_the_stock_config(family, tmp_path):
    baseline, _, _ = FAMILIES[family]
    model = build('frskd_' + baseline)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    model.train()
    model.train_step(batch(), optim)  # BN statistics and weights move
    model.eval()
    train_ckpt = str(tmp_path / 'frskd.pth')
    # as a training checkpoint: mmseg's init_model reads the classes there
    # (without them it asks decode_head.num_classes, which a cascade's
    # ModuleList lacks)
    classes = Config.fromfile(osp.join(CONFIGS, baseline)).digits_metainfo
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes))), train_ckpt)
    student_ckpt = str(tmp_path / 'student.pth')
    summary = export_student_checkpoint(train_ckpt, student_ckpt)
    assert summary['dropped_modules'] == ['self_teacher']

    stock_cfg = load_cfg(baseline)
    assert stock_cfg.model.type in ('EncoderDecoder', 'CascadeEncoderDecoder')
    state = torch.load(student_ckpt, map_location='cpu', weights_only=True)
    init_default_scope('mmseg')
    plain = MODELS.build(stock_cfg.model)
    plain.load_state_dict(state['state_dict'], strict=True)

    # mmseg's own API serves it and predicts what the full model's
    # student path predicts, bit for bit
    stock_cfg.test_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='PackSegInputs')
    ]
    served = init_model(stock_cfg, student_ckpt, device='cpu')
    image = np.random.default_rng(0).integers(
        0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    got = inference_model(served, image)
    model.cfg = stock_cfg  # inference_model reads the test pipeline there
    want = inference_model(model, image)
    assert torch.equal(got.seg_logits.data, want.seg_logits.data)
    assert torch.equal(got.pred_sem_seg.data, want.pred_sem_seg.data)
    # ... and inside self_teacher_view the full model predicts otherwise
    with model.self_teacher_view():
        teacher = inference_model(model, image)
    assert not torch.equal(teacher.seg_logits.data, want.seg_logits.data)


@pytest.mark.parametrize('baseline,frskd', [
    ('deeplabv3plus/deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512.py',
     'frskd_deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512.py'),
    ('segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py',
     'frskd_segformer_mit-b0_8xb2-160k_ade20k-512x512.py'),
    ('bisenetv2/bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py',
     'frskd_bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py'),
    ('ocrnet/ocrnet_hr18_4xb4-20k_voc12aug-512x512.py',
     'frskd_ocrnet_hr18_4xb4-20k_voc12aug-512x512.py'),
])
def test_zoo_sized_student_keys_are_the_zoo_models(baseline, frskd):
    """At the zoo's own widths, the FRSKD model's student part has exactly
    the keys and shapes of the model mmseg's zoo config builds."""
    import mmseg
    zoo = Config.fromfile(
        osp.join(osp.dirname(mmseg.__file__), '.mim', 'configs', baseline))
    ours = Config.fromfile(osp.join(CONFIGS, frskd))
    assert ours.model.type == ('FRSKDCascadeEncoderDecoder' if isinstance(
        zoo.model.decode_head, list) else 'FRSKDEncoderDecoder')
    init_default_scope('mmseg')
    shapes = []
    for cfg in (zoo, ours):
        replace_sync_bn(cfg.model)
        cfg.model.pretrained = None  # built, never initialised: no download
        model = MODELS.build(cfg.model)
        shapes.append({
            k: tuple(v.shape)
            for k, v in model.state_dict().items()
            if not k.startswith(('self_teacher.', 'distill_losses.'))
        })
    assert shapes[0] == shapes[1]


def test_the_configs_accept_a_local_pretrained_file(monkeypatch):
    monkeypatch.setenv('SELFKD_PRETRAINED', '/weights/resnet50_v1c.pth')
    cfg = Config.fromfile(
        osp.join(CONFIGS,
                 'frskd_deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512.py'))
    assert cfg.model.pretrained == '/weights/resnet50_v1c.pth'
    monkeypatch.setenv('SELFKD_PRETRAINED', '/weights/mit_b0.pth')
    cfg = Config.fromfile(
        osp.join(CONFIGS,
                 'frskd_segformer_mit-b0_8xb2-160k_ade20k-512x512.py'))
    assert cfg.model.backbone.init_cfg.checkpoint == '/weights/mit_b0.pth'


# -- level order, head choice -------------------------------------------
def test_levels_are_sorted_finest_first_for_the_bifpn():
    """BiSeNetV2 lists its 1/8 head feature before the 1/4 stem: the BiFPN
    sees them finest first, the refined levels come back in config order.
    Its FCN head reads a middle level, so the default self-teacher head is
    the aggregation head (with every level on its path)."""
    model = build('frskd_bisenetv2-tiny_360it_digits.py', in_index=None)
    assert model.self_teacher.in_index == [0, 1, 2, 3, 4]
    assert model.self_teacher.order == [1, 0, 2, 3, 4]
    assert type(model.self_teacher.decode_head).__name__ == 'SegformerHead'
    assert model.self_teacher.neck.last_layer_top_down is False
    model.eval()
    with torch.no_grad():
        out = model.self_teacher_forward(torch.randn(1, 3, SIZE, SIZE))
    assert [f.shape[-2:] for f in out['teacher_feats']] == \
        [f.shape[-2:] for f in out['student_feats']]


def test_a_head_on_the_finest_level_gets_a_top_down_last_layer():
    model = build(
        'frskd_bisenetv2-tiny_360it_digits.py')  # FCN head on level 0
    assert model.self_teacher.order[0] == 0
    assert model.self_teacher.neck.last_layer_top_down is True
    deeplab = build('frskd_deeplabv3plus_r18-tiny_360it_digits.py')  # reads C5
    assert deeplab.self_teacher.neck.last_layer_top_down is False
    # the ASPP head copy takes the common width on both of its inputs
    assert deeplab.self_teacher.decode_head.in_channels == 32
    assert deeplab.self_teacher.decode_head.c1_bottleneck.conv.in_channels \
        == 32


def test_aggregate_head_on_request():
    model = build(
        'frskd_deeplabv3plus_r18-tiny_360it_digits.py',
        decode_head='aggregate',
        channels=16)
    head = model.self_teacher.decode_head
    assert type(head).__name__ == 'SegformerHead'
    assert head.in_channels == [16] * 4 and head.num_classes == 11


# -- errors -------------------------------------------------------------
@pytest.mark.parametrize('in_index,error,match', [
    ((0, 1, 2, 4), ValueError,
     r'in_index: level 4 is out of range: .*4 levels.*valid indices are '
     r'-4\.\.3'),
    ((0, 0, 1), ValueError, 'names a level twice'),
    ((3, ), ValueError, 'at least 2 levels'),
    ((0, 'c5'), TypeError, 'must hold ints'),
])
def test_bad_levels_are_refused_naming_the_model_levels(
        in_index, error, match):
    with pytest.raises(error, match=match):
        build(
            'frskd_deeplabv3plus_r18-tiny_360it_digits.py', in_index=in_index)


def test_negative_levels_count_from_the_end():
    model = build(
        'frskd_segformer_mit-tiny_360it_digits.py', in_index=(-2, -1))
    assert model.self_teacher.in_index == [2, 3]
    # the student's head reads levels 0..3: not all refined -> aggregation
    assert type(model.self_teacher.decode_head).__name__ == 'SegformerHead'


def test_a_typo_in_self_teacher_is_refused():
    with pytest.raises(
            KeyError, match="'chanels' \\(did you mean "
            "'channels'\\?\\)"):
        build('frskd_segformer_mit-tiny_360it_digits.py', chanels=16)


def test_an_explicit_head_that_leaves_levels_untrained_is_refused():
    head = dict(
        type='FCNHead',
        in_channels=32,
        in_index=1,
        channels=8,
        num_convs=1,
        num_classes=11)
    with pytest.raises(ValueError, match='never train'):
        build('frskd_segformer_mit-tiny_360it_digits.py', decode_head=head)
    with pytest.raises(ValueError, match='num_classes must equal'):
        build(
            'frskd_segformer_mit-tiny_360it_digits.py',
            decode_head=dict(head, in_index=0, num_classes=3))


# -- SFD between two mmseg models given by their configs ------------------
def test_sfd_between_two_mmseg_configs_trains_and_exports(tmp_path):
    """SegFormer student, DeepLabV3+ teacher named by its config file: the
    levels' channels come from probes, every student and integrator
    parameter trains, the teacher stays frozen and out of the checkpoint,
    and the exported student serves in the stock student config."""
    cfg = load_cfg(
        osp.join(
            SFD_CONFIGS,
            'sfd_deeplabv3plus_r18-tiny_segformer_mit-tiny_360it_digits.py'))
    assert isinstance(cfg.model.teacher, str)
    cfg.model.update(teacher_ckpt=None, allow_random_teacher=True)
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    assert type(model.teacher.backbone).__name__ == 'ResNetV1c'
    assert model.integrator.out_channels == 128  # the teacher's C5
    model.train()
    _, missing = without_gradient(model, batch())
    assert not missing, f'no gradient: {missing}'
    assert not any(p.requires_grad for p in model.teacher.parameters())
    teacher_before = {
        k: v.clone()
        for k, v in model.teacher.state_dict().items()
    }
    optim = OptimWrapper(
        torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                        lr=0.01))
    for seed in (0, 1):
        log_vars = model.train_step(batch(seed=seed), optim)
        assert log_vars['loss_feat'] > 0
    assert all(
        torch.equal(v, teacher_before[k])
        for k, v in model.teacher.state_dict().items())

    ckpt = str(tmp_path / 'sfd.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    student_ckpt = str(tmp_path / 'student.pth')
    export_student_checkpoint(ckpt, student_ckpt)
    stock = load_cfg('segformer_mit-tiny_360it_digits.py')
    init_default_scope('mmseg')
    plain = MODELS.build(stock.model)
    state = torch.load(student_ckpt, map_location='cpu', weights_only=True)
    plain.load_state_dict(state['state_dict'], strict=True)
    model.eval()
    plain.eval()
    x = torch.randn(1, 3, SIZE, SIZE)
    metas = [
        dict(
            img_shape=(SIZE, SIZE),
            ori_shape=(SIZE, SIZE),
            pad_shape=(SIZE, SIZE))
    ]
    assert torch.equal(
        model.encode_decode(x, metas), plain.encode_decode(x, metas))


# -- cascades (OCRNet) ---------------------------------------------------
def test_a_cascade_distils_its_last_stage_and_keeps_mmseg_loss_names():
    model = build('frskd_ocrnet_r18-tiny_360it_digits.py')
    # the self-teacher's FCN head counts its CE fully (the last stage's
    # loss_decode), the student's first stage stays an auxiliary at 0.4
    assert model.self_teacher.decode_head.loss_decode.loss_weight == 1.0
    assert model.decode_head[0].loss_decode.loss_weight == 0.4
    model.train()
    data = model.data_preprocessor(batch(), True)
    outputs = {}
    for name, head in (('student', model.decode_head[-1]),
                       ('teacher', model.self_teacher.decode_head)):

        def record(*args, _forward=head.forward, _name=name, **kwargs):
            outputs[_name] = _forward(*args, **kwargs)
            return outputs[_name]

        head.forward = record
    losses = model.loss(data['inputs'], data['data_samples'])
    assert {'decode_0.loss_ce', 'decode_1.loss_ce',
            'self_teacher.loss_ce'} <= set(losses)
    assert not any(k.startswith('decode.') for k in losses)
    # the lead compares the model's output stage (the OCR head) with the
    # self-teacher: plain CE over the same labelled pixels (OHEM, which
    # both heads' losses use, would sample different pixels for each)
    labels = torch.stack([s.gt_sem_seg.data
                          for s in data['data_samples']]).squeeze(1).long()
    ces = [
        F.cross_entropy(
            F.interpolate(
                outputs[k].detach(),
                labels.shape[-2:],
                mode='bilinear',
                align_corners=False),
            labels,
            ignore_index=255) for k in ('student', 'teacher')
    ]
    assert torch.allclose(
        losses['self_teacher.ce_lead'], ces[0] - ces[1], atol=1e-5)
    # KD reads the OCR head's logits, the model's output
    model.eval()
    x = torch.randn(1, 3, SIZE, SIZE)
    with torch.no_grad():
        out = model.self_teacher_forward(x)
        feats = model.extract_feat(x)
        ocr = model.decode_head[1](feats, model.decode_head[0](feats))
    assert torch.equal(out['student_logits'], ocr)


def test_cascade_and_single_head_students_name_the_right_class():
    init_default_scope('mmseg')
    cascade = load_cfg('frskd_ocrnet_r18-tiny_360it_digits.py')
    cascade.model.type = 'FRSKDEncoderDecoder'
    with pytest.raises(TypeError, match="type='FRSKDCascadeEncoderDecoder'"):
        MODELS.build(cascade.model)
    single = load_cfg('frskd_segformer_mit-tiny_360it_digits.py')
    single.model.type = 'FRSKDCascadeEncoderDecoder'
    single.model.num_stages = 2
    with pytest.raises(TypeError, match='list of that many decode_head'):
        MODELS.build(single.model)
