# What every FRSKD config of configs/frskd_mmseg/ adds besides its model
# block (docs/frskd_any_mmseg_model.md): FRSKD's weight schedule (KD/AT
# weights 0 for 2/3 of the iterations, then ramped to full weight) and the
# self-teacher's val mIoU and lead at every validation, plus window means of
# the lead keys in the logs. Variables, not `custom_hooks`/`log_processor`:
# the zoo configs the FRSKD configs start from already define
# `log_processor`, and mmengine refuses a key two bases define. A config
# lists its baseline and this file and takes what it needs:
#
#   _base_ = ['./segformer_mit-b0_....py', '../_base_/models/frskd_mmseg.py']
#   custom_hooks = _base_.pop('frskd_mmseg_hooks')
frskd_mmseg_hooks = [
    dict(type='DistillWeightScheduleHook', by_epoch=False),
    dict(type='SelfTeacherLeadHook')
]
frskd_mmseg_log_processor = dict(
    mean_pattern=r'.*(loss|time|data_time|grad_norm|ce_lead|gate\.).*')
