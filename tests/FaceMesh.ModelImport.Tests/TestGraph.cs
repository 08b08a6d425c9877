using FaceMesh.ModelPacks.TensorFlowJs;

namespace FaceMesh.ModelImport.Tests;

/// <summary>Builds small TensorFlow graphs by hand, one op at a time, for the op tests.</summary>
public sealed class TestGraph
{
    private readonly List<TfNode> _nodes = [];
    private readonly Dictionary<string, TfTensor> _constants = new();
    private readonly List<(string, long[])> _inputs = [];

    public string Input(string name, params long[] shape)
    {
        _inputs.Add((name, shape));
        return Node("Placeholder", name, []);
    }

    public string Const(string name, TfTensor value)
    {
        _constants[name] = value;
        return Node("Const", name, []);
    }

    public string Const(string name, int[] shape, float[] values) => Const(name, TfTensor.Float(shape, values));

    public string Ints(string name, params int[] values) => Const(name, TfTensor.Int([values.Length], values));

    public string Node(string op, string name, string[] inputs, params (string Key, TfAttribute Value)[] attributes)
    {
        _nodes.Add(new TfNode(name, op, inputs, attributes.ToDictionary(a => a.Key, a => a.Value)));
        return name;
    }

    public TfGraph Build(params string[] outputs) => new()
    {
        Source = "test-graph.json",
        Nodes = _nodes.ToArray(),
        Constants = new Dictionary<string, TfTensor>(_constants),
        Inputs = _inputs.ToArray(),
        Outputs = outputs,
    };

    public static (string, TfAttribute) Attr(string key, params long[] ints) => (key, new TfAttribute { Ints = ints });
    public static (string, TfAttribute) Attr(string key, string value) => (key, new TfAttribute { String = value });
    public static (string, TfAttribute) Attr(string key, bool value) => (key, new TfAttribute { Bool = value });
    public static (string, TfAttribute) Attr(string key, long value) => (key, new TfAttribute { Int = value });
    public static (string, TfAttribute) Strings(string key, params string[] values) => (key, new TfAttribute { Strings = values });
}
