"""The parity and latency tables of an export report, as text."""
import torch


def format_report(report: dict) -> str:
    """The parity and latency tables of :func:`~.job.pytorch2onnx`'s
    report as text (markdown tables)."""
    lines = []
    parity = report.get('parity')
    if parity:
        unit = 'pixels' if report.get('task') == 'seg' else 'images'
        lines.append(f'parity, ONNX Runtime vs PyTorch (tolerance: '
                     f'{parity["atol"]:g} + {parity["rtol"]:g} x max|logit|;'
                     f' argmax >= {100 * parity["min_agreement"]:.1f} %)')
        lines.append(f'| input | output | max abs logit diff | tolerance | '
                     f'argmax agreement ({unit}) | ok |')
        lines.append('|---|---|---|---|---|---|')
        for row in parity['rows']:
            shape = 'x'.join(str(v) for v in row['input_shape'])
            out = 'x'.join(str(v) for v in row['onnx_shape'])
            lines.append(
                f"| {shape} ({row['size']}) | {out} | "
                f"{row['max_abs_diff']:.2e} | {row['tolerance']:.2e} | "
                f"{100 * row['argmax_agreement']:.3f} % of "
                f"{row['units']} | {'yes' if row['passed'] else 'NO'} |")
    latency = report.get('latency')
    if latency:
        shape = 'x'.join(str(v) for v in latency['input_shape'])
        lines.append('')
        lines.append(f"CPU latency, input {shape}, median of "
                     f"{latency['runs']} runs (after {latency['warmup']} "
                     f"warm-up), torch threads {latency['torch_threads']}, "
                     f"ORT intra-op threads {latency['ort_threads']}")
        lines.append('| runtime | ms / batch |')
        lines.append('|---|---|')
        lines.append(f"| PyTorch {torch.__version__} | "
                     f"{latency['pytorch_ms']:.2f} |")
        lines.append(f"| ONNX Runtime {report.get('onnxruntime_version', '')}"
                     f" | {latency['onnxruntime_ms']:.2f} |")
        lines.append(f"speed-up x{latency['speedup']:.2f}")
    return '\n'.join(lines)
