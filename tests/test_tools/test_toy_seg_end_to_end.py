"""End to end on toy data: train, validate, save, resume, serve, export."""
import glob
import json
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.runner import Runner, load_checkpoint

import selfkd_seg  # noqa: F401
from selfkd_seg.apis import export_student_checkpoint
from selfkd_seg.engine.checkpoint_io import last_checkpoint


def train(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def _miou_by_hand(runner) -> float:
    """mIoU (percent) of ``runner.model`` on its val loader: per class
    intersection / union over all pixels, classes absent from both the
    predictions and the labels left out, ignore pixels not counted."""
    num_classes = len(runner.val_dataloader.dataset.metainfo['classes'])
    inter = np.zeros(num_classes)
    union = np.zeros(num_classes)
    runner.model.eval()
    with torch.no_grad():
        for batch in runner.val_dataloader:
            for sample in runner.model.val_step(batch):
                pred = sample.pred_sem_seg.data[0].numpy()
                label = sample.gt_sem_seg.data[0].numpy()
                valid = label != 255
                for c in range(num_classes):
                    p, g = (pred == c) & valid, (label == c) & valid
                    inter[c] += (p & g).sum()
                    union[c] += (p | g).sum()
    present = union > 0
    return float((inter[present] / union[present]).mean() * 100)


@pytest.mark.parametrize('config', [
    'efficientdet_seg/efficientdet-d0_240it_toy.py',
    'frskd_seg/frskd_efficientdet-d0_240it_toy.py'
])
def test_train_validate_save_and_resume(tiny_seg_cfg, tmp_path, config):
    work_dir = str(tmp_path / 'run')
    runner = train(tiny_seg_cfg(config, max_iters=2, work_dir=work_dir))
    metrics = runner.message_hub.get_scalar('val/mIoU')
    # the logged mIoU is that of the trained model's predictions on the
    # val set, counted here pixel by pixel
    assert metrics.current() == pytest.approx(
        _miou_by_hand(runner), abs=0.01)  # IoUMetric rounds to 2 digits
    if 'frskd' in config:  # SelfTeacherLeadHook in a real run
        hub = runner.message_hub
        teacher = hub.get_scalar('val/self_teacher/mIoU').current()
        lead = hub.get_scalar('val/self_teacher/lead').current()
        assert lead == pytest.approx(teacher - metrics.current())
        scalars = glob.glob(
            osp.join(work_dir, '**', 'scalars.json'), recursive=True)
        text = open(scalars[0]).read()
        assert '"self_teacher/lead"' in text
        assert '"self_teacher.ce_lead"' in text
    ckpt_path = last_checkpoint(work_dir)
    assert ckpt_path.endswith('iter_2.pth')
    ckpt = torch.load(ckpt_path, weights_only=True)  # safe format

    cfg = tiny_seg_cfg(config, max_iters=3, work_dir=work_dir)
    cfg.resume = True
    resumed = Runner.from_cfg(cfg)
    resumed._train_loop = resumed.build_train_loop(resumed._train_loop)
    resumed.optim_wrapper = resumed.build_optim_wrapper(resumed.optim_wrapper)
    resumed.load_or_resume()
    assert resumed.iter == 2
    model_sd = resumed.model.state_dict()
    for key, value in ckpt['state_dict'].items():
        assert torch.equal(model_sd[key], value), key
    momentum = resumed.optim_wrapper.optimizer.state_dict()['state']
    saved = ckpt['optimizer']['state']
    assert momentum.keys() == saved.keys() and len(saved) > 0
    for idx in saved:
        assert torch.equal(momentum[idx]['momentum_buffer'],
                           saved[idx]['momentum_buffer'])


def test_checkpoint_serves_through_mmseg_inference_api(tiny_seg_cfg, tmp_path,
                                                       toy_voc_64):
    from mmseg.apis import inference_model, init_model, show_result_pyplot
    work_dir = str(tmp_path / 'run')
    cfg = tiny_seg_cfg(
        'efficientdet_seg/efficientdet-d0_240it_toy.py', work_dir=work_dir)
    train(cfg)
    model = init_model(cfg, last_checkpoint(work_dir), device='cpu')
    assert model.dataset_meta['classes'][1] == 'circle'
    img = sorted(glob.glob(osp.join(toy_voc_64, 'JPEGImages', 'val_*.jpg')))[0]
    result = inference_model(model, img)
    assert result.pred_sem_seg.data.shape == (1, 64, 64)
    out = str(tmp_path / 'pred.png')
    drawn = show_result_pyplot(
        model,
        img,
        result,
        opacity=0.5,
        with_labels=False,
        show=False,
        out_file=out)
    # the file holds the image with each pixel's predicted class blended in
    # at half opacity, in the colours the toy data declares for its classes
    with open(osp.join(toy_voc_64, 'meta.json')) as f:
        palette = np.array(json.load(f)['palette'], dtype=np.uint8)
    image = mmcv.imread(img, channel_order='rgb')
    pred = result.pred_sem_seg.data[0].numpy()
    expected = (image * 0.5 + palette[pred] * 0.5).astype(np.uint8)
    assert np.array_equal(drawn, expected)
    assert np.array_equal(mmcv.imread(out, channel_order='rgb'), expected)


def test_export_round_trip(tiny_seg_cfg, tmp_path):
    from mmengine.registry import MODELS, init_default_scope
    work_dir = str(tmp_path / 'frskd')
    cfg = tiny_seg_cfg(
        'frskd_seg/frskd_efficientdet-d0_240it_toy.py', work_dir=work_dir)
    runner = train(cfg)
    full = runner.model.eval()
    exported = str(tmp_path / 'student.pth')
    summary = export_student_checkpoint(last_checkpoint(work_dir), exported)
    assert summary['dropped_modules'] == ['self_teacher']

    base_cfg = tiny_seg_cfg(
        'efficientdet_seg/efficientdet-d0_240it_toy.py', work_dir=work_dir)
    init_default_scope('mmseg')
    plain = MODELS.build(base_cfg.model)
    # strict: no missing and no unexpected keys
    load_checkpoint(plain, exported, strict=True)
    plain.eval()
    x = torch.randn(1, 3, 64, 48)
    with torch.no_grad():
        assert torch.equal(plain(x, mode='tensor'), full(x, mode='tensor'))

    # exporting twice (or a baseline checkpoint) is refused
    with pytest.raises(ValueError, match='no training-only weights'):
        export_student_checkpoint(exported, str(tmp_path / 'again.pth'))


def test_amp_flag_trains_with_bfloat16_autocast_on_cpu(tiny_seg_cfg, tmp_path):
    from selfkd_seg.apis.config import prepare_train_cfg
    cfg = tiny_seg_cfg(
        'frskd_seg/frskd_efficientdet-d0_240it_toy.py', max_iters=1)
    prepare_train_cfg(
        cfg,
        'frskd_efficientdet-d0_240it_toy.py',
        work_dir=str(tmp_path),
        amp=True)
    assert cfg.optim_wrapper.type == 'AutocastOptimWrapper'
    runner = train(cfg)
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert np.isfinite(loss)


def test_num_classes_mismatch_fails_before_training(tiny_seg_cfg):
    cfg = tiny_seg_cfg('frskd_seg/frskd_efficientdet-d0_240it_toy.py')
    cfg.model.decode_head.num_classes = 7
    runner = Runner.from_cfg(cfg)
    with pytest.raises(
            ValueError, match=r'decode_head.num_classes=7, .* has 5 classes'):
        runner.train()
    assert runner.iter == 0
