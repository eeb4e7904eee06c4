"""``tools/test.py --show-dir`` paints every test image (seg and cls)."""
import glob
import os.path as osp
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import Runner
from PIL import Image

import selfkd_seg  # noqa: F401
from selfkd_research.synthetic_data.toy_voc import make_toy_voc
from selfkd_seg.apis.config import enable_test_visualization, prepare_test_cfg

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLS_TOY = osp.join(REPO, 'configs', 'frskd_cls', 'frskd_wrn-10-1_4e_toy.py')
SEG_TOY = osp.join(REPO, 'configs', 'efficientdet_seg',
                   'efficientdet-d0_240it_toy.py')


def save_untrained(cfg, scope, path):
    """A checkpoint of the freshly built model (weights do not matter)."""
    init_default_scope(scope)
    torch.manual_seed(0)
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), path)
    return path


def test_seg_show_dir_paints_every_test_image(tiny_seg_cfg, tmp_path):
    # 5 val images in batches of 2: three batches, the last one partial
    root = str(tmp_path / 'voc')
    make_toy_voc(root, num_train=1, num_val=5, img_size=(64, 64), seed=1)
    images = sorted(glob.glob(osp.join(root, 'JPEGImages', 'val_*.jpg')))
    assert len(images) == 5
    cfg = tiny_seg_cfg(
        'efficientdet_seg/efficientdet-d0_240it_toy.py',
        work_dir=str(tmp_path / 'run'))
    cfg.test_dataloader.dataset.data_root = root
    assert cfg.default_hooks.visualization.get('interval', 50) > 3
    ckpt = save_untrained(cfg, 'mmseg', str(tmp_path / 'seg.pth'))
    show_dir = str(tmp_path / 'painted')
    prepare_test_cfg(
        cfg, SEG_TOY, ckpt, work_dir=str(tmp_path / 'run'), show_dir=show_dir)
    metrics = Runner.from_cfg(cfg).test()
    assert 'mIoU' in metrics
    painted = sorted(
        glob.glob(osp.join(show_dir, 'vis_data', 'vis_image', '*.png')))
    assert [osp.basename(p) for p in painted
            ] == [f'test_{osp.basename(p)}_0.png' for p in images]
    for path in painted:
        with Image.open(path) as im:
            # ground truth | prediction, each at the image's 64x64
            assert im.size == (2 * 64, 64)


def test_cls_show_dir_paints_every_test_image(tmp_path):
    pytest.importorskip('mmpretrain')
    from selfkd_research.synthetic_data.toy_cls import make_toy_cls

    # 4 classes x 2 images, named 0000.png/0001.png in every class folder
    root = make_toy_cls(str(tmp_path / 'toy'), dict(val=2))
    images = sorted(glob.glob(osp.join(root, 'val', '*', '*.png')))
    assert len(images) == 8 and len({osp.basename(p) for p in images}) == 2
    cfg = Config.fromfile(CLS_TOY)
    cfg.test_dataloader.dataset.data_root = root
    cfg.test_dataloader.batch_size = 3  # 3 batches, the last one partial
    cfg.experiment_name = f'test_{uuid.uuid4().hex[:8]}'
    ckpt = save_untrained(cfg, 'mmpretrain', str(tmp_path / 'cls.pth'))
    show_dir = str(tmp_path / 'painted')
    prepare_test_cfg(
        cfg, CLS_TOY, ckpt, work_dir=str(tmp_path / 'run'), show_dir=show_dir)
    assert cfg.default_hooks.visualization.type == \
        'ClassFolderVisualizationHook'
    metrics = Runner.from_cfg(cfg).test()
    assert 'accuracy/top1' in metrics
    painted = sorted(glob.glob(osp.join(show_dir, '*.png')))
    # one picture per image: same-named images of different classes do not
    # overwrite each other
    assert [osp.basename(p) for p in painted] == sorted(
        f'{osp.basename(osp.dirname(p))}_{osp.basename(p)}_0.png'
        for p in images)


def test_show_switches_and_interval():
    cfg = Config.fromfile(SEG_TOY)
    enable_test_visualization(cfg, show=True, interval=3)
    vis = cfg.default_hooks.visualization
    assert (vis.draw, vis.show, vis.interval) == (True, True, 3)
    with pytest.raises(ValueError, match='interval must be >= 1'):
        enable_test_visualization(cfg, show_dir='x', interval=0)
    del cfg.default_hooks['visualization']
    with pytest.raises(KeyError, match='visualization'):
        enable_test_visualization(cfg, show_dir='x')
    pytest.importorskip('mmpretrain')
    cfg = Config.fromfile(CLS_TOY)
    enable_test_visualization(cfg, show=True)
    vis = cfg.default_hooks.visualization
    assert (vis.enable, vis.show, vis.interval, vis.out_dir) == (True, True, 1,
                                                                 None)
    assert 'draw' not in vis  # not an argument of mmpretrain's hook
