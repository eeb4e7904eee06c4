"""``tools/toy_experiment.py``, the main job: toy baseline vs toy FRSKD,
same budget and seed.

:func:`main` takes the script's arguments and returns the per-run results
(``(method, seed) -> dict``). Training, export and the attention maps run as
the repository's tools in subprocesses
(:func:`~selfkd_seg.apis.experiment.run_tool`); inference is timed in this
process through mmseg's ``init_model`` + ``inference_model``.
"""
import argparse
import glob
import os
import os.path as osp
import statistics
import sys
import time

from selfkd_seg.apis.experiment import (REPO, last_checkpoint, read_run,
                                        run_tool)

RUNS = (('baseline', 'configs/toy/efficientdet_d0_toy.py'),
        ('FRSKD', 'configs/toy/frskd_d0_toy.py'))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='The main job: toy baseline vs toy FRSKD, same budget and '
        'seed.')
    parser.add_argument('--work-dir', default='work_dirs/toy_main')
    parser.add_argument('--data-root', default='data/toy_voc')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument(
        '--max-iters', type=int, default=None,
        help='training iterations (default: the toy config\'s)')
    parser.add_argument(
        '--inference-images', type=int, default=16,
        help='val images used to time inference')
    return parser.parse_args(argv)


def train_all(args, env):
    results = {}
    for seed in args.seeds:
        for name, config in RUNS:
            work_dir = osp.join(args.work_dir, f'{name.lower()}_seed{seed}')
            cmd = [
                sys.executable, 'tools/train.py', config, '--work-dir',
                work_dir, '--cfg-options', f'randomness.seed={seed}'
            ]
            if args.max_iters:
                cmd += [
                    f'train_cfg.max_iters={args.max_iters}',
                    f'train_cfg.val_interval={args.max_iters}'
                ]
            print(f'[main job] training {name} (seed {seed}) -> {work_dir}',
                  flush=True)
            start = time.perf_counter()
            run_tool(cmd,
                     osp.join(args.work_dir, f'{name.lower()}_seed{seed}.log'),
                     env)
            wall = time.perf_counter() - start
            iter_times, val = read_run(work_dir)
            # the first logged window includes start-up costs
            steady = iter_times[1:] or iter_times
            results[(name, seed)] = dict(
                work_dir=work_dir,
                checkpoint=last_checkpoint(work_dir),
                mIoU=val.get('mIoU'),
                aAcc=val.get('aAcc'),
                iter_time=statistics.median(steady),
                wall=wall)
            print(f'[main job]   mIoU {val.get("mIoU")}  aAcc '
                  f'{val.get("aAcc")}  ({wall:.0f} s)', flush=True)
    return results


def time_inference(args, baseline_ckpt, student_ckpt, frskd_ckpt):
    """Per-image inference time of baseline vs exported student (mmseg
    API), interleaved; and whether the student equals the full model."""
    import torch
    from mmseg.apis import inference_model, init_model
    cfg_base = osp.join(REPO, RUNS[0][1])
    cfg_frskd = osp.join(REPO, RUNS[1][1])
    images = sorted(
        glob.glob(osp.join(args.data_root, 'JPEGImages',
                           'val_*.jpg')))[:args.inference_images]
    baseline = init_model(cfg_base, baseline_ckpt, device='cpu')
    student = init_model(cfg_base, student_ckpt, device='cpu')
    full = init_model(cfg_frskd, frskd_ckpt, device='cpu')
    identical = all(
        torch.equal(
            inference_model(student, img).seg_logits.data,
            inference_model(full, img).seg_logits.data) for img in images)
    times = dict(baseline=[], student=[])
    for img in images * 2:
        for name, model in (('baseline', baseline), ('student', student)):
            start = time.perf_counter()
            inference_model(model, img)
            times[name].append(time.perf_counter() - start)
    return {k: statistics.median(v)
            for k, v in times.items()}, identical, images


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    env = dict(os.environ, SELFKD_TOY_DATA=osp.abspath(args.data_root))

    from selfkd_seg.testing.toy_voc import make_toy_voc, toy_voc_is_current
    if toy_voc_is_current(args.data_root):
        print(f'[main job] toy data: {args.data_root} (up to date)')
    else:
        print(f'[main job] generating toy data in {args.data_root}')
        make_toy_voc(args.data_root)

    results = train_all(args, env)

    seed = args.seeds[0]
    frskd_ckpt = results[('FRSKD', seed)]['checkpoint']
    student_ckpt = osp.join(args.work_dir, 'frskd_student.pth')
    export = [
        sys.executable, 'tools/export_student.py', frskd_ckpt, student_ckpt,
        '--force'
    ]
    run_tool(export, osp.join(args.work_dir, 'export.log'), env)
    inf, identical, images = time_inference(
        args, results[('baseline', seed)]['checkpoint'], student_ckpt,
        frskd_ckpt)
    attention_png = osp.join(args.work_dir, 'attention_maps.png')
    run_tool([
        sys.executable, 'tools/visualization/attention_maps.py', RUNS[1][1],
        frskd_ckpt, *images[:3], '--out', attention_png
    ], osp.join(args.work_dir, 'attention.log'), env)

    print('\n| model | seed | val mIoU | val aAcc | train s/iter | '
          'inference ms/image |')
    print('|---|---|---|---|---|---|')
    for (name, s), r in results.items():
        inf_ms = ''
        if s == seed:
            inf_ms = f"{1000 * inf['baseline' if name == 'baseline' else 'student']:.1f}"  # noqa: E501
        print(f"| {name} | {s} | {r['mIoU']:.2f} | {r['aAcc']:.2f} | "
              f"{r['iter_time']:.3f} | {inf_ms} |")
    if len(args.seeds) > 1:
        for name, _ in RUNS:
            vals = [results[(name, s)]['mIoU'] for s in args.seeds]
            print(f'{name}: mean mIoU {statistics.mean(vals):.2f} '
                  f'(std {statistics.pstdev(vals):.2f}) over seeds '
                  f'{args.seeds}')
    print(f'\nFRSKD inference row = the exported student ({student_ckpt}); '
          'its predictions equal the full FRSKD model\'s: '
          f'{"yes" if identical else "NO"}')
    print(f"inference time ratio student / baseline: "
          f"{inf['student'] / inf['baseline']:.2f}")
    for (name, s), r in results.items():
        print(f'checkpoint {name} seed {s}: {r["checkpoint"]}')
    print(f'exported student: {student_ckpt}')
    print(f'attention maps:   {attention_png}')
    return results

