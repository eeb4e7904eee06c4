# FRSKD + the held-out lead gate (_base_/models/frskd_held_out_gate.py) on
# frskd_deeplabv3plus_r18-tiny_360it_digits.py: the lead is measured on the 60 training scenes
# that every digits method holds out (_base_/digits_seg_cpu.py), every 1/3
# of the 360 iterations, before the ramp starts.
_base_ = [
    './frskd_deeplabv3plus_r18-tiny_360it_digits.py',
    '../_base_/models/frskd_held_out_gate.py'
]
model = dict(gate=_base_.pop('held_out_gate'))
custom_hooks = _base_.pop('held_out_gate_hooks')
custom_hooks[1]['interval'] = 120
model_wrapper_cfg = _base_.pop('held_out_gate_wrapper')
