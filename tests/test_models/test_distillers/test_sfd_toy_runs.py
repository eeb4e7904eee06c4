"""End-to-end toy runs of the SFD distillers with mmengine's Runner."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from PIL import Image

import selfkd_seg  # noqa: F401
from selfkd_seg.models.utils import strip_distill_only

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))


def _image_folder(root, per_class=4, classes=4):
    rng = np.random.default_rng(0)
    for split in ('train', 'val'):
        for c in range(classes):
            folder = root / split / f'class{c}'
            folder.mkdir(parents=True)
            for i in range(per_class):
                img = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
                img[..., c % 3] = 40 * c  # a class cue
                Image.fromarray(img).save(folder / f'{i}.png')


def _cls_cfg(tmp_path, max_iters):
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/sfd_cls/sfd_resnet8x4_resnet8_20it_toy.py'))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(tmp_path / 'data')
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = max_iters
    cfg.default_hooks.checkpoint.interval = 5
    cfg.default_hooks.logger.interval = 5
    cfg.log_level = 'WARNING'
    return cfg


def test_cls_toy_train_val_resume_export(tmp_path):
    _image_folder(tmp_path / 'data')
    runner = Runner.from_cfg(_cls_cfg(tmp_path, max_iters=10))
    runner.train()
    hook = [h for h in runner.hooks if type(h).__name__ == 'SelfDistillHook']
    assert hook[0].num_updates == 1  # snapshot at iter 5, blend at iter 10
    ckpt_path = osp.join(runner.work_dir, 'iter_10.pth')
    ckpt = torch.load(ckpt_path, weights_only=True)
    assert 'self_distill_state' in ckpt
    assert not any(k.startswith('teacher.') for k in ckpt['state_dict'])

    # resume for 5 more iterations: hook state and weights come back
    cfg = _cls_cfg(tmp_path, max_iters=15)
    cfg.resume = True
    cfg.load_from = ckpt_path
    resumed = Runner.from_cfg(cfg)
    resumed.train()
    hook = [h for h in resumed.hooks
            if type(h).__name__ == 'SelfDistillHook'][0]
    assert resumed.iter == 15 and hook.num_updates == 2

    # export: the student loads strictly into the plain classifier
    init_default_scope('mmpretrain')
    from mmpretrain.registry import MODELS
    student_cfg = copy.deepcopy(cfg.model.to_dict())
    for key in ('teacher', 'teacher_ckpt', 'allow_random_teacher',
                'integrator', 'distill'):
        student_cfg.pop(key)
    student_cfg['type'] = 'ImageClassifier'
    plain = MODELS.build(student_cfg)
    final = torch.load(
        osp.join(resumed.work_dir, 'iter_15.pth'), weights_only=True)
    plain.load_state_dict(strip_distill_only(final['state_dict']), strict=True)
    plain.eval()
    with torch.no_grad():
        assert plain.backbone(torch.randn(1, 3, 32,
                                          32))[-1].shape == (1, 64, 8, 8)


def test_seg_toy_model_step_and_predict():
    pytest.importorskip('efficientnet_pytorch')
    init_default_scope('mmseg')
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'sfd_seg',
                 'sfd_efficientdet-d0-bifpn48_efficientdet-d0_240it_toy.py'))
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    assert model.integrator.in_channels == [32]
    assert model.integrator.out_channels == 48
    samples = []
    for _ in range(2):
        s = SegDataSample(
            gt_sem_seg=PixelData(data=torch.randint(0, 5, (1, 64, 64))))
        s.set_metainfo(
            dict(img_shape=(64, 64), pad_shape=(64, 64), ori_shape=(64, 64)))
        samples.append(s)
    x = torch.randn(2, 3, 64, 64)
    losses = model.loss(x, samples)
    assert {'decode.loss_ce', 'loss_feat', 'loss_kd'} <= set(losses)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert model.integrator.smooth.conv.weight.grad is not None
    assert not any(m.training for m in model.teacher.modules())
    assert not any(k.startswith('teacher.') for k in model.state_dict())
    model.eval()
    with torch.no_grad():
        pred = model.predict(x, samples)
    assert pred[0].pred_sem_seg.data.shape == (1, 64, 64)


def _seg_teacher_ckpt(teacher_cfg, path):
    """A teacher checkpoint as a plain training run writes it (state_dict,
    meta, optimizer...): random weights, the toy run only checks plumbing."""
    from mmengine.runner import save_checkpoint
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    torch.manual_seed(1)
    teacher = MODELS.build(copy.deepcopy(teacher_cfg))
    teacher.init_weights()
    save_checkpoint(
        dict(state_dict=teacher.state_dict(), meta=dict(iter=1), optimizer={}),
        path)
    return teacher.state_dict()


def _sfd_seg_cfg(tiny_seg_cfg, work_dir, teacher_ckpt, max_iters):
    cfg = tiny_seg_cfg(
        'sfd_seg/sfd_efficientdet-d0-bifpn48_efficientdet-d0_240it_toy.py',
        max_iters=max_iters,
        work_dir=work_dir)
    cfg.model.teacher_ckpt = teacher_ckpt
    cfg.model.allow_random_teacher = False
    # RSD every iteration: snapshot after iter 1, blends after 2, 3, ...
    cfg.custom_hooks[0].update(interval=1, flip_prob=1.0)
    cfg.default_hooks.checkpoint.interval = 2
    cfg.log_level = 'WARNING'
    return cfg


def test_seg_toy_train_val_resume_export(tiny_seg_cfg, tmp_path):
    """Teacher checkpoint -> SFD run (train, val) -> resume -> export."""
    pytest.importorskip('efficientnet_pytorch')
    from mmengine.runner import load_checkpoint

    from selfkd_seg.apis import export_student_checkpoint
    work_dir = str(tmp_path / 'sfd')
    teacher_ckpt = str(tmp_path / 'teacher.pth')
    cfg = _sfd_seg_cfg(tiny_seg_cfg, work_dir, teacher_ckpt, max_iters=2)
    teacher_sd = _seg_teacher_ckpt(cfg.model.teacher, teacher_ckpt)

    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.message_hub.get_scalar('val/mIoU') is not None
    model = runner.model
    # the teacher is the checkpoint's (the runner's init_weights left it),
    # frozen and in eval mode; the student's distillation loss was logged
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_sd[key]), key
    assert not any(p.requires_grad for p in model.teacher.parameters())
    assert runner.message_hub.get_scalar('train/loss_feat') is not None
    assert runner.message_hub.get_scalar('train/loss_kd') is not None
    assert model.integrator.in_channels == [16]
    assert model.integrator.out_channels == 24
    hook = [h for h in runner.hooks
            if type(h).__name__ == 'SelfDistillHook'][0]
    assert hook.num_updates == 1 and hook.last_flip is True

    ckpt_path = osp.join(work_dir, 'iter_2.pth')
    ckpt = torch.load(ckpt_path, weights_only=True)
    assert not any(k.startswith('teacher.') for k in ckpt['state_dict'])
    assert any(k.startswith('integrator.') for k in ckpt['state_dict'])
    state = ckpt['self_distill_state']
    assert state['num_updates'] == 1
    assert state['snapshot'].keys() == hook._snapshot.keys()
    assert not any(k.startswith('teacher') for k in state['snapshot'])

    # resume: iteration, weights, optimizer and hook state come back
    cfg = _sfd_seg_cfg(tiny_seg_cfg, work_dir, teacher_ckpt, max_iters=3)
    cfg.resume = True
    resumed = Runner.from_cfg(cfg)
    resumed._train_loop = resumed.build_train_loop(resumed._train_loop)
    resumed.optim_wrapper = resumed.build_optim_wrapper(resumed.optim_wrapper)
    resumed.load_or_resume()
    assert resumed.iter == 2
    model_sd = resumed.model.state_dict()
    assert model_sd.keys() == ckpt['state_dict'].keys()
    for key, value in ckpt['state_dict'].items():
        assert torch.equal(model_sd[key], value), key
    for key, value in resumed.model.teacher.state_dict().items():
        assert torch.equal(value, teacher_sd[key]), key
    momentum = resumed.optim_wrapper.optimizer.state_dict()['state']
    assert momentum.keys() == ckpt['optimizer']['state'].keys()
    for idx, saved in ckpt['optimizer']['state'].items():
        assert torch.equal(momentum[idx]['momentum_buffer'],
                           saved['momentum_buffer'])
    hook = [h for h in resumed.hooks
            if type(h).__name__ == 'SelfDistillHook'][0]
    assert hook.num_updates == 1
    for key, value in state['snapshot'].items():
        assert torch.equal(hook._snapshot[key], value), key
    assert torch.equal(hook._generator.get_state(), state['generator'])
    resumed.train()
    assert resumed.iter == 3 and hook.num_updates == 2

    # export: the student loads strictly into the plain toy d0 model and
    # predicts exactly what the SFD model predicts
    final = osp.join(work_dir, 'iter_3.pth')
    exported = str(tmp_path / 'student.pth')
    summary = export_student_checkpoint(final, exported)
    assert summary['dropped_modules'] == ['integrator', 'margin_estimator']
    init_default_scope('mmseg')
    from mmseg.registry import MODELS
    plain_cfg = tiny_seg_cfg(
        'efficientdet_seg/efficientdet-d0_240it_toy.py', work_dir=work_dir)
    plain = MODELS.build(plain_cfg.model)
    load_checkpoint(plain, exported, strict=True)
    sfd = resumed.model.eval()
    plain.eval()
    x = torch.randn(1, 3, 64, 48)
    with torch.no_grad():
        assert torch.equal(plain(x, mode='tensor'), sfd(x, mode='tensor'))

    # the command-line exporter on the same (teacher-free) checkpoint: the
    # integrator and margin buffers are what marks it as an SFD checkpoint
    from tool_scripts import load_tool
    tool = load_tool('export_student.py')
    cli_out = str(tmp_path / 'student_cli.pth')
    assert tool.main([final, cli_out])['kept_keys'] == summary['kept_keys']
    load_checkpoint(plain, cli_out, strict=True)
