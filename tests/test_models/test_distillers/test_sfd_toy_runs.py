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
    cfg = Config.fromfile(osp.join(ROOT, 'configs/toy/sfd_cls_toy.py'))
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
    plain.load_state_dict(strip_distill_only(final['state_dict']),
                          strict=True)
    plain.eval()
    with torch.no_grad():
        assert plain.backbone(torch.randn(1, 3, 32, 32))[-1].shape == (1, 64,
                                                                       8, 8)


def test_seg_toy_model_step_and_predict():
    pytest.importorskip('efficientnet_pytorch')
    init_default_scope('mmseg')
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    cfg = Config.fromfile(osp.join(ROOT, 'configs/toy/sfd_seg_toy.py'))
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
