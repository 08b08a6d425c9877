using System.Runtime.InteropServices;
using Google.Protobuf;

namespace FaceMesh.ModelPacks.Onnx;

/// <summary>
/// Writes an ONNX graph with FaceMesh's own copy of the ONNX schema (<c>onnx.proto</c>, Google.Protobuf):
/// nodes with unique output names, float and int64 initializers, inputs and outputs with shapes (a
/// symbolic dimension is written as its name). The trainer's exporter and the TensorFlow.js importer
/// both write through it; no Python and no ONNX tooling is involved.
/// </summary>
public sealed class OnnxGraphBuilder(string graphName = "facemesh")
{
    /// <summary>ONNX operator set: 17 has every operator the writers use (Resize, DepthToSpace, Pad with tensor pads).</summary>
    public const int Opset = 17;

    private readonly GraphProto _graph = new() { Name = graphName };
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    public GraphProto Graph => _graph;

    /// <summary>A float initializer named <paramref name="name"/> (made unique if taken).</summary>
    public string Initializer(string name, ReadOnlySpan<float> data, ReadOnlySpan<long> dims)
    {
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data)) };
        tensor.Dims.AddRange(dims.ToArray());
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>An int64 initializer (shapes, axes, pads).</summary>
    public string Int64Initializer(string name, ReadOnlySpan<long> data, ReadOnlySpan<long> dims)
    {
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data)) };
        tensor.Dims.AddRange(dims.ToArray());
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A one-dimensional int64 initializer.</summary>
    public string Int64Vector(string name, params long[] values) => Int64Initializer(name, values, [values.Length]);

    /// <summary>Adds a node with one output, named <c>{prefix}_{op}_{n}</c>; returns the output's name.</summary>
    public string Node(string op, string prefix, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        string output = Unique($"{prefix}_{op}_{_counter++}");
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return output;
    }

    /// <summary>Renames the output of the node that makes <paramref name="value"/> (for graph outputs with fixed names).</summary>
    public void Rename(string value, string newName)
    {
        if (value == newName)
            return;
        if (!_names.Add(newName))
            throw new InvalidOperationException($"The ONNX value name '{newName}' is taken.");
        foreach (var node in _graph.Node)
        {
            for (int i = 0; i < node.Output.Count; i++)
                if (node.Output[i] == value)
                    node.Output[i] = newName;
            for (int i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == value)
                    node.Input[i] = newName;
        }
    }

    /// <summary>A float graph input; a dimension is a number or the name of a symbolic dimension.</summary>
    public void Input(string name, params object[] dims)
    {
        _names.Add(name);
        _graph.Input.Add(Value(name, TensorProto.Types.DataType.Float, dims));
    }

    public void Output(string name, params object[] dims) => _graph.Output.Add(Value(name, TensorProto.Types.DataType.Float, dims));

    public ModelProto Model(string producer, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = producer, ProducerVersion = "0.1.0", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private string Unique(string name)
    {
        if (_names.Add(name))
            return name;
        for (int i = 1; ; i++)
            if (_names.Add($"{name}_{i}"))
                return $"{name}_{i}";
    }

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
