"""FRSKD segmentation cost, measured in one run on the same input.

    python tools/analysis/benchmark_frskd_seg.py [--size 128 128] [--batch 2]
        [--steps 10] [--flops-size 512 512]

Prints
- params and FLOPs of the d0 and d1 segmentation students and of their
  self-teachers at ``--flops-size`` (FLOPs count multiply-adds, batch 1);
- train-step time FRSKD / baseline (forward + backward + SGD step), next to
  the FLOPs ratio (student + self-teacher) / student at the same input;
- inference time exported student / baseline (target: 1.00: the exported
  student *is* the baseline architecture);
- CPU throughput (images/s) for training and inference at ``--size``.
Timings are medians over ``--steps`` interleaved steps after warm-up, so
machine noise hits both sides alike; ratios matter, absolute times depend on
the machine.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import selfkd_seg  # noqa: E402,F401
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import MODELS, init_default_scope  # noqa: E402
from mmengine.structures import PixelData  # noqa: E402

from selfkd_seg.apis.benchmark import (interleaved_medians,  # noqa: E402
                                       train_step)
from selfkd_seg.apis.complexity import complexity_report  # noqa: E402
from selfkd_seg.engine.cli import replace_sync_bn  # noqa: E402
from selfkd_seg.models.utils.distill import strip_distill_only  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PAIRS = dict(
    d0=('configs/efficientdet_seg/efficientdet_d0_voc07_12_60e.py',
        'configs/frskd_seg/frskd_efficientdet_d0_voc07_12_60e.py'),
    d1=('configs/efficientdet_seg/efficientdet_d1_voc07_12_60e.py',
        'configs/frskd_seg/frskd_efficientdet_d1_voc07_12_60e.py'))


def build(config):
    cfg = Config.fromfile(osp.join(REPO, config))
    init_default_scope('mmseg')
    replace_sync_bn(cfg.model)
    cfg.model.backbone.pretrained = None
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def fake_batch(batch, size, num_classes):
    from mmseg.structures import SegDataSample
    gen = torch.Generator().manual_seed(0)
    inputs = torch.randn(batch, 3, *size, generator=gen)
    samples = []
    for _ in range(batch):
        label = torch.randint(0, num_classes, (1, *size), generator=gen)
        s = SegDataSample(gt_sem_seg=PixelData(data=label))
        s.set_metainfo(dict(img_shape=size, ori_shape=size, pad_shape=size))
        samples.append(s)
    return inputs, samples




def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', type=int, nargs=2, default=(128, 128))
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument(
        '--flops-size', type=int, nargs=2, default=(512, 512))
    parser.add_argument('--archs', nargs='+', default=['d0', 'd1'])
    args = parser.parse_args(argv)
    size = tuple(args.size)

    print(f'== params / FLOPs at 1x3x{args.flops_size[0]}x'
          f'{args.flops_size[1]} (multiply-adds) ==')
    for arch in args.archs:
        frskd = build(PAIRS[arch][1])
        rep = complexity_report(frskd, (3, *args.flops_size))
        print(f"{arch}: student {rep['student_params'] / 1e6:.3f} M params, "
              f"{rep['student_flops'] / 1e9:.2f} GFLOPs | self-teacher "
              f"{rep['self_teacher_params'] / 1e6:.3f} M params, "
              f"{rep['self_teacher_flops'] / 1e9:.2f} GFLOPs | ratio params "
              f"x{rep['params_ratio']:.2f}, FLOPs x{rep['flops_ratio']:.2f}")

    arch = args.archs[0]
    print(f'\n== {arch} on CPU, input {args.batch}x3x{size[0]}x{size[1]}, '
          f'{torch.get_num_threads()} threads, median of {args.steps} '
          'interleaved steps ==')
    baseline = build(PAIRS[arch][0]).train()
    frskd = build(PAIRS[arch][1]).train()
    inputs, samples = fake_batch(args.batch, size, baseline.num_classes)
    opt_b = torch.optim.SGD(baseline.parameters(), lr=1e-3, momentum=0.9)
    opt_f = torch.optim.SGD(frskd.parameters(), lr=1e-3, momentum=0.9)
    train = interleaved_medians(
        dict(
            baseline=lambda: train_step(baseline, opt_b, inputs, samples),
            frskd=lambda: train_step(frskd, opt_f, inputs, samples)),
        args.steps)
    rep = complexity_report(frskd, (3, *size))
    flops_ratio = (rep['student_flops'] +
                   rep['self_teacher_flops']) / rep['student_flops']
    print(f"train step: baseline {train['baseline'] * 1e3:.0f} ms, FRSKD "
          f"{train['frskd'] * 1e3:.0f} ms -> ratio FRSKD / baseline "
          f"{train['frskd'] / train['baseline']:.2f} (FLOPs ratio "
          f"(student + self-teacher) / student {flops_ratio:.2f})")

    # the exported student: FRSKD weights without the self-teacher, in the
    # plain baseline architecture (strict load)
    student = build(PAIRS[arch][0])
    student.load_state_dict(strip_distill_only(frskd.state_dict()),
                            strict=True)
    baseline.eval()
    student.eval()
    with torch.no_grad():
        infer = interleaved_medians(
            dict(
                baseline=lambda: baseline(inputs, mode='tensor'),
                student=lambda: student(inputs, mode='tensor')), args.steps)
    print(f"inference: baseline {infer['baseline'] * 1e3:.0f} ms, exported "
          f"student {infer['student'] * 1e3:.0f} ms -> ratio "
          f"{infer['student'] / infer['baseline']:.2f} (target 1.00)")
    print(f"throughput: train {args.batch / train['baseline']:.1f} img/s "
          f"(baseline), {args.batch / train['frskd']:.1f} img/s (FRSKD); "
          f"inference {args.batch / infer['baseline']:.1f} img/s")
    return dict(train=train, infer=infer, flops_ratio=flops_ratio)


if __name__ == '__main__':
    main()
