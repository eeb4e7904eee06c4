"""FRSKD as a plug-in for any mmseg ``EncoderDecoder`` (DeepLabV3+,
SegFormer, BiSeNetV2, ...) or ``CascadeEncoderDecoder`` (OCRNet): the
student stays the unchanged mmseg model."""
from mmseg.models.segmentors import CascadeEncoderDecoder, EncoderDecoder

from selfkd_seg.models.self_teachers import (CascadeHeadRunner, LevelPlan,
                                             SingleHeadRunner)
from selfkd_seg.registry import MODELS
from .frskd_segmentor import FRSKDSegMixin


@MODELS.register_module(codebases='mmseg')
class FRSKDEncoderDecoder(FRSKDSegMixin, EncoderDecoder):
    """FRSKD self-distillation for any mmseg ``EncoderDecoder``.

    `Refine Myself by Teaching Myself: Feature Refinement via Self-Knowledge
    Distillation <https://arxiv.org/abs/2103.08273>`_, generalised beyond the
    EfficientDet-style model of the paper: the student is any mmseg
    encoder-decoder, with its own attribute names (``backbone``, optional
    ``neck``, ``decode_head``, ``auxiliary_head``), so its weights load
    strictly into the stock mmseg config. A config changes only the type and
    adds the self-teacher::

        _base_ = ['mmseg::segformer/'
                  'segformer_mit-b0_8xb2-160k_ade20k-512x512.py']
        model = dict(type='FRSKDEncoderDecoder',
                     self_teacher=dict(in_index=(0, 1, 2, 3), channels=64))

    The self-teacher (:class:`LevelPlan`, training only, under
    ``self_teacher``) reads the levels ``in_index`` of ``extract_feat`` (the
    neck's outputs if the model has a neck, else the backbone's). Their
    channels and sizes come from one no-grad forward of a ``probe_size``
    zero image at build (eval mode, no random numbers drawn, so the
    student's initialisation is the baseline's). It projects each level to
    ``channels`` and refines them with ``num_layers`` layers of
    :class:`WeightedBiFPN` (levels sorted finest first; the first layer's
    1x1 conv + BN adapters are the projection), and predicts with its own
    head. Losses and logged keys: :class:`FRSKDSegMixin`.

    The self-teacher's head (``decode_head``):

    - ``None`` (default): a copy of the student's ``decode_head`` config with
      ``in_index`` remapped to the refined levels and every ``in_channels`` /
      ``*_in_channels`` set to ``channels``. DeepLabV3+'s
      :class:`DepthwiseSeparableASPPHead` also reads ``inputs[0]`` whatever
      ``in_index`` says (its c1 branch, ``c1_in_channels`` > 0): the
      student's level 0. Its copy gets the refined level 0 there: level 0
      is moved first in the self-teacher's levels (``self_teacher.in_index``,
      the order of the refined levels; a message says so), so
      ``in_index=(1, 0, 2, 3)`` works as ``(0, 1, 2, 3)``. At build a
      gradient probe of the student's head (eval mode, no random numbers)
      and of the copy checks that the copy reads the refined versions of
      exactly the levels the student head reads. If the student head reads
      a level outside ``in_index`` (for DeepLabV3+ level 0 counts: add it
      to ``in_index`` for a copy), or the copy would read other levels, or
      it reads only a middle level (then some BiFPN levels would never be
      trained and AT would distil randomly initialised features), an
      aggregation head is used instead and a message says why.
    - ``'aggregate'``: an all-MLP :class:`SegformerHead` over every refined
      level (``channels`` wide).
    - a dict: that head as given (its inputs are the refined levels, in the
      order of ``in_index``, ``channels`` each; a
      :class:`DepthwiseSeparableASPPHead`'s c1 branch reads the first).

    Which refined levels the head reads is found by a gradient probe at
    build; that decides the BiFPN's last layer: the usual bottom-up outputs
    when the head reads the coarsest level, the top-down pass
    (``last_layer_top_down``) when it reads only finer ones including the
    finest. Either way every self-teacher parameter trains.

    Args:
        self_teacher (dict): ``in_index`` (int sequence, default all levels;
            negative indices count from the end), ``channels`` (int, common
            width, default 128), ``num_layers`` (int, default 2, the paper),
            ``norm_cfg`` (default: the student decode head's, e.g. SyncBN),
            ``neck`` (dict, more :class:`WeightedBiFPN` arguments, e.g.
            ``act_cfg``), ``decode_head`` (see above),
            ``last_layer_top_down`` (bool, default: chosen as above),
            ``detach_input`` (bool, default False, see
            :class:`FRSKDSegmentor`), ``probe_size`` (int, side of the probe
            image, default 128).
        distill (dict, optional): As :class:`FRSKDSegmentor`.
        gate (dict, optional): As :class:`FRSKDSegmentor`.
        **kwargs: The student, as :class:`EncoderDecoder`.
    """

    plan = LevelPlan()
    head_runner = SingleHeadRunner()


@MODELS.register_module(codebases='mmseg')
class FRSKDCascadeEncoderDecoder(FRSKDSegMixin, CascadeEncoderDecoder):
    """FRSKD for a cascade of decode heads (mmseg's
    ``CascadeEncoderDecoder`` whose every stage predicts a dense map:
    OCRNet's FCN head + OCR head).

    The student is the unchanged cascade (``num_stages``, a list of
    ``decode_head`` configs), so its weights load strictly into the stock
    config. The self-teacher is :class:`FRSKDEncoderDecoder`'s
    (:class:`LevelPlan`); the stages run as mmseg runs them
    (:class:`CascadeHeadRunner`): the self-teacher's default head copies
    the first stage with the last stage's ``loss_decode``, and pixel KD,
    the CE lead and the gate use the last stage's logits and CE
    (``decode_{num_stages-1}.*``, mmseg's names). With the distillation
    weights at 0 and the same seed the student's losses and BN statistics
    are the baseline's. PointRend is refused at build (its point head gives
    no dense last-stage logits).

    Example (``configs/frskd_mmseg/frskd_ocrnet_r18-tiny_360it_digits.py``)::

        _base_ = ['mmseg::ocrnet/ocrnet_hr18_4xb4-80k_ade20k-512x512.py']
        model = dict(type='FRSKDCascadeEncoderDecoder',
                     self_teacher=dict(in_index=(0, 1, 2, 3), channels=64))
    """

    plan = LevelPlan()
    head_runner = CascadeHeadRunner()
