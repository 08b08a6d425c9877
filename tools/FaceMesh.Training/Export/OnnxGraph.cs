using FaceMesh.ModelPacks.Onnx;
using static TorchSharp.torch;

namespace FaceMesh.Training.Export;

/// <summary>
/// The trainer's view of <see cref="OnnxGraphBuilder"/> (FaceMesh's ONNX writer): initializers from
/// TorchSharp tensors, one input and one output with a symbolic batch dimension.
/// </summary>
public sealed class OnnxGraph
{
    public const int Opset = OnnxGraphBuilder.Opset;
    private readonly OnnxGraphBuilder _builder = new();

    public string Initializer(string name, Tensor value)
    {
        using var cpu = value.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return _builder.Initializer(name, cpu.data<float>().ToArray(), cpu.shape);
    }

    public string Node(string op, string prefix, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        _builder.Node(op, prefix, inputs, attributes);

    public static AttributeProto Ints(string name, IEnumerable<long> values) => OnnxGraphBuilder.Ints(name, values);

    public static AttributeProto Int(string name, long value) => OnnxGraphBuilder.Int(name, value);

    public static AttributeProto Float(string name, float value) => OnnxGraphBuilder.Float(name, value);

    public ModelProto Model(string input, long[] inputShape, string output, long outputSize, string producer, IReadOnlyDictionary<string, string> metadata)
    {
        _builder.Input(input, ["batch", .. inputShape.Cast<object>()]);
        NameLastOutput(output);
        _builder.Output(output, "batch", outputSize);
        return _builder.Model(producer, metadata);
    }

    /// <summary>Renames the last node's output (the graph output).</summary>
    public void NameLastOutput(string name) => _builder.Rename(_builder.Graph.Node[^1].Output[0], name);
}
