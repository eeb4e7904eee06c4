"""``tools/toy_experiment.py``, the main job: toy baseline vs toy FRSKD,
same budget and seed, in a few minutes on 2 CPU cores.

What it shows is the mechanism, not a gain: FRSKD trains a student that is
the plain model (the export loads into the baseline config, predicts exactly
what the full FRSKD model predicts and runs as fast as the baseline), and the
self-teacher's attention maps. Whether distillation makes the student more
accurate is measured at 3 seeds on real images by the digits experiment
(``tools/digits_experiment.py``, ``docs/frskd_regimes.md``); the toy's seed
spread is larger than any method difference.

:func:`main` takes the script's arguments and returns the per-run results
(``(method, seed) -> dict``). Trainings run as ``tools/train.py``
subprocesses (:func:`~selfkd_research.experiments.experiment.run_tool`),
side by side, each with a fixed number of threads, their progress on the
console; export
too; inference timing, the identity check and the pictures run in this
process through mmseg's ``init_model`` + ``inference_model``.
"""
import argparse
import glob
import os
import os.path as osp
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from selfkd_research.experiments.experiment import (REPO, last_checkpoint,
                                                    read_run, read_scalars,
                                                    run_tool, say)

RUNS = (('baseline', 'configs/efficientdet_seg/efficientdet-d0_240it_toy.py'),
        ('FRSKD', 'configs/frskd_seg/frskd_efficientdet-d0_240it_toy.py'))
GAIN_EVIDENCE = ('docs/frskd_regimes.md (tools/digits_experiment.py: '
                 '3 seeds on real digit images)')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='The main job: toy baseline vs toy FRSKD, same budget and '
        'seed; exports the student, checks it equals the full model, times '
        'inference and draws pictures.')
    parser.add_argument('--work-dir', default='work_dirs/toy_main')
    parser.add_argument('--data-root', default='data/toy_voc')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument(
        '--max-iters',
        type=int,
        default=None,
        help='training iterations (default: the toy config\'s, 240)')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='threads of each training (OMP_NUM_THREADS) and of the '
        'inference timing. The result depends on it (the order of float '
        'sums changes), not on the machine\'s core count. Default 1')
    parser.add_argument(
        '--jobs',
        type=int,
        default=2,
        help='trainings at a time (default 2: baseline and FRSKD side by '
        'side)')
    parser.add_argument(
        '--inference-images',
        type=int,
        default=16,
        help='val images used to time inference and check the student')
    parser.add_argument(
        '--picture-images',
        type=int,
        default=4,
        help='val images in predictions.png')
    args = parser.parse_args(argv)
    for name in ('threads', 'jobs', 'inference_images', 'picture_images'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    if args.max_iters is not None and args.max_iters < 3:
        parser.error('--max-iters must be >= 3')
    return args


def budget_options(max_iters):
    """``--cfg-options`` that keep the toy recipe's shape at ``max_iters``:
    3 validations, poly decay to the end, one checkpoint at the end (the
    FRSKD distillation schedule follows ``max_iters`` by itself)."""
    if max_iters is None:
        return []
    n = int(max_iters)
    return [
        f'train_cfg.max_iters={n}', f'train_cfg.val_interval={-(-n // 3)}',
        f'param_scheduler.0.end={min(30, n // 3)}',
        f'param_scheduler.1.begin={min(30, n // 3)}',
        f'param_scheduler.1.end={n}', f'default_hooks.checkpoint.interval={n}',
        f'default_hooks.logger.interval={max(1, min(10, n // 6))}'
    ]


def job_env(args) -> dict:
    """The environment of every tool the job starts: the toy data's path
    and the same thread count for every run, whatever the machine's core
    count (the thread count changes the order of float sums, and so the
    result)."""
    return dict(
        os.environ,
        SELFKD_TOY_DATA=osp.abspath(args.data_root),
        OMP_NUM_THREADS=str(args.threads))


def train_one(name, config, seed, args, env):
    tag = f'{name.lower()}_seed{seed}'
    work_dir = osp.join(args.work_dir, tag)
    cmd = [
        sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
        '--cfg-options', f'randomness.seed={seed}',
        *budget_options(args.max_iters)
    ]
    log = osp.join(args.work_dir, f'{tag}.log')
    say(f'[main job] training {name} (seed {seed}), log {log}')
    start = time.perf_counter()
    run_tool(cmd, log, env, progress=f'{name} seed {seed}')
    wall = time.perf_counter() - start
    iter_times, val = read_run(work_dir)
    # the first logged window includes start-up costs
    steady = iter_times[1:] or iter_times
    result = dict(
        work_dir=work_dir,
        checkpoint=last_checkpoint(work_dir),
        mIoU=val.get('mIoU'),
        aAcc=val.get('aAcc'),
        self_teacher_mIoU=val.get('self_teacher/mIoU'),
        iter_time=statistics.median(steady),
        wall=wall)
    say(f'[main job] {name} seed {seed} done in {wall:.0f} s: val mIoU '
        f'{result["mIoU"]:.2f}, aAcc {result["aAcc"]:.2f}')
    return result


def train_all(args, env):
    """Every (method, seed) run, ``args.jobs`` at a time; results in the
    order of :data:`RUNS` per seed."""
    keys = [(name, config, seed) for seed in args.seeds
            for name, config in RUNS]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {
            (name, seed): pool.submit(train_one, name, config, seed, args, env)
            for name, config, seed in keys
        }
        try:
            return {key: future.result() for key, future in futures.items()}
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def val_images(args, count):
    return sorted(
        glob.glob(osp.join(args.data_root, 'JPEGImages', 'val_*.jpg')))[:count]


def compare_models(args, baseline_ckpt, student_ckpt, frskd_ckpt):
    """Inference of baseline vs exported student (mmseg API, timed with
    the package's interleaved timer) and whether the student's logits equal
    the full FRSKD model's on every image. Returns (ms per image, identical,
    images, models)."""
    import torch
    from mmseg.apis import inference_model, init_model

    from selfkd_research.benchmarks.benchmark import interleaved_medians
    cfg_base = osp.join(REPO, RUNS[0][1])
    cfg_frskd = osp.join(REPO, RUNS[1][1])
    images = val_images(args, args.inference_images)
    models = dict(
        baseline=init_model(cfg_base, baseline_ckpt, device='cpu'),
        student=init_model(cfg_base, student_ckpt, device='cpu'),
        full=init_model(cfg_frskd, frskd_ckpt, device='cpu'))
    identical = all(
        torch.equal(
            inference_model(models['student'], img).seg_logits.data,
            inference_model(models['full'], img).seg_logits.data)
        for img in images)

    def over_images(model):
        return lambda: [inference_model(model, img) for img in images]

    seconds = interleaved_medians(
        dict(
            baseline=over_images(models['baseline']),
            student=over_images(models['student'])),
        steps=3,
        warmup=1)
    per_image = {k: 1000 * v / len(images) for k, v in seconds.items()}
    return per_image, identical, images, models


def draw_predictions(args, models, out_file):
    """One PNG: a row per val image, columns input / ground truth /
    baseline / FRSKD student (mmseg's ``SegLocalVisualizer`` colours)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    import torch
    from mmengine.structures import PixelData
    from mmseg.apis import inference_model
    from mmseg.structures import SegDataSample
    from PIL import Image

    from selfkd_seg.apis.inference import paint_prediction, read_image
    images = val_images(args, args.picture_images)
    columns = ('input', 'ground truth', 'baseline', 'FRSKD student')
    fig, axes = plt.subplots(
        len(images), 4, figsize=(8, 2.1 * len(images)), squeeze=False)
    for row, path in enumerate(images):
        image = read_image(path)
        name = osp.splitext(osp.basename(path))[0]
        label = np.array(
            Image.open(
                osp.join(args.data_root, 'SegmentationClass', name + '.png')))
        truth = SegDataSample()
        truth.pred_sem_seg = PixelData(data=torch.from_numpy(label)[None])
        panels = [
            image,
            paint_prediction(models['baseline'], image, truth, opacity=0.8),
            paint_prediction(
                models['baseline'],
                image,
                inference_model(models['baseline'], path),
                opacity=0.8),
            paint_prediction(
                models['student'],
                image,
                inference_model(models['student'], path),
                opacity=0.8)
        ]
        for col, panel in enumerate(panels):
            ax = axes[row][col]
            ax.imshow(panel)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(columns[col], fontsize=9)
        axes[row][0].set_ylabel(name, fontsize=8)
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
    return out_file


def draw_curves(results, seed, out_file):
    """One PNG: the student's training CE loss and the val mIoU of both
    runs against the iteration (from their ``scalars.json``); FRSKD's
    self-teacher mIoU dashed."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, (loss_ax, miou_ax) = plt.subplots(1, 2, figsize=(9, 3.4))
    for (name, s), result in results.items():
        if s != seed:
            continue
        train, val = [], []
        for rec in read_scalars(result['work_dir']):
            if 'mIoU' in rec:
                val.append(
                    (rec['step'], rec['mIoU'], rec.get('self_teacher/mIoU')))
            elif 'decode.loss_ce' in rec:
                train.append((rec['iter'], rec['decode.loss_ce']))
        line, = loss_ax.plot(*zip(*train), label=name)
        miou_ax.plot([v[0] for v in val], [v[1] for v in val],
                     'o-',
                     color=line.get_color(),
                     label=name)
        teacher = [(v[0], v[2]) for v in val if v[2] is not None]
        if teacher:
            miou_ax.plot(
                *zip(*teacher),
                'o--',
                color=line.get_color(),
                alpha=0.6,
                label=f'{name} self-teacher')
    loss_ax.set(xlabel='iteration', ylabel='student CE loss (train)')
    miou_ax.set(xlabel='iteration', ylabel='val mIoU')
    for ax in (loss_ax, miou_ax):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f'toy main job, seed {seed}', fontsize=10)
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
    return out_file


def main(argv=None):
    started = time.perf_counter()
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    env = job_env(args)
    import torch
    torch.set_num_threads(args.threads)
    runs = len(args.seeds) * len(RUNS)
    say(f'[main job] {runs} trainings ({", ".join(n for n, _ in RUNS)} x '
        f'seeds {args.seeds}), {min(args.jobs, runs)} at a time, '
        f'{args.threads} thread(s) each (OMP_NUM_THREADS={args.threads}; '
        f'this machine has {os.cpu_count()} cores)')

    from selfkd_research.synthetic_data.toy_voc import (make_toy_voc,
                                                        toy_voc_is_current)
    if toy_voc_is_current(args.data_root):
        say(f'[main job] toy data: {args.data_root} (up to date)')
    else:
        say(f'[main job] generating toy data in {args.data_root}')
        make_toy_voc(args.data_root)

    results = train_all(args, env)
    say(f'[main job] training done ({time.perf_counter() - started:.0f} s '
        'so far)')

    seed = args.seeds[0]
    frskd_ckpt = results[('FRSKD', seed)]['checkpoint']
    student_ckpt = osp.join(args.work_dir, 'frskd_student.pth')
    say('[main job] exporting the FRSKD student (self-teacher dropped)')
    run_tool([
        sys.executable, 'tools/export_student.py', frskd_ckpt, student_ckpt,
        '--force'
    ],
             osp.join(args.work_dir, 'export.log'),
             env,
             progress='export')
    say('[main job] timing inference, checking the student equals the full '
        'model')
    inf, identical, images, models = compare_models(
        args, results[('baseline', seed)]['checkpoint'], student_ckpt,
        frskd_ckpt)
    say('[main job] drawing pictures')
    from selfkd_seg.analysis import attention
    attention_png = osp.join(args.work_dir, 'attention_maps.png')
    attention.attention_maps(
        RUNS[1][1], frskd_ckpt, images[:3], out=attention_png)
    print(f'wrote {attention_png}')
    predictions_png = draw_predictions(
        args, models, osp.join(args.work_dir, 'predictions.png'))
    curves_png = draw_curves(results, seed,
                             osp.join(args.work_dir, 'curves.png'))

    lines = [
        '', '| model | seed | val mIoU | val aAcc | train s/iter | '
        'inference ms/image |', '|---|---|---|---|---|---|'
    ]
    for (name, s), r in results.items():
        inf_ms = ''
        if s == seed:
            inf_ms = f"{inf['baseline' if name == 'baseline' else 'student']:.1f}"  # noqa: E501
        lines.append(f"| {name} | {s} | {r['mIoU']:.2f} | {r['aAcc']:.2f} | "
                     f"{r['iter_time']:.3f} | {inf_ms} |")
    if len(args.seeds) > 1:
        for name, _ in RUNS:
            vals = [results[(name, s)]['mIoU'] for s in args.seeds]
            lines.append(f'{name}: mean mIoU {statistics.mean(vals):.2f} '
                         f'(std {statistics.pstdev(vals):.2f}) over seeds '
                         f'{args.seeds}')
    lines += [
        '',
        f'FRSKD inference row = the exported student ({student_ckpt}): the '
        'plain baseline config, no self-teacher.',
        'Its predictions equal the full FRSKD model\'s on '
        f'{len(images)} val images: {"yes" if identical else "NO"}',
        'Inference time ratio student / baseline: '
        f"{inf['student'] / inf['baseline']:.2f} ({args.threads} thread(s))",
        'This demo shows the mechanism (a zero-cost student), not a gain: '
        'the toy\'s seed spread exceeds any method difference. Whether '
        f'FRSKD improves the student: {GAIN_EVIDENCE}.', ''
    ]
    for (name, s), r in results.items():
        lines.append(f'checkpoint {name} seed {s}: {r["checkpoint"]}')
    lines += [
        f'exported student: {student_ckpt}',
        f'predictions:      {predictions_png}',
        f'curves:           {curves_png}',
        f'attention maps:   {attention_png}',
        f'[main job] done in {time.perf_counter() - started:.0f} s',
    ]
    say('\n'.join(lines))
    return results
