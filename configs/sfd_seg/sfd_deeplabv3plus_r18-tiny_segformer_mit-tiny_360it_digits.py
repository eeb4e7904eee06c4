# SFD for segmentation between two mmseg models given by their configs
# (docs/frskd_any_mmseg_model.md): the student is
# segformer_mit-tiny_360it_digits.py, unchanged; the frozen teacher is the model of
# deeplabv3plus_r18-tiny_360it_digits.py, loaded from SELFKD_DIGITS_TEACHER (a
# checkpoint of that config). The student's MiT levels 1..3 (1/8..1/32) are
# integrated (receptive-field integration, SFD) onto the teacher's dilated C5
# (1/8) and pulled to max(teacher, margin) with the Overhaul margin loss.
_base_ = ['../frskd_mmseg/segformer_mit-tiny_360it_digits.py']
model = dict(
    type='SFDSegmentor',
    teacher='configs/frskd_mmseg/deeplabv3plus_r18-tiny_360it_digits.py',
    teacher_ckpt=
    '{{$SELFKD_DIGITS_TEACHER:work_dirs/digits/deeplabv3plus_teacher.pth}}',  # noqa
    # SFDSegmentor's defaults: ReceptiveFieldIntegration, OFDLoss (weight
    # 3) to max(teacher, running margin)
    distill=dict(student_stages=(3, 2, 1), teacher_stages=(3, )))
