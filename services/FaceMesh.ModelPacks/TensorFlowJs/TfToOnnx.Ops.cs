using FaceMesh.ModelPacks.Onnx;

namespace FaceMesh.ModelPacks.TensorFlowJs;

public sealed partial class TfToOnnx
{
    /// <summary>The TensorFlow ops the importer translates.</summary>
    public static readonly IReadOnlyList<string> SupportedOps =
    [
        "Abs", "Add", "AddV2", "AvgPool", "BiasAdd", "ConcatV2", "Const", "Conv2D", "DepthToSpace", "DepthwiseConv2dNative",
        "Elu", "Exp", "FusedDepthwiseConv2dNative", "Identity", "LeakyRelu", "MatMul", "MaxPool", "Maximum", "Mean",
        "Minimum", "Mul", "Neg", "Pack", "Pad", "PadV2", "Placeholder", "Prelu", "RealDiv", "Relu", "Relu6", "Reshape",
        "ResizeBilinear", "Rsqrt", "Shape", "Sigmoid", "Softmax", "Sqrt", "Square", "Squeeze", "StridedSlice", "Sub", "Sum",
        "Tanh", "_FusedConv2D", "_FusedMatMul",
    ];

    private Value Translate(TfNode n) => n.Op switch
    {
        "Placeholder" => Placeholder(n),
        "Const" => ConstantValue(_graph.Constants.TryGetValue(n.Name, out var c) ? c : throw new ArgumentException("the constant has no value")),
        "Identity" => In(n, 0),
        "Conv2D" => Convolution(n, depthwise: false, fused: false),
        "_FusedConv2D" => Convolution(n, depthwise: false, fused: true),
        "DepthwiseConv2dNative" => Convolution(n, depthwise: true, fused: false),
        "FusedDepthwiseConv2dNative" => Convolution(n, depthwise: true, fused: true),
        "MatMul" => MatMul(n, fused: false),
        "_FusedMatMul" => MatMul(n, fused: true),
        "BiasAdd" => Binary(n, "Add"),
        "Add" or "AddV2" => Binary(n, "Add"),
        "Sub" => Binary(n, "Sub"),
        "Mul" => Binary(n, "Mul"),
        "RealDiv" => Binary(n, "Div"),
        "Minimum" => Binary(n, "Min"),
        "Maximum" => Binary(n, "Max"),
        "Prelu" => Binary(n, "PRelu"),
        "Relu" or "Relu6" or "Sigmoid" or "Tanh" or "Elu" or "LeakyRelu" => Activation(n, n.Op, In(n, 0), alpha: null),
        "Abs" => Unary(n, "Abs"),
        "Neg" => Unary(n, "Neg"),
        "Exp" => Unary(n, "Exp"),
        "Sqrt" => Unary(n, "Sqrt"),
        "Square" => Square(n),
        "Rsqrt" => Rsqrt(n),
        "Sum" => Reduce(n, "ReduceSum"),
        "Mean" => Reduce(n, "ReduceMean"),
        "Squeeze" => Squeeze(n),
        "Reshape" => Reshape(n),
        "ConcatV2" => Concat(n),
        "Pad" or "PadV2" => Pad(n),
        "MaxPool" => Pool(n, "MaxPool"),
        "AvgPool" => Pool(n, "AveragePool"),
        "DepthToSpace" => DepthToSpace(n),
        "ResizeBilinear" => ResizeBilinear(n),
        "Softmax" => Softmax(n),
        "Shape" => ConstantValue(ConstantFolding.Shape(In(n, 0).Shape)),
        "StridedSlice" => StridedSlice(n),
        "Pack" => ConstantValue(ConstantFolding.Pack(n.Inputs.Select((_, i) => ConstIn(n, i, "value")).ToArray(), (int)n.Int("axis"))),
        _ => throw new UnsupportedOpException(_graph.Source, n.Name, n.Op),
    };

    private Value Placeholder(TfNode n)
    {
        var shape = _graph.Inputs.First(i => i.Name == n.Name).Shape;
        if (shape.Length == 0 || shape.Skip(1).Any(d => d < 0))
            throw new ArgumentException($"the input's shape [{string.Join(",", shape)}] has unknown dimensions beyond the batch; only the batch may vary");
        if (_options.AnySpatialSize && shape.Length != 4)
            throw new ArgumentException($"an any-size import needs a 4-D NHWC input, not [{string.Join(",", shape)}]");
        _onnx.Input(n.Name, shape.Select((d, i) => i == 0 && d < 0 ? "batch"
            : _options.AnySpatialSize && i is 1 or 2 ? (i == 1 ? "height" : "width") : (object)d).ToArray());
        return NativeValue(n.Name, shape.Select(d => (int)d).ToArray());
    }

    private static void RequireNhwc(TfNode n)
    {
        if (n.String("data_format") is { } format && format != "NHWC")
            throw new ArgumentException($"data_format {format}: only NHWC graphs are translated");
    }

    private static (int H, int W) Pair(TfNode n, string attribute, int fallback)
    {
        var v = n.Ints(attribute);
        if (v.Count == 0)
            return (fallback, fallback);
        if (v.Count != 4 || v[0] != 1 || v[3] != 1)
            throw new ArgumentException($"{attribute} [{string.Join(",", v)}] acts on the batch or channel axis");
        return ((int)v[1], (int)v[2]);
    }

    /// <summary>
    /// Output size and pads of one spatial axis. SAME: output ⌈in / stride⌉, and the total padding split with
    /// the smaller half before (TensorFlow puts the odd pixel after: bottom, right).
    /// </summary>
    private static (int Out, int Before, int After) Padding(string padding, int input, int kernel, int stride, int dilation, (int, int)? explicitPads = null)
    {
        int effective = (kernel - 1) * dilation + 1;
        switch (padding)
        {
            case "VALID":
                return ((input - effective) / stride + 1, 0, 0);
            case "SAME":
                {
                    int output = (input + stride - 1) / stride;
                    int total = Math.Max((output - 1) * stride + effective - input, 0);
                    return (output, total / 2, total - total / 2);
                }
            case "EXPLICIT" when explicitPads is { } p:
                return ((input + p.Item1 + p.Item2 - effective) / stride + 1, p.Item1, p.Item2);
            default:
                throw new ArgumentException($"padding '{padding}' is not translated (SAME, VALID and EXPLICIT are)");
        }
    }

    private Value Convolution(TfNode n, bool depthwise, bool fused)
    {
        RequireNhwc(n);
        var x = In(n, 0);
        var filter = ConstIn(n, 1, "filter");
        if (x.Rank != 4 || filter.Rank != 4)
            throw new ArgumentException("only 2-D convolutions of 4-D tensors are translated");
        var (sh, sw) = Pair(n, "strides", 1);
        var (dh, dw) = Pair(n, "dilations", 1);
        int kh = filter.Shape[0], kw = filter.Shape[1], cin = filter.Shape[2], k3 = filter.Shape[3];
        if (x.Shape[3] != cin)
            throw new ArgumentException($"the input has {x.Shape[3]} channels, the filter expects {cin} (grouped convolutions are not translated)");
        string padding = n.String("padding") ?? "VALID";
        var explicitPads = n.Ints("explicit_paddings");
        (int, int)? PadsOf(int axis) => explicitPads.Count == 8 ? ((int)explicitPads[2 * axis], (int)explicitPads[2 * axis + 1]) : null;
        var rows = Padding(padding, x.Shape[1], kh, sh, dh, PadsOf(1));
        var cols = Padding(padding, x.Shape[2], kw, sw, dw, PadsOf(2));
        int cout = depthwise ? cin * k3 : k3;

        // ONNX weights: Conv2D HWIO → OIHW; depthwise H,W,C,M → (C·M),1,H,W with one group per input channel,
        // output channel c·M + m as in TensorFlow.
        var weights = depthwise
            ? ConstantFolding.Transpose(filter, [2, 3, 0, 1])
            : ConstantFolding.Transpose(filter, [3, 2, 0, 1]);
        var w = FloatInitializer($"{n.Name}/weights", weights.Floats, cout, depthwise ? 1 : cin, kh, kw);
        var inputs = new List<string> { ChannelsFirst(x), w };

        var fusedOps = fused ? n.Strings("fused_ops") : [];
        int args = 2;
        if (fusedOps.Count > 0)
        {
            if (fusedOps[0] != "BiasAdd")
                throw new ArgumentException($"fused ops [{string.Join(", ", fusedOps)}]: only BiasAdd with an optional activation are translated");
            var bias = ConstIn(n, args++, "bias");
            inputs.Add(FloatInitializer($"{n.Name}/bias", bias.Floats, cout));
        }
        var y = _onnx.Node("Conv", n.Name, inputs,
            OnnxGraphBuilder.Ints("kernel_shape", [kh, kw]),
            OnnxGraphBuilder.Ints("strides", [sh, sw]),
            OnnxGraphBuilder.Ints("dilations", [dh, dw]),
            OnnxGraphBuilder.Ints("pads", [rows.Before, cols.Before, rows.After, cols.After]),
            OnnxGraphBuilder.Int("group", depthwise ? cin : 1));
        var result = ChannelsFirstValue(y, [x.Shape[0], rows.Out, cols.Out, cout]);
        return FusedActivation(n, fusedOps, result, args);
    }

    /// <summary>The activation after a fused BiasAdd (Relu, Relu6, Prelu, LeakyRelu, Elu, Sigmoid, Tanh).</summary>
    private Value FusedActivation(TfNode n, IReadOnlyList<string> fusedOps, Value result, int nextArg)
    {
        if (fusedOps.Count <= 1)
            return result;
        if (fusedOps.Count > 2)
            throw new ArgumentException($"fused ops [{string.Join(", ", fusedOps)}]: at most one activation after BiasAdd is translated");
        Value? alpha = fusedOps[1] == "Prelu" ? In(n, nextArg) : null;
        return Activation(n, fusedOps[1], result, alpha);
    }

    private Value Activation(TfNode n, string kind, Value x, Value? alpha)
    {
        if (x.Constant is { } c && kind is "Relu" or "Sigmoid")
            return ConstantValue(ConstantFolding.Unary(kind, c));
        bool cf = x.PrefersChannelsFirst;
        string input = cf ? ChannelsFirst(x) : Native(x);
        string y = kind switch
        {
            "Relu" => _onnx.Node("Relu", n.Name, [input]),
            "Relu6" => _onnx.Node("Clip", n.Name, [input, FloatInitializer("zero", [0f]), FloatInitializer("six", [6f])]),
            "Sigmoid" => _onnx.Node("Sigmoid", n.Name, [input]),
            "Tanh" => _onnx.Node("Tanh", n.Name, [input]),
            "Elu" => _onnx.Node("Elu", n.Name, [input], OnnxGraphBuilder.Float("alpha", 1f)),
            "LeakyRelu" => _onnx.Node("LeakyRelu", n.Name, [input], OnnxGraphBuilder.Float("alpha", n.Float("alpha", n.Float("leakyrelu_alpha", 0.2f)))),
            "Prelu" => _onnx.Node("PRelu", n.Name, [input, Operand(alpha!, x.Rank, cf)]),
            _ => throw new ArgumentException($"the activation '{kind}' is not translated"),
        };
        return cf ? ChannelsFirstValue(y, x.Shape) : NativeValue(y, x.Shape);
    }

    private Value Binary(TfNode n, string onnxOp)
    {
        var a = In(n, 0);
        var b = In(n, 1);
        if (a.Constant is { } ca && b.Constant is { } cb && onnxOp != "PRelu")
            return ConstantValue(ConstantFolding.Binary(n.Op == "BiasAdd" ? "Add" : n.Op, ca, cb));
        if (n.Op == "BiasAdd")
            RequireNhwc(n);
        var shape = ConstantFolding.Broadcast(a.Shape, b.Shape);
        bool cf = shape.Length == 4 && (a.PrefersChannelsFirst || b.PrefersChannelsFirst);
        var y = _onnx.Node(onnxOp, n.Name, [Operand(a, shape.Length, cf), Operand(b, shape.Length, cf)]);
        return cf ? ChannelsFirstValue(y, shape) : NativeValue(y, shape);
    }

    private Value Unary(TfNode n, string onnxOp)
    {
        var x = In(n, 0);
        if (x.Constant is { } c)
            return ConstantValue(ConstantFolding.Unary(n.Op, c));
        bool cf = x.PrefersChannelsFirst;
        var y = _onnx.Node(onnxOp, n.Name, [cf ? ChannelsFirst(x) : Native(x)]);
        return cf ? ChannelsFirstValue(y, x.Shape) : NativeValue(y, x.Shape);
    }

    private Value Square(TfNode n)
    {
        var x = In(n, 0);
        if (x.Constant is { } c)
            return ConstantValue(ConstantFolding.Unary("Square", c));
        bool cf = x.PrefersChannelsFirst;
        var input = cf ? ChannelsFirst(x) : Native(x);
        var y = _onnx.Node("Mul", n.Name, [input, input]);
        return cf ? ChannelsFirstValue(y, x.Shape) : NativeValue(y, x.Shape);
    }

    /// <summary>ONNX has no Rsqrt: 1 / √x.</summary>
    private Value Rsqrt(TfNode n)
    {
        var x = In(n, 0);
        if (x.Constant is { } c)
            return ConstantValue(ConstantFolding.Unary("Rsqrt", c));
        bool cf = x.PrefersChannelsFirst;
        var root = _onnx.Node("Sqrt", n.Name, [cf ? ChannelsFirst(x) : Native(x)]);
        var y = _onnx.Node("Reciprocal", n.Name, [root]);
        return cf ? ChannelsFirstValue(y, x.Shape) : NativeValue(y, x.Shape);
    }

    private Value MatMul(TfNode n, bool fused)
    {
        var a = In(n, 0);
        var b = In(n, 1);
        if (a.Rank != 2 || b.Rank != 2)
            throw new ArgumentException("only MatMul of two matrices is translated");
        string left = Native(a);
        if (n.Bool("transpose_a"))
            left = _onnx.Node("Transpose", n.Name, [left], OnnxGraphBuilder.Ints("perm", [1, 0]));
        string right;
        int columns;
        if (b.Constant is { } cb)
        {
            var matrix = n.Bool("transpose_b") ? ConstantFolding.Transpose(cb, [1, 0]) : cb;
            right = FloatInitializer($"{n.Name}/weights", matrix.Floats, matrix.Shape[0], matrix.Shape[1]);
            columns = matrix.Shape[1];
        }
        else
        {
            right = Native(b);
            if (n.Bool("transpose_b"))
                right = _onnx.Node("Transpose", n.Name, [right], OnnxGraphBuilder.Ints("perm", [1, 0]));
            columns = n.Bool("transpose_b") ? b.Shape[0] : b.Shape[1];
        }
        int rows = n.Bool("transpose_a") ? a.Shape[1] : a.Shape[0];
        var y = _onnx.Node("MatMul", n.Name, [left, right]);
        var fusedOps = fused ? n.Strings("fused_ops") : [];
        if (fusedOps.Count > 0)
        {
            if (fusedOps[0] != "BiasAdd")
                throw new ArgumentException($"fused ops [{string.Join(", ", fusedOps)}]: only BiasAdd with an optional activation are translated");
            var bias = ConstIn(n, 2, "bias");
            y = _onnx.Node("Add", n.Name, [y, FloatInitializer($"{n.Name}/bias", bias.Floats, columns)]);
        }
        return FusedActivation(n, fusedOps, NativeValue(y, [rows, columns]), 3);
    }

    /// <summary>
    /// Whether dropping <paramref name="removed"/> axes of a channels-first 4-D value leaves its remaining axes
    /// in TensorFlow's order (so the result, no longer 4-D, is already in TensorFlow's layout).
    /// </summary>
    private static bool KeepsOrder(IReadOnlyCollection<int> removed)
    {
        var kept = Enumerable.Range(0, 4).Where(a => !removed.Contains(a)).ToArray();
        var inChannelsFirstOrder = kept.OrderBy(a => TfToChannelsFirst[a]).ToArray();
        return kept.SequenceEqual(inChannelsFirstOrder);
    }

    private Value Reduce(TfNode n, string onnxOp)
    {
        var x = In(n, 0);
        var axes = ConstIn(n, 1, "axis").AsInts().Select(a => NormalizeAxis(a, x.Rank)).Distinct().Order().ToArray();
        bool keep = n.Bool("keep_dims");
        var shape = keep
            ? x.Shape.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray()
            : x.Shape.Where((_, i) => !axes.Contains(i)).ToArray();
        bool cf = x.PrefersChannelsFirst && (keep || KeepsOrder(axes));
        var input = cf ? ChannelsFirst(x) : Native(x);
        var onnxAxes = (cf ? axes.Select(a => TfToChannelsFirst[a]).Order().ToArray() : axes).Select(a => (long)a).ToArray();
        // Opset 17: ReduceSum takes its axes as an input, ReduceMean as an attribute.
        var y = onnxOp == "ReduceSum"
            ? _onnx.Node(onnxOp, n.Name, [input, _onnx.Int64Vector("axes", onnxAxes)], OnnxGraphBuilder.Int("keepdims", keep ? 1 : 0))
            : _onnx.Node(onnxOp, n.Name, [input], OnnxGraphBuilder.Ints("axes", onnxAxes), OnnxGraphBuilder.Int("keepdims", keep ? 1 : 0));
        return cf && keep ? ChannelsFirstValue(y, shape) : NativeValue(y, shape);
    }

    private Value Squeeze(TfNode n)
    {
        var x = In(n, 0);
        var dims = n.Ints("squeeze_dims").Concat(n.Ints("axis")).Select(a => NormalizeAxis((int)a, x.Rank)).Distinct().Order().ToArray();
        if (dims.Length == 0)
            dims = x.Shape.Select((d, i) => (d, i)).Where(p => p.d == 1).Select(p => p.i).ToArray();
        foreach (var d in dims)
            if (x.Shape[d] != 1)
                throw new ArgumentException($"axis {d} has size {x.Shape[d]}, not 1, and cannot be squeezed");
        var shape = x.Shape.Where((_, i) => !dims.Contains(i)).ToArray();
        if (x.Constant is { } c)
            return ConstantValue(ConstantFolding.Reshape(c, shape));
        bool cf = x.PrefersChannelsFirst && KeepsOrder(dims);
        var onnxAxes = (cf ? dims.Select(a => TfToChannelsFirst[a]).Order().ToArray() : dims).Select(a => (long)a).ToArray();
        var y = _onnx.Node("Squeeze", n.Name, [cf ? ChannelsFirst(x) : Native(x), _onnx.Int64Vector("axes", onnxAxes)]);
        return NativeValue(y, shape);
    }

    /// <summary>
    /// Reshape to a constant shape. A target dimension that Shape folded from the unknown batch becomes ONNX's 0
    /// ("copy the input's dimension"), so the converted model takes any batch as the graph did.
    /// </summary>
    private Value Reshape(TfNode n)
    {
        var x = In(n, 0);
        var target = ConstIn(n, 1, "shape").AsInts();
        for (int i = 0; i < target.Length; i++)
            if (target[i] == ConstantFolding.UnknownDimension && !(i == 0 && x.Shape[0] == -1))
                throw new ArgumentException("the target shape uses the batch size somewhere other than the batch axis");
        if (target.Count(d => d == -1) > 1)
            throw new ArgumentException($"the target shape [{string.Join(",", target)}] has more than one dimension to infer");
        var shape = target.Select(d => d == ConstantFolding.UnknownDimension ? -1 : d).ToArray();
        int inferred = Array.IndexOf(target, -1);
        if (inferred >= 0)
        {
            // With the batch copied (or none unknown), the inferred dimension is fixed by the other dimensions.
            bool batchCopied = target.Length > 0 && target[0] == ConstantFolding.UnknownDimension;
            int known = target.Where((d, i) => d != -1 && !(batchCopied && i == 0)).Aggregate(1, (p, d) => p * d);
            int count = x.Shape.Where((d, i) => !(batchCopied && i == 0)).Aggregate(1, (p, d) => p * d);
            if (count > 0 && known > 0)
                shape[inferred] = count / known;
        }
        if (x.Constant is { } c)
            return ConstantValue(ConstantFolding.Reshape(c, shape));
        var onnxShape = target.Select(d => d == ConstantFolding.UnknownDimension ? 0L : d).ToArray();
        if (_options.AnySpatialSize && x.Rank == 4)
        {
            // [N, H, W, C] → [N, H·W·k, C/k]: the dimension after the batch holds the spatial extent.
            if (onnxShape.Length != 3 || onnxShape[0] != 0 || shape[1] % (x.Shape[1] * x.Shape[2]) != 0)
                throw new ArgumentException($"an any-size import flattens [N, H, W, C] to [N, H·W·k, C/k] only, not to [{string.Join(",", target)}]");
            onnxShape[1] = -1;
        }
        var y = _onnx.Node("Reshape", n.Name, [Native(x), _onnx.Int64Vector($"{n.Name}/shape", onnxShape)]);
        return NativeValue(y, shape);
    }

    private Value Concat(TfNode n)
    {
        int count = n.Inputs.Count - 1;
        var parts = Enumerable.Range(0, count).Select(i => In(n, i)).ToArray();
        int rank = parts[0].Rank;
        int axis = NormalizeAxis(ConstIn(n, count, "axis").AsInts()[0], rank);
        if (parts.All(p => p.Constant is not null))
            return ConstantValue(ConstantFolding.Concat(parts.Select(p => p.Constant!).ToArray(), axis));
        var shape = parts[0].Shape.ToArray();
        shape[axis] = parts.Any(p => p.Shape[axis] < 0) ? -1 : parts.Sum(p => p.Shape[axis]);
        bool cf = rank == 4 && parts.Any(p => p.PrefersChannelsFirst);
        var y = _onnx.Node("Concat", n.Name, parts.Select(p => cf ? ChannelsFirst(p) : Native(p)),
            OnnxGraphBuilder.Int("axis", cf ? TfToChannelsFirst[axis] : axis));
        return cf ? ChannelsFirstValue(y, shape) : NativeValue(y, shape);
    }

    private Value Pad(TfNode n)
    {
        var x = In(n, 0);
        var paddings = ConstIn(n, 1, "paddings").AsInts();
        if (paddings.Length != 2 * x.Rank)
            throw new ArgumentException($"{paddings.Length / 2} padding pairs for a {x.Rank}-D tensor");
        float fill = n.Inputs.Count > 2 ? ConstIn(n, 2, "fill value").AsFloats()[0] : 0f;
        var shape = x.Shape.Select((d, i) => d < 0 ? d : d + paddings[2 * i] + paddings[2 * i + 1]).ToArray();
        bool cf = x.PrefersChannelsFirst;
        // ONNX pads: every axis's start, then every axis's end, in the layout of the tensor padded.
        var order = cf ? new[] { 0, 3, 1, 2 } : Enumerable.Range(0, x.Rank).ToArray();
        var pads = order.Select(a => (long)paddings[2 * a]).Concat(order.Select(a => (long)paddings[2 * a + 1])).ToArray();
        var y = _onnx.Node("Pad", n.Name, [cf ? ChannelsFirst(x) : Native(x), _onnx.Int64Vector($"{n.Name}/pads", pads), FloatInitializer("fill", [fill])],
            OnnxGraphBuilder.String("mode", "constant"));
        return cf ? ChannelsFirstValue(y, shape) : NativeValue(y, shape);
    }

    private Value Pool(TfNode n, string onnxOp)
    {
        RequireNhwc(n);
        var x = In(n, 0);
        if (x.Rank != 4)
            throw new ArgumentException("only 2-D pooling of 4-D tensors is translated");
        var (kh, kw) = Pair(n, "ksize", 1);
        var (sh, sw) = Pair(n, "strides", 1);
        string padding = n.String("padding") ?? "VALID";
        var rows = Padding(padding, x.Shape[1], kh, sh, 1);
        var cols = Padding(padding, x.Shape[2], kw, sw, 1);
        var attributes = new List<AttributeProto>
        {
            OnnxGraphBuilder.Ints("kernel_shape", [kh, kw]),
            OnnxGraphBuilder.Ints("strides", [sh, sw]),
            OnnxGraphBuilder.Ints("pads", [rows.Before, cols.Before, rows.After, cols.After]),
        };
        if (onnxOp == "AveragePool")
            attributes.Add(OnnxGraphBuilder.Int("count_include_pad", 0)); // TensorFlow averages over the real pixels only
        var y = _onnx.Node(onnxOp, n.Name, [ChannelsFirst(x)], attributes.ToArray());
        return ChannelsFirstValue(y, [x.Shape[0], rows.Out, cols.Out, x.Shape[3]]);
    }

    /// <summary>TensorFlow's DepthToSpace (NHWC) is ONNX's in "DCR" order: depth index (i·b + j)·C + c.</summary>
    private Value DepthToSpace(TfNode n)
    {
        RequireNhwc(n);
        var x = In(n, 0);
        int b = (int)n.Int("block_size");
        if (x.Rank != 4 || b < 2 || x.Shape[3] % (b * b) != 0)
            throw new ArgumentException($"block size {b} does not divide {x.Shape[3]} channels");
        var y = _onnx.Node("DepthToSpace", n.Name, [ChannelsFirst(x)], OnnxGraphBuilder.Int("blocksize", b), OnnxGraphBuilder.String("mode", "DCR"));
        return ChannelsFirstValue(y, [x.Shape[0], x.Shape[1] * b, x.Shape[2] * b, x.Shape[3] / (b * b)]);
    }

    /// <summary>
    /// ResizeBilinear to a constant size. ONNX Resize's "sizes" include the batch, which is known only at run
    /// time, so they are made from the input's shape; the coordinate mapping follows the node's attributes.
    /// </summary>
    private Value ResizeBilinear(TfNode n)
    {
        var x = In(n, 0);
        var size = ConstIn(n, 1, "size").AsInts();
        if (x.Rank != 4 || size.Length != 2)
            throw new ArgumentException("only the resizing of 4-D tensors to a 2-D size is translated");
        bool alignCorners = n.Bool("align_corners"), halfPixel = n.Bool("half_pixel_centers");
        if (alignCorners && halfPixel)
            throw new ArgumentException("align_corners and half_pixel_centers are both set");
        var input = ChannelsFirst(x);
        string transform = alignCorners ? "align_corners" : halfPixel ? "half_pixel" : "asymmetric";
        if (_options.AnySpatialSize)
        {
            if (size[0] % x.Shape[1] != 0 || size[1] % x.Shape[2] != 0)
                throw new ArgumentException($"an any-size import resizes by integer factors only, not {x.Shape[1]}×{x.Shape[2]} to {size[0]}×{size[1]}");
            var scales = _onnx.Initializer($"{n.Name}/scales", [1f, 1f, size[0] / x.Shape[1], size[1] / x.Shape[2]], [4]);
            var scaled = _onnx.Node("Resize", n.Name, [input, "", scales],
                OnnxGraphBuilder.String("mode", "linear"), OnnxGraphBuilder.String("coordinate_transformation_mode", transform));
            return ChannelsFirstValue(scaled, [x.Shape[0], size[0], size[1], x.Shape[3]]);
        }
        var shape = _onnx.Node("Shape", n.Name, [input]);
        var batchAndChannels = _onnx.Node("Slice", n.Name, [shape, _onnx.Int64Vector("zero", 0), _onnx.Int64Vector("two", 2)]);
        var sizes = _onnx.Node("Concat", n.Name, [batchAndChannels, _onnx.Int64Vector($"{n.Name}/size", size[0], size[1])], OnnxGraphBuilder.Int("axis", 0));
        var y = _onnx.Node("Resize", n.Name, [input, "", "", sizes],
            OnnxGraphBuilder.String("mode", "linear"),
            OnnxGraphBuilder.String("coordinate_transformation_mode", transform));
        return ChannelsFirstValue(y, [x.Shape[0], size[0], size[1], x.Shape[3]]);
    }

    private Value Softmax(TfNode n)
    {
        var x = In(n, 0);
        bool cf = x.PrefersChannelsFirst;
        var y = _onnx.Node("Softmax", n.Name, [cf ? ChannelsFirst(x) : Native(x)], OnnxGraphBuilder.Int("axis", cf ? 1 : -1));
        return cf ? ChannelsFirstValue(y, x.Shape) : NativeValue(y, x.Shape);
    }

    private Value StridedSlice(TfNode n)
    {
        var input = ConstIn(n, 0, "input");
        if (n.Int("ellipsis_mask") != 0 || n.Int("new_axis_mask") != 0)
            throw new ArgumentException("ellipsis and new-axis masks are not translated");
        var begin = ConstIn(n, 1, "begin").AsInts();
        var end = ConstIn(n, 2, "end").AsInts();
        var strides = ConstIn(n, 3, "strides").AsInts();
        if (begin.Length != 1)
            throw new ArgumentException("only one-dimensional slices are folded");
        return ConstantValue(ConstantFolding.StridedSlice(input, begin[0], end[0], strides[0], n.Int("begin_mask"), n.Int("end_mask"), n.Int("shrink_axis_mask")));
    }
}
