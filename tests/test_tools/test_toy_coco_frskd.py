"""FRSKD trains on generated COCO-format data; the dataset browser draws it
with the trained checkpoint's predictions."""
import os.path as osp
import runpy

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from PIL import Image
from tiny_configs import shrink_seg_cfg

import selfkd_seg  # noqa: F401
from selfkd_research.synthetic_data import make_toy_coco
from selfkd_seg.analysis import browse_dataset as browse
from selfkd_seg.datasets import COCOSemanticDataset

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def toy_coco_64(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('toy_coco_64'))
    make_toy_coco(root, num_train=4, num_val=2, img_size=(64, 64), seed=0)
    return root


def test_frskd_toy_run_on_coco_data_then_browse(toy_coco_64, tmp_path, capsys):
    config = osp.join(ROOT, 'configs', 'frskd_seg',
                      'frskd_efficientdet-d0_240it_toy-coco.py')
    work_dir = str(tmp_path / 'run')
    cfg = shrink_seg_cfg(Config.fromfile(config), toy_coco_64, work_dir, 2)
    runner = Runner.from_cfg(cfg)
    runner.train()
    dataset = runner.train_dataloader.dataset
    assert isinstance(dataset, COCOSemanticDataset)
    assert dataset.metainfo['classes'] == ('background', 'circle', 'square',
                                           'triangle', 'stripes')
    assert runner.message_hub.get_scalar('val/mIoU') is not None
    ckpt = osp.join(work_dir, 'iter_2.pth')
    assert osp.isfile(ckpt)

    out = str(tmp_path / 'grid.png')
    options = [
        f'{s}_dataloader.dataset.data_root={toy_coco_64}'
        for s in ('train', 'val', 'test')
    ]
    browse_tool = runpy.run_path(
        osp.join(ROOT, 'tools', 'visualization', 'browse_dataset.py'))
    # the config the checkpoint was trained with (the shrunk model): the
    # checkpoint is loaded strictly
    trained_config = str(tmp_path / 'frskd_d0_toy_coco_shrunk.py')
    cfg.dump(trained_config)
    browse_tool['main']([
        trained_config, '--checkpoint', ckpt, '--split', 'val', '--num', '2',
        '--cols', '2', '--tile-size', '64', '--out', out, '--cfg-options'
    ] + options)
    assert capsys.readouterr().out.endswith(f'wrote {out} (2 images of val)\n')
    with Image.open(out) as grid:
        # 2 tiles x (image, ground truth, prediction) panels of 64 px,
        # captions, and a 1-row legend (5 classes)
        assert grid.size == (2 * 3 * 64, 64 + browse.CAPTION + 20)


def test_overlay_is_mmsegs_blend_of_the_class_colours():
    img = np.full((2, 3, 3), 100, dtype=np.uint8)
    labels = np.array([[0, 1, 2], [255, 1, 0]], dtype=np.uint8)
    meta = dict(
        classes=('bg', 'a', 'b'),
        palette=[[0, 0, 0], [200, 0, 0], [0, 50, 250]])
    out = browse.overlay(img, labels, meta, alpha=1.0)
    assert out[0, 0].tolist() == [0, 0, 0]  # class 0 has a colour too
    assert out[0, 1].tolist() == [200, 0, 0]
    assert out[0, 2].tolist() == [0, 50, 250]
    assert out[1, 0].tolist() == [0, 0, 0]  # ignore: no colour
    # (1 - alpha) * image + alpha * colour, SegLocalVisualizer's blend
    half = browse.overlay(img, labels, meta, alpha=0.5)
    assert half[0, 1].tolist() == [150, 50, 50]
    assert half[1, 0].tolist() == [50, 50, 50]
