"""ONNX export of the deployable student (:mod:`.onnx_export`)."""
