"""Draw per-level attention maps of the student and of the self-teacher.

    python tools/visualization/attention_maps.py CONFIG CKPT IMG [IMG ...] \
        --out attention.png

One row per image: the image, then for every BiFPN level (segmentation) or
backbone stage (classification) the student's and the self-teacher's
attention ``mean_c(f^2)`` (FRSKD Fig. 3).  The config is the FRSKD config
the checkpoint was trained with.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import selfkd_seg  # noqa: E402,F401
import mmcv  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from mmengine.dataset import Compose  # noqa: E402
from mmengine.registry import MODELS, init_default_scope  # noqa: E402
from mmengine.runner import load_checkpoint  # noqa: E402

from selfkd_seg.apis.attention import (collect_attention,  # noqa: E402
                                       draw_attention_grid, level_names_of)
from selfkd_seg.engine.cli import load_config, replace_sync_bn  # noqa: E402


def test_pipeline_of(cfg):
    pipeline = cfg.get('test_pipeline') or cfg.test_dataloader.dataset.pipeline
    # no ground truth at inference time
    return [t for t in pipeline if 'Annotation' not in t['type']]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', nargs='+')
    parser.add_argument('--out', default='attention_maps.png')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)

    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.default_scope)
    replace_sync_bn(cfg.model)
    cfg.model.pop('pretrained', None)
    cfg.model.backbone.pop('pretrained', None)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    model.to(args.device).eval()

    pipeline = Compose(test_pipeline_of(cfg))
    samples, images = [], []
    for path in args.images:
        if not osp.isfile(path):
            raise FileNotFoundError(f'image {path!r} does not exist')
        samples.append(pipeline(dict(img_path=path)))
        images.append(mmcv.imread(path, channel_order='rgb'))
    batch = model.data_preprocessor(
        dict(
            inputs=[s['inputs'] for s in samples],
            data_samples=[s['data_samples'] for s in samples]), False)
    maps = collect_attention(model, batch['inputs'])
    # show each image at the size the network saw
    shown = [
        mmcv.imresize(img, tuple(batch['inputs'].shape[-1:-3:-1]))
        for img in images
    ]
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    draw_attention_grid(shown, maps, args.out,
                        level_names_of(model, len(maps['student'])))
    print(f'wrote {args.out}')
    return args.out


if __name__ == '__main__':
    main()
