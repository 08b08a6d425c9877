using Google.Protobuf;

namespace FaceMesh.ModelPacks.Onnx;

/// <summary>
/// Makes the Ultra-Light face detector (RFB-320, as shipped) run at any input size. The published graph decodes its
/// boxes inside, against 4,420 priors fixed for 320×240, so a photo of any other size cannot be fed to it. The
/// convolutions themselves take any size: this cuts the graph where the four heads' box regressions are concatenated
/// (before the prior decoding), exposes that tensor as the output <see cref="RegressionOutput"/> next to the class
/// scores, and makes the input's batch, height and width symbolic. The priors are then generated for the size of
/// each run (<c>UltraLightPriors</c> in the pipeline), as the detector's authors generate them.
/// </summary>
public static class AnySizeDetector
{
    public const string RegressionOutput = "regression";
    public const string ScoresOutput = "scores";
    private const string DecodedOutput = "boxes";

    public static ModelProto Cut(ModelProto model)
    {
        var graph = model.Graph ?? throw new InvalidDataException("The ONNX model has no graph.");
        var producer = new Dictionary<string, NodeProto>();
        foreach (var node in graph.Node)
            foreach (var output in node.Output)
                producer[output] = node;
        if (!producer.ContainsKey(DecodedOutput) || graph.Output.All(o => o.Name != ScoresOutput))
            throw new InvalidDataException($"The detector graph has no '{DecodedOutput}' and '{ScoresOutput}' outputs: it is not the Ultra-Light graph this transform cuts.");

        // The regression: among the decoded boxes' ancestors, the axis-1 Concat of reshaped heads (the backbone's RFB
        // modules concatenate on axis 1 too, but convolution outputs).
        var decodeAncestors = Ancestors(DecodedOutput, producer);
        var heads = decodeAncestors.Where(n => n.OpType == "Concat" && n.Attribute.Any(a => a.Name == "axis" && a.I == 1)
                                               && n.Input.All(i => producer.TryGetValue(i, out var p) && p.OpType == "Reshape")).ToArray();
        if (heads.Length != 1)
            throw new InvalidDataException($"Expected one Concat of the box heads before the decoding, found {heads.Length}.");
        string regression = heads[0].Output[0];
        var keep = Ancestors(regression, producer).Concat(Ancestors(ScoresOutput, producer)).ToHashSet();
        var nodes = graph.Node.Where(keep.Contains).ToArray();
        graph.Node.Clear();
        graph.Node.Add(nodes);
        foreach (var node in nodes)
        {
            for (int i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == regression) node.Input[i] = RegressionOutput;
            for (int i = 0; i < node.Output.Count; i++)
                if (node.Output[i] == regression) node.Output[i] = RegressionOutput;
        }
        var used = nodes.SelectMany(n => n.Input).ToHashSet();
        var initializers = graph.Initializer.Where(t => used.Contains(t.Name)).ToArray();
        graph.Initializer.Clear();
        graph.Initializer.Add(initializers);

        var input = graph.Input.Single(i => initializers.All(t => t.Name != i.Name));
        var inputDims = input.Type.TensorType.Shape.Dim;
        string[] symbols = ["batch", "channels", "height", "width"];
        foreach (int axis in new[] { 0, 2, 3 })
            inputDims[axis] = new TensorShapeProto.Types.Dimension { DimParam = symbols[axis] };
        graph.Output.Clear();
        graph.Output.Add(Output(ScoresOutput, 2));
        graph.Output.Add(Output(RegressionOutput, 4));
        graph.ValueInfo.Clear();
        model.MetadataProps.Add(new StringStringEntryProto
        {
            Key = "facemesh.any-size",
            Value = $"cut before the prior decoding: outputs {ScoresOutput} [batch, anchors, 2] and {RegressionOutput} [batch, anchors, 4] " +
                    $"(centre offsets and log sizes, variances 0.1 and 0.2); {graph.Node.Count} nodes kept",
        });
        return model;
    }

    public static void Cut(string sourcePath, string targetPath)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(sourcePath));
        File.WriteAllBytes(targetPath, Cut(model).ToByteArray());
    }

    private static ValueInfoProto Output(string name, int last) => new()
    {
        Name = name,
        Type = new TypeProto
        {
            TensorType = new TypeProto.Types.Tensor
            {
                ElemType = (int)TensorProto.Types.DataType.Float,
                Shape = new TensorShapeProto
                {
                    Dim =
                    {
                        new TensorShapeProto.Types.Dimension { DimParam = "batch" },
                        new TensorShapeProto.Types.Dimension { DimParam = "anchors" },
                        new TensorShapeProto.Types.Dimension { DimValue = last },
                    },
                },
            },
        },
    };

    private static HashSet<NodeProto> Ancestors(string tensor, Dictionary<string, NodeProto> producer)
    {
        var found = new HashSet<NodeProto>();
        var pending = new Stack<string>([tensor]);
        while (pending.Count > 0)
        {
            if (!producer.TryGetValue(pending.Pop(), out var node) || !found.Add(node))
                continue;
            foreach (var input in node.Input)
                pending.Push(input);
        }
        return found;
    }
}
