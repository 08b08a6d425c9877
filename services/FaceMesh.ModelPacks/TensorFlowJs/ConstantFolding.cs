namespace FaceMesh.ModelPacks.TensorFlowJs;

/// <summary>
/// Computes, at import time, the ops whose inputs are all constants: the Shape → StridedSlice → Pack chains
/// that TensorFlow writes for a Reshape's target shape, and arithmetic on constants. A shape's unknown batch
/// dimension folds to −1, which a Reshape accepts ("infer this dimension"); arithmetic on it is refused.
/// </summary>
internal static class ConstantFolding
{
    /// <summary>A dimension known only when the model runs (the batch), as Shape folds it.</summary>
    public const int UnknownDimension = int.MinValue;

    /// <summary>TensorFlow's Shape of a value whose batch is unknown.</summary>
    public static TfTensor Shape(IReadOnlyList<int> shape) =>
        TfTensor.Int([shape.Count], shape.Select(d => d < 0 ? UnknownDimension : d).ToArray());

    /// <summary>NumPy broadcasting of two TensorFlow shapes (−1, the batch, stays unknown).</summary>
    public static int[] Broadcast(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        int rank = Math.Max(a.Count, b.Count);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Count ? 1 : a[i - (rank - a.Count)];
            int db = i < rank - b.Count ? 1 : b[i - (rank - b.Count)];
            if (da == db || db == 1)
                shape[i] = da;
            else if (da == 1)
                shape[i] = db;
            else if (da == -1 || db == -1)
                shape[i] = -1;
            else
                throw new ArgumentException($"Shapes [{string.Join(",", a)}] and [{string.Join(",", b)}] do not broadcast.");
        }
        return shape;
    }

    public static TfTensor Binary(string op, TfTensor a, TfTensor b)
    {
        var shape = Broadcast(a.Shape, b.Shape);
        int count = TfTensor.CountOf(shape);
        bool ints = a.DataType == TfDataType.Int32 && b.DataType == TfDataType.Int32;
        if (ints && (a.Ints.Contains(UnknownDimension) || b.Ints.Contains(UnknownDimension)))
            throw new ArgumentException("the value depends on the batch size, which is not known when the model is imported");
        var fa = a.AsFloats();
        var fb = b.AsFloats();
        var result = new float[count];
        for (int i = 0; i < count; i++)
        {
            float x = fa[SourceIndex(i, shape, a.Shape)], y = fb[SourceIndex(i, shape, b.Shape)];
            result[i] = op switch
            {
                "Add" or "AddV2" => x + y,
                "Sub" => x - y,
                "Mul" => x * y,
                "RealDiv" => x / y,
                "FloorDiv" => MathF.Floor(x / y),
                "Maximum" => MathF.Max(x, y),
                "Minimum" => MathF.Min(x, y),
                _ => throw new ArgumentException($"no constant folding for {op}"),
            };
        }
        return ints ? TfTensor.Int(shape, result.Select(v => (int)v).ToArray()) : TfTensor.Float(shape, result);
    }

    public static TfTensor Unary(string op, TfTensor a)
    {
        if (a.DataType == TfDataType.Int32 && op == "Neg")
            return TfTensor.Int(a.Shape, a.Ints.Select(v => -v).ToArray());
        var values = a.AsFloats().Select(x => op switch
        {
            "Neg" => -x,
            "Relu" => MathF.Max(x, 0),
            "Abs" => MathF.Abs(x),
            "Square" => x * x,
            "Sqrt" => MathF.Sqrt(x),
            "Rsqrt" => 1 / MathF.Sqrt(x),
            "Exp" => MathF.Exp(x),
            "Sigmoid" => 1 / (1 + MathF.Exp(-x)),
            "Identity" => x,
            _ => throw new ArgumentException($"no constant folding for {op}"),
        }).ToArray();
        return TfTensor.Float(a.Shape, values);
    }

    /// <summary>The flat index in a broadcast operand of shape <paramref name="from"/> for flat index <paramref name="i"/> of <paramref
    /// name="shape"/>.</summary>
    public static int SourceIndex(int i, IReadOnlyList<int> shape, IReadOnlyList<int> from)
    {
        int index = 0, stride = 1;
        for (int axis = shape.Count - 1, f = from.Count - 1; axis >= 0; axis--, f--)
        {
            int coordinate = i % shape[axis];
            i /= shape[axis];
            if (f >= 0)
            {
                if (from[f] != 1)
                    index += coordinate * stride;
                stride *= from[f];
            }
        }
        return index;
    }

    /// <summary>TensorFlow's StridedSlice on a one-dimensional constant (begin/end masks and shrink of axis 0).</summary>
    public static TfTensor StridedSlice(TfTensor input, int begin, int end, int stride, long beginMask, long endMask, long shrinkMask)
    {
        if (input.Rank != 1)
            throw new ArgumentException($"StridedSlice is folded on one-dimensional constants only, not on {input}");
        if (stride == 0)
            throw new ArgumentException("the slice stride is 0");
        int n = input.Shape[0];
        int Clamp(int v, int lo, int hi) => Math.Min(Math.Max(v, lo), hi);
        if (begin < 0) begin += n;
        if (end < 0) end += n;
        if ((shrinkMask & 1) != 0)
        {
            if (begin < 0 || begin >= n)
                throw new ArgumentException($"the slice index {begin} is outside [0, {n})");
            return input.DataType == TfDataType.Int32 ? TfTensor.Int([], [input.Ints[begin]]) : TfTensor.Float([], [input.Floats[begin]]);
        }
        if ((beginMask & 1) != 0) begin = stride > 0 ? 0 : n - 1;
        if ((endMask & 1) != 0) end = stride > 0 ? n : -1;
        begin = stride > 0 ? Clamp(begin, 0, n) : Clamp(begin, -1, n - 1);
        end = stride > 0 ? Clamp(end, 0, n) : Clamp(end, -1, n - 1);
        var picked = new List<int>();
        for (int i = begin; stride > 0 ? i < end : i > end; i += stride)
            picked.Add(i);
        return input.DataType == TfDataType.Int32
            ? TfTensor.Int([picked.Count], picked.Select(i => input.Ints[i]).ToArray())
            : TfTensor.Float([picked.Count], picked.Select(i => input.Floats[i]).ToArray());
    }

    /// <summary>TensorFlow's Pack (stack) of constants of one shape along <paramref name="axis"/>.</summary>
    public static TfTensor Pack(IReadOnlyList<TfTensor> values, int axis)
    {
        var shape = values[0].Shape;
        if (values.Any(v => !v.Shape.SequenceEqual(shape)))
            throw new ArgumentException("Pack inputs differ in shape");
        if (axis < 0) axis += shape.Length + 1;
        var outShape = shape.Take(axis).Append(values.Count).Concat(shape.Skip(axis)).ToArray();
        int inner = TfTensor.CountOf(shape.Skip(axis).ToArray()), outer = TfTensor.CountOf(shape.Take(axis).ToArray());
        var data = new float[TfTensor.CountOf(outShape)];
        int at = 0;
        for (int o = 0; o < outer; o++)
            foreach (var v in values)
            {
                var f = v.AsFloats();
                for (int k = 0; k < inner; k++)
                    data[at++] = f[o * inner + k];
            }
        return values.All(v => v.DataType == TfDataType.Int32)
            ? TfTensor.Int(outShape, data.Select(x => (int)x).ToArray())
            : TfTensor.Float(outShape, data);
    }

    /// <summary>TensorFlow's ConcatV2 of constants.</summary>
    public static TfTensor Concat(IReadOnlyList<TfTensor> values, int axis)
    {
        int rank = values[0].Rank;
        if (axis < 0) axis += rank;
        var outShape = values[0].Shape.ToArray();
        outShape[axis] = values.Sum(v => v.Shape[axis]);
        int outer = TfTensor.CountOf(outShape.Take(axis).ToArray());
        var data = new List<float>(TfTensor.CountOf(outShape));
        for (int o = 0; o < outer; o++)
            foreach (var v in values)
            {
                int block = TfTensor.CountOf(v.Shape.Skip(axis).ToArray());
                data.AddRange(v.AsFloats().AsSpan(o * block, block).ToArray());
            }
        return values.All(v => v.DataType == TfDataType.Int32)
            ? TfTensor.Int(outShape, data.Select(x => (int)x).ToArray())
            : TfTensor.Float(outShape, data.ToArray());
    }

    /// <summary>The values of a constant with its axes permuted (<c>result.Shape[i] = shape[perm[i]]</c>).</summary>
    public static TfTensor Transpose(TfTensor t, IReadOnlyList<int> perm)
    {
        var shape = perm.Select(p => t.Shape[p]).ToArray();
        var src = t.AsFloats();
        var data = new float[src.Length];
        var strides = new int[t.Rank];
        for (int i = t.Rank - 1, s = 1; i >= 0; i--) { strides[i] = s; s *= t.Shape[i]; }
        var coordinate = new int[t.Rank];
        for (int i = 0; i < data.Length; i++)
        {
            int rest = i, index = 0;
            for (int axis = shape.Length - 1; axis >= 0; axis--)
            {
                coordinate[axis] = rest % shape[axis];
                rest /= shape[axis];
                index += coordinate[axis] * strides[perm[axis]];
            }
            data[i] = src[index];
        }
        return t.DataType == TfDataType.Int32 ? TfTensor.Int(shape, data.Select(x => (int)x).ToArray()) : TfTensor.Float(shape, data);
    }

    public static TfTensor Reshape(TfTensor t, int[] shape) =>
        t.DataType == TfDataType.Int32 ? TfTensor.Int(shape, t.Ints) : TfTensor.Float(shape, t.Floats);
}
