using FaceMesh.ModelPacks.TensorFlowJs;

namespace FaceMesh.ModelImport.Tests.Reference;

/// <summary>
/// An independent reference for the importer: runs a <see cref="TfGraph"/> with TensorFlow's semantics
/// directly, in TensorFlow's own NHWC layout, with plain loops and double-precision sums. It shares no
/// translation code with <see cref="TfToOnnx"/> (not the padding rule, not the broadcasting, not the
/// layout), so an error in either shows as a difference between them. Written to be read, not to be fast.
/// Semantics follow the TensorFlow op documentation: SAME padding puts the odd pixel after (bottom,
/// right); AvgPool averages the real pixels only; ResizeBilinear's "half pixel centres" maps output
/// pixel i to input coordinate (i + 0.5)·in/out − 0.5 and clamps the neighbours to the image.
/// </summary>
public sealed class TfInterpreter(TfGraph graph)
{
    /// <summary>Runs the graph on <paramref name="feeds"/> (by Placeholder name); returns every node's value.</summary>
    public Dictionary<string, TfTensor> Run(IReadOnlyDictionary<string, TfTensor> feeds, IEnumerable<string> outputs)
    {
        var values = new Dictionary<string, TfTensor>(StringComparer.Ordinal);
        foreach (var node in graph.NodesFor(outputs))
        {
            TfTensor In(int i) => values[TfGraph.NodeOf(node.Inputs[i])];
            values[node.Name] = node.Op switch
            {
                "Placeholder" => feeds[node.Name],
                "Const" => graph.Constants[node.Name],
                "Identity" => In(0),
                "Conv2D" => Conv(node, In(0), In(1), depthwise: false),
                "DepthwiseConv2dNative" => Conv(node, In(0), In(1), depthwise: true),
                "_FusedConv2D" => Fused(node, Conv(node, In(0), In(1), depthwise: false), i => In(i), firstArg: 2),
                "FusedDepthwiseConv2dNative" => Fused(node, Conv(node, In(0), In(1), depthwise: true), i => In(i), firstArg: 2),
                "MatMul" => MatMul(node, In(0), In(1)),
                "_FusedMatMul" => Fused(node, MatMul(node, In(0), In(1)), i => In(i), firstArg: 2),
                "BiasAdd" or "Add" or "AddV2" => Broadcast(In(0), In(1), (a, b) => a + b),
                "Sub" => Broadcast(In(0), In(1), (a, b) => a - b),
                "Mul" => Broadcast(In(0), In(1), (a, b) => a * b),
                "RealDiv" => Broadcast(In(0), In(1), (a, b) => a / b),
                "Minimum" => Broadcast(In(0), In(1), Math.Min),
                "Maximum" => Broadcast(In(0), In(1), Math.Max),
                "Prelu" => Broadcast(In(0), In(1), (x, a) => x >= 0 ? x : a * x),
                "Relu" => Map(In(0), x => Math.Max(x, 0)),
                "Relu6" => Map(In(0), x => Math.Min(Math.Max(x, 0), 6)),
                "Sigmoid" => Map(In(0), x => 1 / (1 + Math.Exp(-x))),
                "Tanh" => Map(In(0), Math.Tanh),
                "Abs" => Map(In(0), Math.Abs),
                "Neg" => Map(In(0), x => -x),
                "Exp" => Map(In(0), Math.Exp),
                "Sqrt" => Map(In(0), Math.Sqrt),
                "Square" => Map(In(0), x => x * x),
                "Rsqrt" => Map(In(0), x => 1 / Math.Sqrt(x)),
                "Sum" => Reduce(node, In(0), In(1), mean: false),
                "Mean" => Reduce(node, In(0), In(1), mean: true),
                "Squeeze" => Squeeze(node, In(0)),
                "Reshape" => Reshape(In(0), In(1)),
                "ConcatV2" => Concat(node.Inputs.Take(node.Inputs.Count - 1).Select((_, i) => In(i)).ToArray(), In(node.Inputs.Count - 1)),
                "Pad" or "PadV2" => Pad(In(0), In(1), node.Inputs.Count > 2 ? In(2).AsFloats()[0] : 0),
                "MaxPool" => Pool(node, In(0), max: true),
                "AvgPool" => Pool(node, In(0), max: false),
                "DepthToSpace" => DepthToSpace(In(0), (int)node.Int("block_size")),
                "ResizeBilinear" => ResizeBilinear(In(0), In(1).AsInts(), node.Bool("align_corners"), node.Bool("half_pixel_centers")),
                "Softmax" => Softmax(In(0)),
                "Shape" => TfTensor.Int([In(0).Rank], In(0).Shape),
                "StridedSlice" => StridedSlice(node, In(0), In(1).AsInts(), In(2).AsInts(), In(3).AsInts()),
                "Pack" => Pack(node.Inputs.Select((_, i) => In(i)).ToArray(), (int)node.Int("axis")),
                var op => throw new NotSupportedException($"The reference interpreter has no '{op}' (node {node.Name})."),
            };
        }
        return values;
    }

    // ---- convolution and dense layers ----

    private static int[] Attr4(TfNode n, string name)
    {
        var v = n.Ints(name);
        return v.Count == 4 ? v.Select(x => (int)x).ToArray() : [1, 1, 1, 1];
    }

    /// <summary>Output size and padding before, per TensorFlow's conv_ops: SAME gives ⌈in/s⌉ with the smaller half of the padding
    /// before.</summary>
    private static (int Out, int PadBefore) Geometry(string padding, int input, int kernel, int stride, int dilation)
    {
        int span = dilation * (kernel - 1) + 1;
        if (padding == "VALID")
            return ((input - span + stride) / stride, 0);
        int output = (input + stride - 1) / stride;
        int needed = Math.Max(0, (output - 1) * stride + span - input);
        return (output, needed / 2);
    }

    private static TfTensor Conv(TfNode n, TfTensor x, TfTensor f, bool depthwise)
    {
        int[] strides = Attr4(n, "strides"), dilations = Attr4(n, "dilations");
        string padding = n.String("padding") ?? "VALID";
        int N = x.Shape[0], H = x.Shape[1], W = x.Shape[2], C = x.Shape[3];
        int KH = f.Shape[0], KW = f.Shape[1], M = f.Shape[3];
        var (OH, padTop) = Geometry(padding, H, KH, strides[1], dilations[1]);
        var (OW, padLeft) = Geometry(padding, W, KW, strides[2], dilations[2]);
        int OC = depthwise ? C * M : M;
        var input = x.Floats;
        var filter = f.Floats;
        var output = new float[N * OH * OW * OC];
        for (int b = 0; b < N; b++)
            for (int oy = 0; oy < OH; oy++)
                for (int ox = 0; ox < OW; ox++)
                    for (int oc = 0; oc < OC; oc++)
                    {
                        double sum = 0;
                        for (int ky = 0; ky < KH; ky++)
                        {
                            int iy = oy * strides[1] + ky * dilations[1] - padTop;
                            if (iy < 0 || iy >= H) continue;
                            for (int kx = 0; kx < KW; kx++)
                            {
                                int ix = ox * strides[2] + kx * dilations[2] - padLeft;
                                if (ix < 0 || ix >= W) continue;
                                int pixel = ((b * H + iy) * W + ix) * C;
                                if (depthwise)
                                {
                                    int c = oc / M, m = oc % M;
                                    sum += (double)input[pixel + c] * filter[((ky * KW + kx) * C + c) * M + m];
                                }
                                else
                                {
                                    for (int c = 0; c < C; c++)
                                        sum += (double)input[pixel + c] * filter[((ky * KW + kx) * C + c) * M + oc];
                                }
                            }
                        }
                        output[((b * OH + oy) * OW + ox) * OC + oc] = (float)sum;
                    }
        return TfTensor.Float([N, OH, OW, OC], output);
    }

    private static TfTensor MatMul(TfNode n, TfTensor a, TfTensor b)
    {
        bool ta = n.Bool("transpose_a"), tb = n.Bool("transpose_b");
        int rows = ta ? a.Shape[1] : a.Shape[0], inner = ta ? a.Shape[0] : a.Shape[1];
        int cols = tb ? b.Shape[0] : b.Shape[1];
        float A(int i, int k) => ta ? a.Floats[k * a.Shape[1] + i] : a.Floats[i * a.Shape[1] + k];
        float B(int k, int j) => tb ? b.Floats[j * b.Shape[1] + k] : b.Floats[k * b.Shape[1] + j];
        var output = new float[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                double sum = 0;
                for (int k = 0; k < inner; k++)
                    sum += (double)A(i, k) * B(k, j);
                output[i * cols + j] = (float)sum;
            }
        return TfTensor.Float([rows, cols], output);
    }

    /// <summary>Grappler's fused ops: the op's result, then each op of <c>fused_ops</c> on it with the node's extra inputs.</summary>
    private static TfTensor Fused(TfNode n, TfTensor y, Func<int, TfTensor> input, int firstArg)
    {
        int arg = firstArg;
        foreach (var op in n.Strings("fused_ops"))
        {
            y = op switch
            {
                "BiasAdd" => Broadcast(y, input(arg++), (a, b) => a + b),
                "Relu" => Map(y, v => Math.Max(v, 0)),
                "Relu6" => Map(y, v => Math.Min(Math.Max(v, 0), 6)),
                "Prelu" => Broadcast(y, input(arg++), (v, a) => v >= 0 ? v : a * v),
                "Sigmoid" => Map(y, v => 1 / (1 + Math.Exp(-v))),
                "Tanh" => Map(y, Math.Tanh),
                "Elu" => Map(y, v => v >= 0 ? v : Math.Exp(v) - 1),
                "LeakyRelu" => Map(y, v => v >= 0 ? v : n.Float("leakyrelu_alpha", 0.2f) * v),
                _ => throw new NotSupportedException($"The reference interpreter has no fused op '{op}' (node {n.Name})."),
            };
        }
        return y;
    }

    // ---- element-wise ----

    private static TfTensor Map(TfTensor x, Func<double, double> f) =>
        TfTensor.Float(x.Shape, x.AsFloats().Select(v => (float)f(v)).ToArray());

    /// <summary>NumPy broadcasting: shapes aligned on the right, a dimension of 1 repeats.</summary>
    private static TfTensor Broadcast(TfTensor a, TfTensor b, Func<double, double, double> f)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        int[] sa = Pad1(a.Shape, rank), sb = Pad1(b.Shape, rank);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
            shape[i] = sa[i] == 1 ? sb[i] : sb[i] == 1 || sb[i] == sa[i] ? sa[i] : throw new ArgumentException($"Shapes {a} and {b} do not broadcast.");
        var fa = a.AsFloats();
        var fb = b.AsFloats();
        var output = new float[TfTensor.CountOf(shape)];
        var index = new int[rank];
        for (int i = 0; i < output.Length; i++)
        {
            int rest = i;
            for (int d = rank - 1; d >= 0; d--) { index[d] = rest % shape[d]; rest /= shape[d]; }
            output[i] = (float)f(fa[Flat(index, sa)], fb[Flat(index, sb)]);
        }
        bool ints = a.DataType == TfDataType.Int32 && b.DataType == TfDataType.Int32;
        return ints ? TfTensor.Int(shape, output.Select(v => (int)v).ToArray()) : TfTensor.Float(shape, output);
    }

    private static int[] Pad1(int[] shape, int rank) => Enumerable.Repeat(1, rank - shape.Length).Concat(shape).ToArray();

    /// <summary>Flat index of a coordinate in a tensor of <paramref name="shape"/>, broadcast dimensions (size 1) read at 0.</summary>
    private static int Flat(int[] index, int[] shape)
    {
        int flat = 0;
        for (int d = 0; d < shape.Length; d++)
            flat = flat * shape[d] + (shape[d] == 1 ? 0 : index[d]);
        return flat;
    }

    private static TfTensor Softmax(TfTensor x)
    {
        int last = x.Shape[^1], rows = x.Count / last;
        var output = new float[x.Count];
        for (int r = 0; r < rows; r++)
        {
            var row = x.Floats.AsSpan(r * last, last);
            double max = double.NegativeInfinity;
            foreach (var v in row) max = Math.Max(max, v);
            double sum = 0;
            foreach (var v in row) sum += Math.Exp(v - max);
            for (int i = 0; i < last; i++)
                output[r * last + i] = (float)(Math.Exp(row[i] - max) / sum);
        }
        return TfTensor.Float(x.Shape, output);
    }

    // ---- shapes ----

    private static TfTensor Reduce(TfNode n, TfTensor x, TfTensor axesTensor, bool mean)
    {
        var axes = axesTensor.AsInts().Select(a => a < 0 ? a + x.Rank : a).ToHashSet();
        bool keep = n.Bool("keep_dims");
        var kept = x.Shape.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray();
        var sums = new double[TfTensor.CountOf(kept)];
        var index = new int[x.Rank];
        for (int i = 0; i < x.Count; i++)
        {
            int rest = i;
            for (int d = x.Rank - 1; d >= 0; d--) { index[d] = rest % x.Shape[d]; rest /= x.Shape[d]; }
            sums[Flat(index, kept)] += x.Floats[i];
        }
        double count = axes.Aggregate(1.0, (p, a) => p * x.Shape[a]);
        var data = sums.Select(s => (float)(mean ? s / count : s)).ToArray();
        return TfTensor.Float(keep ? kept : x.Shape.Where((_, i) => !axes.Contains(i)).ToArray(), data);
    }

    private static TfTensor Squeeze(TfNode n, TfTensor x)
    {
        var dims = n.Ints("squeeze_dims").Select(d => (int)(d < 0 ? d + x.Rank : d)).ToHashSet();
        var shape = x.Shape.Where((d, i) => dims.Count == 0 ? d != 1 : !dims.Contains(i)).ToArray();
        return TfTensor.Float(shape, x.Floats);
    }

    private static TfTensor Reshape(TfTensor x, TfTensor shapeTensor)
    {
        var shape = shapeTensor.AsInts().ToArray();
        int unknown = Array.IndexOf(shape, -1);
        if (unknown >= 0)
            shape[unknown] = x.Count / shape.Where(d => d != -1).Aggregate(1, (p, d) => p * d);
        return x.DataType == TfDataType.Int32 ? TfTensor.Int(shape, x.Ints) : TfTensor.Float(shape, x.Floats);
    }

    private static TfTensor Concat(TfTensor[] parts, TfTensor axisTensor)
    {
        int axis = axisTensor.AsInts()[0];
        if (axis < 0) axis += parts[0].Rank;
        var shape = parts[0].Shape.ToArray();
        shape[axis] = parts.Sum(p => p.Shape[axis]);
        int outer = parts[0].Shape.Take(axis).Aggregate(1, (p, d) => p * d);
        var output = new List<float>(TfTensor.CountOf(shape));
        for (int o = 0; o < outer; o++)
            foreach (var p in parts)
            {
                int block = p.Count / outer;
                output.AddRange(p.AsFloats().Skip(o * block).Take(block));
            }
        return TfTensor.Float(shape, output.ToArray());
    }

    private static TfTensor Pad(TfTensor x, TfTensor paddings, float fill)
    {
        var p = paddings.AsInts();
        var shape = x.Shape.Select((d, i) => d + p[2 * i] + p[2 * i + 1]).ToArray();
        var output = Enumerable.Repeat(fill, TfTensor.CountOf(shape)).ToArray();
        var index = new int[x.Rank];
        for (int i = 0; i < x.Count; i++)
        {
            int rest = i;
            for (int d = x.Rank - 1; d >= 0; d--) { index[d] = rest % x.Shape[d] + p[2 * d]; rest /= x.Shape[d]; }
            output[Flat(index, shape)] = x.Floats[i];
        }
        return TfTensor.Float(shape, output);
    }

    private static TfTensor Pool(TfNode n, TfTensor x, bool max)
    {
        int[] k = Attr4(n, "ksize"), s = Attr4(n, "strides");
        string padding = n.String("padding") ?? "VALID";
        int N = x.Shape[0], H = x.Shape[1], W = x.Shape[2], C = x.Shape[3];
        var (OH, top) = Geometry(padding, H, k[1], s[1], 1);
        var (OW, left) = Geometry(padding, W, k[2], s[2], 1);
        var output = new float[N * OH * OW * C];
        for (int b = 0; b < N; b++)
            for (int oy = 0; oy < OH; oy++)
                for (int ox = 0; ox < OW; ox++)
                    for (int c = 0; c < C; c++)
                    {
                        double acc = max ? double.NegativeInfinity : 0;
                        int count = 0;
                        for (int ky = 0; ky < k[1]; ky++)
                            for (int kx = 0; kx < k[2]; kx++)
                            {
                                int iy = oy * s[1] + ky - top, ix = ox * s[2] + kx - left;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                double v = x.Floats[((b * H + iy) * W + ix) * C + c];
                                acc = max ? Math.Max(acc, v) : acc + v;
                                count++;
                            }
                        output[((b * OH + oy) * OW + ox) * C + c] = (float)(max ? acc : acc / count);
                    }
        return TfTensor.Float([N, OH, OW, C], output);
    }

    private static TfTensor DepthToSpace(TfTensor x, int block)
    {
        int N = x.Shape[0], H = x.Shape[1], W = x.Shape[2], C = x.Shape[3], OC = C / (block * block);
        var output = new float[x.Count];
        for (int b = 0; b < N; b++)
            for (int y = 0; y < H * block; y++)
                for (int xo = 0; xo < W * block; xo++)
                    for (int c = 0; c < OC; c++)
                    {
                        int depth = ((y % block) * block + xo % block) * OC + c;
                        output[((b * H * block + y) * W * block + xo) * OC + c] = x.Floats[((b * H + y / block) * W + xo / block) * C + depth];
                    }
        return TfTensor.Float([N, H * block, W * block, OC], output);
    }

    private static TfTensor ResizeBilinear(TfTensor x, int[] size, bool alignCorners, bool halfPixel)
    {
        int N = x.Shape[0], H = x.Shape[1], W = x.Shape[2], C = x.Shape[3], OH = size[0], OW = size[1];
        double Scale(int input, int output) => alignCorners && output > 1 ? (input - 1) / (double)(output - 1) : input / (double)output;
        (int Lo, int Hi, double Lerp) Source(int i, int input, int output)
        {
            double at = halfPixel ? (i + 0.5) * Scale(input, output) - 0.5 : i * Scale(input, output);
            double floor = Math.Floor(at);
            return (Math.Max((int)floor, 0), Math.Min((int)Math.Ceiling(at), input - 1), at - floor);
        }
        var output = new float[N * OH * OW * C];
        for (int b = 0; b < N; b++)
            for (int y = 0; y < OH; y++)
            {
                var (y0, y1, ly) = Source(y, H, OH);
                for (int xo = 0; xo < OW; xo++)
                {
                    var (x0, x1, lx) = Source(xo, W, OW);
                    for (int c = 0; c < C; c++)
                    {
                        double P(int yy, int xx) => x.Floats[((b * H + yy) * W + xx) * C + c];
                        double top = P(y0, x0) + (P(y0, x1) - P(y0, x0)) * lx;
                        double bottom = P(y1, x0) + (P(y1, x1) - P(y1, x0)) * lx;
                        output[((b * OH + y) * OW + xo) * C + c] = (float)(top + (bottom - top) * ly);
                    }
                }
            }
        return TfTensor.Float([N, OH, OW, C], output);
    }

    private static TfTensor StridedSlice(TfNode n, TfTensor x, int[] begin, int[] end, int[] strides)
    {
        if (x.Rank != 1 || begin.Length != 1)
            throw new NotSupportedException("The reference interpreter slices one-dimensional tensors only.");
        int size = x.Shape[0], stride = strides[0];
        int b = (n.Int("begin_mask") & 1) != 0 ? 0 : begin[0] < 0 ? begin[0] + size : begin[0];
        int e = (n.Int("end_mask") & 1) != 0 ? size : end[0] < 0 ? end[0] + size : Math.Min(end[0], size);
        var picked = x.AsInts();
        if ((n.Int("shrink_axis_mask") & 1) != 0)
            return TfTensor.Int([], [picked[b]]);
        var values = new List<int>();
        for (int i = b; i < e; i += stride)
            values.Add(picked[i]);
        return TfTensor.Int([values.Count], values.ToArray());
    }

    private static TfTensor Pack(TfTensor[] parts, int axis)
    {
        if (parts.Any(p => p.Rank != 0) || axis != 0)
            throw new NotSupportedException("The reference interpreter packs scalars only.");
        return parts.All(p => p.DataType == TfDataType.Int32)
            ? TfTensor.Int([parts.Length], parts.Select(p => p.Ints[0]).ToArray())
            : TfTensor.Float([parts.Length], parts.Select(p => p.AsFloats()[0]).ToArray());
    }
}
