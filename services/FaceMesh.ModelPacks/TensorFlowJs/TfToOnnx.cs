using FaceMesh.ModelPacks.Onnx;

namespace FaceMesh.ModelPacks.TensorFlowJs;

/// <summary>
/// Translates a TensorFlow graph (NHWC) into an ONNX model (opset 17) through <see cref="OnnxGraphBuilder"/>.
/// The ONNX model keeps the graph's interface: the same input (NHWC, batch dimension symbolic) and the
/// named outputs in TensorFlow's layout. Inside, 4-D activations travel channels-first, as ONNX's Conv,
/// pooling, DepthToSpace and Resize need: every value is held in TensorFlow's layout, channels-first, or
/// both, and a Transpose is written only where an op needs the other one (ONNX Runtime removes the pairs
/// that cancel). Axis arguments, paddings, broadcast constants and filter weights are permuted to match;
/// TensorFlow's SAME padding becomes explicit pads with the odd pixel at the bottom and right.
/// Ops whose inputs are all constants (the Shape → StridedSlice → Pack chains) are computed at import.
/// An op it does not know is refused with <see cref="UnsupportedOpException"/>.
/// </summary>
public sealed partial class TfToOnnx
{
    /// <summary>TensorFlow axis → channels-first axis for a 4-D tensor (N, H, W, C → N, C, H, W).</summary>
    private static readonly int[] TfToChannelsFirst = [0, 2, 3, 1];

    private readonly TfGraph _graph;
    private readonly TfjsImportOptions _options;
    private readonly OnnxGraphBuilder _onnx = new("tfjs");
    private readonly Dictionary<string, Value> _values = new(StringComparer.Ordinal);

    private TfToOnnx(TfGraph graph, TfjsImportOptions options)
    {
        _graph = graph;
        _options = options;
    }

    /// <summary>Converts <paramref name="graph"/>; the model's metadata names the source file.</summary>
    public static ModelProto Convert(TfGraph graph, TfjsImportOptions? options = null) =>
        new TfToOnnx(graph, options ?? new TfjsImportOptions()).Run();

    /// <summary>Converts the TensorFlow.js graph model at <paramref name="modelJsonPath"/> and writes the ONNX file.</summary>
    public static void Convert(string modelJsonPath, string onnxPath, TfjsImportOptions? options = null) =>
        Write(Convert(TfjsGraphModel.Load(modelJsonPath), options), onnxPath);

    /// <summary>Writes a model to <paramref name="onnxPath"/> through a temporary file (no half-written model is left).</summary>
    public static void Write(ModelProto model, string onnxPath)
    {
        var partial = onnxPath + ".partial";
        using (var file = File.Create(partial))
            Google.Protobuf.MessageExtensions.WriteTo(model, file);
        File.Move(partial, onnxPath, overwrite: true);
    }

    private ModelProto Run()
    {
        var outputs = _options.Outputs ?? _graph.Outputs;
        if (outputs.Count == 0)
            throw new ModelFileException($"{_graph.Source}: the graph names no outputs; say which nodes to convert.");
        var nodes = _graph.NodesFor(outputs);
        foreach (var node in nodes)
        {
            Value value;
            try
            {
                value = Translate(node);
            }
            catch (ArgumentException e)
            {
                throw new UnsupportedOpException(_graph.Source, node.Name, node.Op, e.Message);
            }
            _values[node.Name] = value;
        }
        var exposed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in outputs.Select(TfGraph.NodeOf))
            if (exposed.Add(name))
                Expose(name);
        if (_options.ExposeEveryNode)
            foreach (var node in nodes)
                if (node.Op is not ("Const" or "Placeholder") && _values[node.Name] is { IsFloat: true, Constant: null } && exposed.Add(node.Name))
                    Expose(node.Name);
        return _onnx.Model("FaceMesh.ModelPacks.TensorFlowJs", new Dictionary<string, string>
        {
            ["facemesh.source"] = Path.GetFileName(_graph.Source),
            ["facemesh.converter"] = "FaceMesh TensorFlow.js importer (NHWC graph → ONNX opset 17)",
        });
    }

    /// <summary>Makes a node's value a graph output named as the node, in TensorFlow's layout.</summary>
    private void Expose(string name)
    {
        var value = _values[name];
        if (!value.IsFloat)
            throw new ModelFileException($"{_graph.Source}: the output '{name}' is not a float tensor.");
        var output = _onnx.Node("Identity", name, [Native(value)]);
        _onnx.Rename(output, name);
        // Any-size: every dimension but the last (channels) may follow the input's height and width.
        _onnx.Output(name, value.Shape.Select((d, i) => i == 0 && d < 0 ? "batch"
            : d < 0 || (_options.AnySpatialSize && i < value.Rank - 1) ? $"{name}_dim{i}" : (object)d).ToArray());
    }

    /// <summary>
    /// A TensorFlow value in the ONNX graph: its TensorFlow shape (−1 for the batch), and its ONNX names in
    /// TensorFlow's layout and channels-first (either may be missing until asked for), or its constant value.
    /// </summary>
    private sealed class Value
    {
        public required int[] Shape { get; init; }
        public TfTensor? Constant { get; init; }
        public string? Native { get; set; }
        public string? ChannelsFirst { get; set; }
        public bool IsFloat { get; init; } = true;
        public int Rank => Shape.Length;

        /// <summary>Computed values held channels-first only: the ops that follow should stay channels-first.</summary>
        public bool PrefersChannelsFirst => Constant is null && Rank == 4 && ChannelsFirst is not null && Native is null;
    }

    private static Value NativeValue(string name, int[] shape) => new() { Shape = shape, Native = name };
    private static Value ChannelsFirstValue(string name, int[] shape) => new() { Shape = shape, ChannelsFirst = name };
    private static Value ConstantValue(TfTensor t) => new() { Shape = t.Shape, Constant = t, IsFloat = t.DataType == TfDataType.Float32 };

    /// <summary>The value's ONNX name in TensorFlow's layout.</summary>
    private string Native(Value v)
    {
        if (v.Native is not null)
            return v.Native;
        if (v.Constant is { } c)
            return v.Native = Materialize(c, c.Shape, "const");
        return v.Native = _onnx.Node("Transpose", "to_nhwc", [v.ChannelsFirst!], OnnxGraphBuilder.Ints("perm", [0, 2, 3, 1]));
    }

    /// <summary>The value's ONNX name channels-first (4-D values only).</summary>
    private string ChannelsFirst(Value v)
    {
        if (v.Rank != 4)
            throw new ArgumentException($"a {v.Rank}-D value cannot be held channels-first");
        if (v.ChannelsFirst is not null)
            return v.ChannelsFirst;
        if (v.Constant is { } c)
        {
            var t = ConstantFolding.Transpose(c, [0, 3, 1, 2]);
            return v.ChannelsFirst = Materialize(t, t.Shape, "const_nchw");
        }
        return v.ChannelsFirst = _onnx.Node("Transpose", "to_nchw", [v.Native!], OnnxGraphBuilder.Ints("perm", [0, 3, 1, 2]));
    }

    private string Materialize(TfTensor t, int[] shape, string name) =>
        t.DataType == TfDataType.Float32
            ? _onnx.Initializer(name, t.Floats, shape.Select(d => (long)d).ToArray())
            : _onnx.Int64Initializer(name, t.Ints.Select(i => (long)i).ToArray(), shape.Select(d => (long)d).ToArray());

    private string FloatInitializer(string name, float[] data, params long[] dims) => _onnx.Initializer(name, data, dims);

    /// <summary>
    /// An operand broadcast against a result of rank <paramref name="rank"/>: in TensorFlow's layout as it is,
    /// or channels-first (a lower-rank operand is first given leading ones, as broadcasting does, then permuted).
    /// </summary>
    private string Operand(Value v, int rank, bool channelsFirst)
    {
        if (!channelsFirst)
            return Native(v);
        if (v.Rank == 4)
            return ChannelsFirst(v);
        var shape4 = Enumerable.Repeat(1, 4 - v.Rank).Concat(v.Shape).ToArray();
        if (v.Constant is { } c)
        {
            var t = ConstantFolding.Transpose(ConstantFolding.Reshape(c, shape4), [0, 3, 1, 2]);
            return Materialize(t, t.Shape, "bcast_nchw");
        }
        var reshaped = _onnx.Node("Reshape", "bcast", [Native(v), _onnx.Int64Vector("bcast_shape", shape4.Select(d => (long)d).ToArray())]);
        return _onnx.Node("Transpose", "bcast_nchw", [reshaped], OnnxGraphBuilder.Ints("perm", [0, 3, 1, 2]));
    }

    private Value In(TfNode node, int index)
    {
        if (index >= node.Inputs.Count)
            throw new ArgumentException($"input {index} is missing");
        var reference = node.Inputs[index];
        var name = TfGraph.NodeOf(reference);
        if (reference.Length > name.Length && reference[(name.Length + 1)..] != "0")
            throw new ArgumentException($"it reads output {reference[(name.Length + 1)..]} of '{name}'; only single-output ops are translated");
        return _values.TryGetValue(name, out var v) ? v : throw new ArgumentException($"its input '{name}' is not computed before it");
    }

    /// <summary>An input that must be a constant (a filter, an axis, a shape).</summary>
    private TfTensor ConstIn(TfNode node, int index, string what) =>
        In(node, index).Constant ?? throw new ArgumentException($"its {what} (input {index}) is computed, not a constant; only constant {what}s are translated");

    private static int NormalizeAxis(int axis, int rank) =>
        axis < 0 ? axis + rank : axis < rank ? axis : throw new ArgumentException($"axis {axis} is outside a {rank}-D tensor");
}
