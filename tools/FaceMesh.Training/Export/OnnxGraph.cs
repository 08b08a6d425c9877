using FaceMesh.ModelPacks.Onnx;
using Google.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceMesh.Training.Export;

/// <summary>
/// Builds an ONNX graph (opset 17) with FaceMesh's own ONNX schema (services/FaceMesh.ModelPacks/Onnx):
/// nodes with unique output names, float initializers from TorchSharp tensors, one input and one output
/// with a symbolic batch dimension.
/// </summary>
public sealed class OnnxGraph
{
    public const int Opset = 17;
    private readonly GraphProto _graph = new() { Name = "facemesh" };
    private int _counter;

    public string Initializer(string name, Tensor value)
    {
        using var cpu = value.detach().cpu().to_type(ScalarType.Float32).contiguous();
        var data = cpu.data<float>().ToArray();
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan())) };
        tensor.Dims.AddRange(cpu.shape);
        _graph.Initializer.Add(tensor);
        return name;
    }

    public string Node(string op, string prefix, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        string output = $"{prefix}_{op}_{_counter++}";
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return output;
    }

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    private static ValueInfoProto Value(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    public ModelProto Model(string input, long[] inputShape, string output, long outputSize, string producer, IReadOnlyDictionary<string, string> metadata)
    {
        _graph.Input.Add(Value(input, ["batch", .. inputShape.Cast<object>()]));
        NameLastOutput(output);
        _graph.Output.Add(Value(output, "batch", outputSize));
        var model = new ModelProto { IrVersion = 8, ProducerName = producer, ProducerVersion = "0.1.0", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata)
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    /// <summary>Renames the last node's output (the graph output).</summary>
    public void NameLastOutput(string name) => _graph.Node[^1].Output[0] = name;
}
