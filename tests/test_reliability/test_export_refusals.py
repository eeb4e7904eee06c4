"""``export_student`` never replaces its input, nor any file without
--force."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from selfkd_seg.apis import export_student_checkpoint

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture
def training_ckpt(tmp_path):
    path = str(tmp_path / 'iter_6.pth')
    torch.save(
        dict(
            meta=dict(iter=6),
            state_dict={
                'backbone.w': torch.ones(2),
                'self_teacher.w': torch.zeros(3)
            },
            optimizer=dict(state={})), path)
    return path


def _read(path):
    with open(path, 'rb') as f:
        return f.read()


def test_export_into_its_input_is_refused_and_keeps_it(training_ckpt):
    before = _read(training_ckpt)
    with pytest.raises(ValueError, match='into the input checkpoint'):
        export_student_checkpoint(training_ckpt, training_ckpt)
    # the same file by another name (a symlink) is the input, too
    link = training_ckpt + '.link.pth'
    os.symlink(training_ckpt, link)
    with pytest.raises(ValueError, match='into the input checkpoint'):
        export_student_checkpoint(training_ckpt, link, force=True)
    assert _read(training_ckpt) == before


def test_existing_output_needs_force(training_ckpt, tmp_path):
    out = str(tmp_path / 'student.pth')
    export_student_checkpoint(training_ckpt, out)
    with pytest.raises(FileExistsError, match=r'student\.pth.*--force'):
        export_student_checkpoint(training_ckpt, out)
    summary = export_student_checkpoint(training_ckpt, out, force=True)
    assert summary['kept_keys'] == 1
    assert list(torch.load(out,
                           weights_only=True)['state_dict']) == ['backbone.w']


def test_cli_refuses_in_in_with_a_message(training_ckpt):
    before = _read(training_ckpt)
    proc = subprocess.run([
        sys.executable, 'tools/export_student.py', training_ckpt,
        training_ckpt, '--force'
    ],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert 'into the input checkpoint' in proc.stderr
    assert 'Traceback' not in proc.stderr
    assert _read(training_ckpt) == before
