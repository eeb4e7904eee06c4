"""The image demo: painted predictions, baseline | student, attention maps."""
import glob
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.registry import MODELS, init_default_scope
from PIL import Image

import selfkd_seg  # noqa: F401
from selfkd_seg.analysis.demo import run_demo
from selfkd_seg.apis import export_student_checkpoint
from selfkd_seg.apis.inference import load_segmentor, read_image
from selfkd_seg.datasets.transforms.loading import CorruptDataError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
META = dict(
    classes=('background', 'circle', 'square', 'triangle', 'stripes'),
    palette=[[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128]])


def constant_model(cfg, label):
    """A freshly built model whose student predicts ``label`` everywhere."""
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    with torch.no_grad():
        model.decode_head.conv_seg.weight.zero_()
        model.decode_head.conv_seg.bias.zero_()
        model.decode_head.conv_seg.bias[label] = 10.
    return model


@pytest.fixture
def demo_files(tiny_seg_cfg, toy_voc_64, tmp_path):
    """Tiny configs on disk; a baseline checkpoint predicting 'circle' (no
    meta: the classes come from the config), a FRSKD training checkpoint
    predicting 'square' and its exported student."""
    files = dict(
        img=sorted(glob.glob(osp.join(toy_voc_64, 'JPEGImages', 'val_*.jpg')))
        [0])
    for name, config in (('plain_cfg',
                          'efficientdet_seg/efficientdet-d0_240it_toy.py'),
                         ('frskd_cfg',
                          'frskd_seg/frskd_efficientdet-d0_240it_toy.py')):
        cfg = tiny_seg_cfg(config)
        files[name] = str(tmp_path / osp.basename(config))
        cfg.dump(files[name])
        if name == 'plain_cfg':
            files['baseline'] = str(tmp_path / 'baseline.pth')
            torch.save(
                dict(state_dict=constant_model(cfg, 1).state_dict()),
                files['baseline'])
        else:
            files['frskd'] = str(tmp_path / 'frskd_iter_2.pth')
            torch.save(
                dict(
                    state_dict=constant_model(cfg, 2).state_dict(),
                    meta=dict(dataset_meta=META)), files['frskd'])
    files['student'] = str(tmp_path / 'frskd_student.pth')
    export_student_checkpoint(files['frskd'], files['student'])
    return files


def panels_of(path, count, size=64):
    """The painted panels of a side-by-side picture, under the title band."""
    picture = np.asarray(Image.open(path).convert('RGB'))
    height, width = picture.shape[:2]
    assert width == count * size and height > size
    body = picture[height - size:]
    return [body[:, i * size:(i + 1) * size] for i in range(count)]


def blend(image, colour, opacity=0.5):
    return (image * (1 - opacity) +
            np.array(colour, dtype=np.uint8) * opacity).astype(np.uint8)


def test_one_model_paints_the_prediction(demo_files, tmp_path):
    img = demo_files['img']
    image = read_image(img)
    out = str(tmp_path / 'out' / 'student.png')
    done = run_demo(
        img, [(demo_files['plain_cfg'], demo_files['student'])],
        out,
        device='cpu')
    assert done['out_file'] == out and done['attention_files'] == []
    pred = done['results'][0].pred_sem_seg.data
    assert pred.shape == (1, 64, 64) and bool((pred == 2).all())
    shown, painted = panels_of(out, 2)
    assert np.array_equal(shown, image)  # the input, untouched
    # every pixel is predicted 'square': the input blended with its green
    assert np.abs(painted.astype(int) -
                  blend(image, META['palette'][2])).max() <= 1
    assert (painted != image).any(axis=-1).mean() > 0.9


def test_compare_baseline_and_frskd_student_with_attention(
        demo_files, tmp_path):
    img = demo_files['img']
    image = read_image(img)
    out = str(tmp_path / 'compare.png')
    done = run_demo(
        img, [(demo_files['plain_cfg'], demo_files['baseline']),
              (demo_files['frskd_cfg'], demo_files['frskd'])],
        out,
        device='cpu',
        opacity=0.6,
        titles=['baseline', 'FRSKD student'],
        attention=True)
    shown, baseline, student = panels_of(out, 3)
    assert np.array_equal(shown, image)
    # baseline: 'circle' everywhere, palette from the config's metainfo
    assert np.abs(
        baseline.astype(int) -
        blend(image, META['palette'][1], 0.6)).max() <= 1
    assert np.abs(student.astype(int) -
                  blend(image, META['palette'][2], 0.6)).max() <= 1
    # the titles are drawn: the band is not blank
    band = np.asarray(Image.open(out).convert('L'))[:-64]
    assert band.min() < 128 and band.max() == 255
    assert done['attention_files'] == [str(tmp_path / 'compare_attention.png')]
    with Image.open(done['attention_files'][0]) as grid:
        assert grid.size[0] > grid.size[1] > 0  # image + levels x 2 columns


def test_every_checkpoint_config_pairing_predicts_the_same(demo_files):
    img = demo_files['img']
    preds = []
    for cfg, ckpt, has_teacher in ((demo_files['frskd_cfg'],
                                    demo_files['frskd'],
                                    True), (demo_files['plain_cfg'],
                                            demo_files['frskd'], False),
                                   (demo_files['plain_cfg'],
                                    demo_files['student'], False),
                                   (demo_files['frskd_cfg'],
                                    demo_files['student'], False)):
        model = load_segmentor(cfg, ckpt, device='cpu')
        assert model.demo_info['self_teacher_loaded'] is has_teacher
        assert model.dataset_meta['classes'] == META['classes']
        from mmseg.apis import inference_model
        preds.append(inference_model(model, img).pred_sem_seg.data)
    for pred in preds[1:]:
        assert torch.equal(pred, preds[0])


def test_clear_errors(demo_files, tmp_path):
    models = [(demo_files['plain_cfg'], demo_files['student'])]
    out = str(tmp_path / 'x.png')
    with pytest.raises(FileNotFoundError, match='no_such_image.jpg'):
        run_demo(str(tmp_path / 'no_such_image.jpg'), models, out)
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'this is not a JPEG')
    with pytest.raises(CorruptDataError, match='broken.jpg'):
        run_demo(str(broken), models, out)
    with pytest.raises(ValueError, match='self-teacher'):
        run_demo(demo_files['img'], models, out, attention=True)
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        run_demo(demo_files['img'],
                 [(demo_files['plain_cfg'], str(tmp_path / 'missing.pth'))],
                 out)
    # a checkpoint of another architecture names both files
    state = torch.load(demo_files['student'], weights_only=True)
    del state['state_dict']['decode_head.conv_seg.bias']
    partial = str(tmp_path / 'partial.pth')
    torch.save(state, partial)
    with pytest.raises(
            ValueError, match=r"partial.pth.*does not fit.*conv_seg.bias"):
        load_segmentor(demo_files['plain_cfg'], partial, device='cpu')
    assert not osp.exists(out)


def test_demo_script_smoke(demo_files, tmp_path):
    out = str(tmp_path / 'script.png')
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO, 'demo', 'image_demo.py'), demo_files['img'],
        demo_files['frskd_cfg'], demo_files['frskd'], '--compare',
        demo_files['plain_cfg'], demo_files['student'], '--device', 'cpu',
        '--title', 'FRSKD (training ckpt)', 'exported student', '--attention',
        '--out-file', out
    ],
                          capture_output=True,
                          text=True,
                          cwd=str(tmp_path),
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f'wrote {out}' in proc.stdout
    first, second = panels_of(out, 3)[1:]
    assert np.array_equal(first, second)  # the same student, two ways
    assert osp.isfile(str(tmp_path / 'script_attention.png'))
