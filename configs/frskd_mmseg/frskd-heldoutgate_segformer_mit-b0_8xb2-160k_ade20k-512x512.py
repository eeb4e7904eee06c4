# FRSKD + the held-out lead gate (_base_/models/frskd_held_out_gate.py) on
# frskd_segformer_mit-b0_8xb2-160k_ade20k-512x512.py: the lead is measured on 500 training images held out
# of training (HoldOutSplit) at every validation interval. For an exact
# comparison, train the baseline on the same 'train' part.
_base_ = [
    './frskd_segformer_mit-b0_8xb2-160k_ade20k-512x512.py',
    '../_base_/models/frskd_held_out_gate.py'
]
model = dict(gate=_base_.pop('held_out_gate'))
custom_hooks = _base_.pop('held_out_gate_hooks')
model_wrapper_cfg = _base_.pop('held_out_gate_wrapper')
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='HoldOutSplit',
        hold_out=500,
        part='train',
        dataset={{_base_.train_dataloader.dataset}}))
