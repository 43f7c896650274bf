"""Derives the int8 graphs of SwinFace, and the fp32 calibration graphs they need, from the fp32 structure.

Called by structure.py. It works on the stripped fp32 graphs and their recipes, never on weights: every
new initializer gets a recipe that the C# converter computes from the checkpoint and from statistics it
measures on real faces at conversion (src/SwinFace/Conversion). What becomes int8:

- The backbone's Linear layers (qkv, proj, fc1, fc2, patch merging), exported as MatMul with a weight:
  QuantizeLinear (u8, a static per-tensor scale and zero point from calibration) then MatMulIntegerToFloat
  (com.microsoft) with s8 weights quantized symmetrically per output column, the bias folded in. Static
  scales keep a face's result independent of the other faces in its batch, which a dynamic per-tensor
  range would not.
- A Linear layer fed by a LayerNorm (qkv through the window gather, fc1, the patch merging's reduction)
  gets a per-channel smoothing factor s (SmoothQuant, alpha 0.5): the LayerNorm's weight and bias are
  divided by s and the weight's rows multiplied by s, which is exact in real arithmetic and moves the
  LayerNorm's channel outliers into the weights.
- The FAM branches' split 3x3 convolutions: QuantizeLinear, QLinearConv with s8 weights quantized
  symmetrically per output channel (the VNNI path), DequantizeLinear, all scales from calibration.

What stays fp32: attention's own products, Softmax, LayerNorm, GELU, the patch embedding, the identity
embedding head, the channel attention, the task subnets and the output heads.

The calibration graphs are the fp32 graphs with extra outputs: for every quantized input (and every
convolution output) the minimum and maximum of each channel over the batch and the tokens.
"""
from __future__ import annotations

import copy

import onnx
from onnx import TensorProto, helper, numpy_helper
import numpy as np

MS_DOMAIN = "com.microsoft"
ALPHA = 0.5
# Ops that move tokens but not channels: a LayerNorm's output may reach its Linear layer through them.
TOKEN_OPS = {"Gather", "Reshape"}


class QuantizeError(Exception):
    pass


def _data_less(name: str, elem: int, dims) -> onnx.TensorProto:
    t = TensorProto()
    t.name = name
    t.data_type = elem
    t.dims.extend(int(d) for d in dims)
    return t


def _literal(name: str, array: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(array, name)


def derive(graph_name: str, stripped: onnx.ModelProto, recipes: dict) -> tuple:
    """Returns (int8 model, its recipes, calibration model, statistics, smoothing groups) for one graph.

    `recipes` maps the fp32 graph's weight initializers to their recipes. Statistics are
    {"id", "output_min", "output_max", "channels"}; smoothing groups {"id", "stat", "weight", "alpha"}.
    """
    model = copy.deepcopy(stripped)
    calib = copy.deepcopy(stripped)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    producers = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    prefix = graph_name.replace(".onnx", "")
    new_recipes, stats, groups = [], [], []
    new_inits, new_nodes, drop = [], [], set()
    calib_nodes, calib_outputs = [], []

    def stat(tensor: str, channels: int, axes) -> str:
        """Per-channel minimum and maximum; axes None: over all but the last axis, whatever the rank."""
        sid = f"{prefix}.s{len(stats)}"
        lo, hi = f"calibration/{sid}/min", f"calibration/{sid}/max"
        if axes is None:
            shape = f"calibration/{sid}/shape"
            calib_nodes.append(helper.make_node("Constant", [], [shape], name=f"{sid}/Shape", value=numpy_helper.from_array(np.array([-1, channels], np.int64))))
            calib_nodes.append(helper.make_node("Reshape", [tensor, shape], [f"calibration/{sid}/rows"], name=f"{sid}/Reshape"))
            tensor, axes = f"calibration/{sid}/rows", [0]
        calib_nodes.append(helper.make_node("ReduceMin", [tensor], [lo], name=f"{sid}/ReduceMin", axes=axes, keepdims=0))
        calib_nodes.append(helper.make_node("ReduceMax", [tensor], [hi], name=f"{sid}/ReduceMax", axes=axes, keepdims=0))
        for o in (lo, hi):
            calib_outputs.append(helper.make_tensor_value_info(o, TensorProto.FLOAT, [channels]))
        stats.append({"id": sid, "min": lo, "max": hi, "channels": channels})
        return sid

    def add(t: onnx.TensorProto, recipe: dict | None):
        new_inits.append(t)
        if recipe is not None:
            new_recipes.append({"name": t.name, **recipe})

    def layernorm_before(tensor: str):
        """The LayerNorm whose output reaches `tensor` only through token moves, used by nothing else."""
        while True:
            node = producers.get(tensor)
            if node is None or len(consumers.get(node.output[0], [])) != 1:
                return None
            if node.op_type == "LayerNormalization":
                return node
            if node.op_type not in TOKEN_OPS:
                return None
            tensor = node.input[0]

    for n in g.node:
        if n.op_type == "MatMul" and n.input[1] in recipes and len(inits[n.input[1]].dims) == 2 and "/feature/" not in n.name:
            w = inits[n.input[1]]
            k, cols = w.dims
            x = n.input[0]
            sid = stat(x, k, None)
            smooth = None
            ln = layernorm_before(x)
            if ln is not None and ln.input[1] in recipes and ln.input[2] in recipes:
                smooth = f"{prefix}.g{len(groups)}"
                groups.append({"id": smooth, "stat": sid, "weight": recipes[w.name], "alpha": ALPHA})
                for slot, what in ((1, "weight"), (2, "bias")):
                    old = inits[ln.input[slot]]
                    name = f"{old.name}/smoothed"
                    add(_data_less(name, TensorProto.FLOAT, old.dims), {"op": "smooth_divide", "source": recipes[old.name], "smooth": smooth})
                    drop.add(old.name)
                    ln.input[slot] = name
            base = f"{n.name}/int8"
            add(_data_less(f"{base}/weight", TensorProto.INT8, [k, cols]),
                {"op": "quantize_s8", "output": "values", "axis": 1, "source": recipes[w.name], "smooth": smooth})
            add(_data_less(f"{base}/weight_scale", TensorProto.FLOAT, [cols]),
                {"op": "quantize_s8", "output": "scales", "axis": 1, "source": recipes[w.name], "smooth": smooth})
            add(_literal(f"{base}/weight_zero_point", np.zeros(cols, np.int8)), None)
            add(_data_less(f"{base}/input_scale", TensorProto.FLOAT, []), {"op": "activation_scale", "stat": sid, "smooth": smooth})
            add(_data_less(f"{base}/input_zero_point", TensorProto.UINT8, []), {"op": "activation_zero_point", "stat": sid, "smooth": smooth})
            drop.add(w.name)
            out, bias = n.output[0], None
            after = consumers.get(out, [])
            if len(after) == 1 and after[0].op_type == "Add" and after[0].input[0] in recipes and len(inits[after[0].input[0]].dims) == 1:
                bias = after[0]
                drop.add(id(bias))
            new_nodes.append(helper.make_node("QuantizeLinear", [x, f"{base}/input_scale", f"{base}/input_zero_point"], [f"{base}/input"], name=f"{base}/QuantizeLinear"))
            inputs = [f"{base}/input", f"{base}/weight", f"{base}/input_scale", f"{base}/weight_scale",
                      f"{base}/input_zero_point", f"{base}/weight_zero_point"] + ([bias.input[0]] if bias else [])
            new_nodes.append(helper.make_node("MatMulIntegerToFloat", inputs, [bias.output[0] if bias else out], name=f"{base}/MatMulIntegerToFloat", domain=MS_DOMAIN))
        elif n.op_type == "Conv" and n.input[1] in recipes and len(n.input) == 2:
            w = inits[n.input[1]]
            cout, cin = w.dims[0], w.dims[1]
            x, y = n.input[0], n.output[0]
            sin = stat(x, cin, [0, 2, 3])
            sout = stat(y, cout, [0, 2, 3])
            base = f"{n.name}/int8"
            add(_data_less(f"{base}/weight", TensorProto.INT8, w.dims),
                {"op": "quantize_s8", "output": "values", "axis": 0, "source": recipes[w.name], "smooth": None})
            add(_data_less(f"{base}/weight_scale", TensorProto.FLOAT, [cout]),
                {"op": "quantize_s8", "output": "scales", "axis": 0, "source": recipes[w.name], "smooth": None})
            add(_literal(f"{base}/weight_zero_point", np.zeros(cout, np.int8)), None)
            for which, sid in (("input", sin), ("output", sout)):
                add(_data_less(f"{base}/{which}_scale", TensorProto.FLOAT, []), {"op": "activation_scale", "stat": sid, "smooth": None})
                add(_data_less(f"{base}/{which}_zero_point", TensorProto.UINT8, []), {"op": "activation_zero_point", "stat": sid, "smooth": None})
            drop.add(w.name)
            attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            new_nodes.append(helper.make_node("QuantizeLinear", [x, f"{base}/input_scale", f"{base}/input_zero_point"], [f"{base}/input"], name=f"{base}/QuantizeLinear"))
            new_nodes.append(helper.make_node("QLinearConv", [f"{base}/input", f"{base}/input_scale", f"{base}/input_zero_point", f"{base}/weight",
                                                              f"{base}/weight_scale", f"{base}/weight_zero_point", f"{base}/output_scale",
                                                              f"{base}/output_zero_point"], [f"{base}/output"], name=f"{base}/QLinearConv", **attrs))
            new_nodes.append(helper.make_node("DequantizeLinear", [f"{base}/output", f"{base}/output_scale", f"{base}/output_zero_point"], [y], name=f"{base}/DequantizeLinear"))
        else:
            new_nodes.append(n)

    if not stats:
        raise QuantizeError(f"{graph_name}: nothing to quantize")
    kept = [n for n in new_nodes if id(n) not in drop]
    del g.node[:]
    g.node.extend(kept)
    remaining = [t for t in g.initializer if t.name not in drop]
    del g.initializer[:]
    g.initializer.extend(remaining + new_inits)
    if all(o.domain != MS_DOMAIN for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(MS_DOMAIN, 1))
    kept_recipes = [{"name": name, **r} for name, r in recipes.items() if name not in drop]
    calib.graph.node.extend(calib_nodes)
    calib.graph.output.extend(calib_outputs)
    return model, kept_recipes + new_recipes, calib, stats, groups
