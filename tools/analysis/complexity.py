"""Params and FLOPs of the student and of its self-teacher, and their ratio.

    python tools/analysis/complexity.py CONFIG [--shape H W] [--cfg-options ...]

FLOPs count one multiply-add as one FLOP (fvcore / mmengine convention), at
batch size 1.  Works for segmentation (mmseg) and classification
(mmpretrain) configs; the ratios are those of FRSKD's Table 6.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import selfkd_seg  # noqa: E402,F401
from mmengine.config import DictAction  # noqa: E402
from mmengine.registry import MODELS, init_default_scope  # noqa: E402

from selfkd_seg.apis.complexity import complexity_report  # noqa: E402
from selfkd_seg.engine.cli import load_config, replace_sync_bn  # noqa: E402


def build_model_for_analysis(cfg):
    init_default_scope(cfg.default_scope)
    replace_sync_bn(cfg.model)
    cfg.model.pop('pretrained', None)
    backbone = cfg.model.get('backbone', {})
    if backbone.get('pretrained'):
        backbone['pretrained'] = None  # analysis never downloads weights
    if cfg.model.get('teacher_ckpt'):
        cfg.model['teacher_ckpt'] = None
        cfg.model['allow_random_teacher'] = True
    return MODELS.build(cfg.model)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument(
        '--shape', type=int, nargs=2, default=None, help='input H W')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    if args.shape is None:
        args.shape = (512, 512) if cfg.default_scope == 'mmseg' else (224,
                                                                      224)
    model = build_model_for_analysis(cfg)
    report = complexity_report(model, (3, *args.shape))
    print(f'input 1x3x{args.shape[0]}x{args.shape[1]}')
    print(f"student       params {report['student_params'] / 1e6:9.3f} M  "
          f"FLOPs {report['student_flops'] / 1e9:9.3f} G")
    if 'self_teacher_params' in report:
        print(f"self-teacher  params {report['self_teacher_params'] / 1e6:9.3f}"
              f" M  FLOPs {report['self_teacher_flops'] / 1e9:9.3f} G")
        print(f"ratio (self-teacher / student): params x"
              f"{report['params_ratio']:.2f}, FLOPs x"
              f"{report['flops_ratio']:.2f}")
    for name in ('teacher', 'integrator'):
        if f'{name}_params' in report:
            print(f"{name:13s} params {report[f'{name}_params'] / 1e6:9.3f} M")
    return report


if __name__ == '__main__':
    main()
