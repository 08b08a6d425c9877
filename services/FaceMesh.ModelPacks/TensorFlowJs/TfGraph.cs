namespace FaceMesh.ModelPacks.TensorFlowJs;

/// <summary>
/// A TensorFlow graph with its constants: what a TensorFlow.js graph model holds (<see cref="TfjsGraphModel"/>),
/// or a graph FaceMesh writes itself for weights that come without one (<see cref="FaceApi.DlibResNet"/>).
/// Nodes are in the file's order; <see cref="Inputs"/> are the Placeholders with their NHWC shapes (−1 for
/// the batch), <see cref="Outputs"/> the values the model is used for.
/// </summary>
public sealed record TfGraph
{
    /// <summary>The file the graph came from, for error messages.</summary>
    public required string Source { get; init; }
    public required IReadOnlyList<TfNode> Nodes { get; init; }
    /// <summary>The value of every Const node, by node name.</summary>
    public required IReadOnlyDictionary<string, TfTensor> Constants { get; init; }
    public required IReadOnlyList<(string Name, long[] Shape)> Inputs { get; init; }
    public required IReadOnlyList<string> Outputs { get; init; }

    /// <summary>The node name of an input reference (<c>node:0</c> → <c>node</c>).</summary>
    public static string NodeOf(string input)
    {
        int colon = input.LastIndexOf(':');
        return colon > 0 && int.TryParse(input.AsSpan(colon + 1), out _) ? input[..colon] : input;
    }

    /// <summary>
    /// The nodes needed to compute <paramref name="outputs"/> (dead branches dropped), each after the nodes it
    /// reads: a graph file need not list its nodes in that order.
    /// </summary>
    public IReadOnlyList<TfNode> NodesFor(IEnumerable<string> outputs)
    {
        var byName = new Dictionary<string, TfNode>(StringComparer.Ordinal);
        foreach (var node in Nodes)
            if (!byName.TryAdd(node.Name, node))
                throw new ModelFileException($"{Source}: two nodes are named '{node.Name}'.");
        var order = new List<TfNode>();
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: being visited, true: done
        foreach (var output in outputs)
        {
            // Depth-first, with an explicit stack (graphs can be deeper than the call stack likes).
            var stack = new Stack<(string Name, bool Expanded)>();
            stack.Push((NodeOf(output), false));
            while (stack.Count > 0)
            {
                var (name, expanded) = stack.Pop();
                if (expanded)
                {
                    state[name] = true;
                    order.Add(byName[name]);
                    continue;
                }
                if (state.TryGetValue(name, out var done))
                {
                    if (!done)
                        throw new ModelFileException($"{Source}: the graph has a cycle through node '{name}'.");
                    continue;
                }
                if (!byName.TryGetValue(name, out var node))
                    throw new ModelFileException($"{Source}: the graph has no node '{name}'.");
                state[name] = false;
                stack.Push((name, true));
                foreach (var input in node.Inputs.Reverse())
                {
                    var from = NodeOf(input);
                    if (!state.TryGetValue(from, out var visited))
                        stack.Push((from, false));
                    else if (!visited)
                        throw new ModelFileException($"{Source}: the graph has a cycle through node '{from}'.");
                }
            }
        }
        return order;
    }
}
