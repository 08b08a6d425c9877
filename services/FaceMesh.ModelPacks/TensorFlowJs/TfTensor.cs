namespace FaceMesh.ModelPacks.TensorFlowJs;

public enum TfDataType { Float32, Int32 }

/// <summary>
/// A dense tensor as TensorFlow holds it: row-major over <see cref="Shape"/>, float32 or int32 (TensorFlow.js
/// graph models of faces use int32 only for shapes, paddings and axes).
/// </summary>
public sealed class TfTensor
{
    private TfTensor(TfDataType type, int[] shape, float[]? floats, int[]? ints)
    {
        DataType = type;
        Shape = shape;
        _floats = floats;
        _ints = ints;
        int count = CountOf(shape);
        if ((floats?.Length ?? ints!.Length) != count)
            throw new ArgumentException($"A tensor of shape [{string.Join(",", shape)}] holds {count} values, not {floats?.Length ?? ints!.Length}.");
    }

    private readonly float[]? _floats;
    private readonly int[]? _ints;

    public TfDataType DataType { get; }
    public int[] Shape { get; }
    public int Rank => Shape.Length;
    public int Count => _floats?.Length ?? _ints!.Length;

    public float[] Floats => _floats ?? throw new InvalidOperationException("The tensor holds int32 values.");
    public int[] Ints => _ints ?? throw new InvalidOperationException("The tensor holds float32 values.");

    public static TfTensor Float(int[] shape, float[] values) => new(TfDataType.Float32, shape, values, null);
    public static TfTensor Int(int[] shape, int[] values) => new(TfDataType.Int32, shape, null, values);
    public static TfTensor Scalar(float value) => Float([], [value]);

    /// <summary>The values as floats, whatever the type.</summary>
    public float[] AsFloats() => _floats ?? _ints!.Select(i => (float)i).ToArray();

    /// <summary>The values as integers (a float tensor must hold whole numbers).</summary>
    public int[] AsInts() => _ints ?? _floats!.Select(f => (int)f).ToArray();

    public static int CountOf(IReadOnlyList<int> shape)
    {
        int count = 1;
        foreach (var d in shape)
            count *= d;
        return count;
    }

    public override string ToString() => $"{DataType} [{string.Join(",", Shape)}]";
}
