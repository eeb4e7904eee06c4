"""tools/analysis/benchmark_frskd_mmseg.py (selfkd_seg.apis.
benchmark_frskd_mmseg): one run gives, per family, the self-teacher's size,
the train-step times and the peak memory of baseline and FRSKD."""
import json

import pytest

import selfkd_seg  # noqa: F401
from selfkd_research.benchmarks import benchmark_frskd_mmseg as bench
from selfkd_research.benchmarks.benchmark import REPO


def test_one_run_measures_time_and_memory_of_both_models(tmp_path, capsys):
    out = tmp_path / 'bench.json'
    rows = bench.main([
        '--scale', 'tiny', '--families', 'segformer', '--size', '32', '32',
        '--steps', '1', '--warmup', '0', '--json',
        str(out)
    ])
    (row, ) = rows
    assert row['frskd_config'] == 'frskd_segformer_mit-tiny_360it_digits.py'
    assert row['self_teacher_params'] > 0 and row['student_params'] > 0
    assert row['baseline_s'] > 0 and row['frskd_s'] > 0
    assert row['time_ratio'] == pytest.approx(row['frskd_s'] /
                                              row['baseline_s'])
    # CPU memory: each model in its own process, at least its weights
    assert row['baseline_peak_bytes'] >= 4 * row['student_params']
    assert row['frskd_peak_bytes'] >= 4 * (
        row['student_params'] + row['self_teacher_params'])
    assert row['memory'].startswith('CPU')
    printed = capsys.readouterr().out
    assert 'CPU, ' in printed and 'segformer' in printed
    saved = json.loads(out.read_text())
    assert saved['rows'][0]['family'] == 'segformer'
    assert saved['device'].startswith('CPU')


def test_the_pairs_are_baseline_and_frskd_configs_of_one_model():
    from mmengine.config import Config
    for scale, families in bench.FAMILIES.items():
        for name, (baseline, frskd) in families.items():
            assert frskd == 'frskd_' + baseline, (scale, name)
            cfg = Config.fromfile(f'{REPO}/configs/frskd_mmseg/{frskd}')
            assert cfg.model.type == ('FRSKDCascadeEncoderDecoder' if name
                                      == 'ocrnet' else 'FRSKDEncoderDecoder')
