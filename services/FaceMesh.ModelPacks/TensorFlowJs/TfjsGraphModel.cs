using System.Text;
using System.Text.Json;

namespace FaceMesh.ModelPacks.TensorFlowJs;

/// <summary>
/// Reads a TensorFlow.js graph model (<c>model.json</c> with <c>format: graph-model</c>, and its weight
/// shards) into a <see cref="TfGraph"/>: every node with its attributes, every Const node's value, the
/// Placeholders with their shapes, and the outputs named by the model's signature (or, without one, the
/// nodes nothing reads).
/// </summary>
public static class TfjsGraphModel
{
    public static TfGraph Load(string modelJsonPath)
    {
        if (!File.Exists(modelJsonPath))
            throw new ModelFileException($"The TensorFlow.js model '{modelJsonPath}' is missing.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(modelJsonPath));
        }
        catch (JsonException e)
        {
            throw new ModelFileException($"'{modelJsonPath}' is not a TensorFlow.js model: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (!root.TryGetProperty("modelTopology", out var topology) || !topology.TryGetProperty("node", out var nodeArray)
                || !root.TryGetProperty("weightsManifest", out var manifest))
                throw new ModelFileException($"'{modelJsonPath}' is not a TensorFlow.js graph model: it lacks modelTopology.node or weightsManifest.");
            if (root.TryGetProperty("format", out var format) && format.GetString() is { } f && f != "graph-model")
                throw new ModelFileException($"'{modelJsonPath}' is a TensorFlow.js '{f}', not a graph model; FaceMesh imports graph models.");

            var nodes = nodeArray.EnumerateArray().Select(ReadNode).ToArray();
            var weights = TfjsWeights.Read(manifest, Path.GetDirectoryName(Path.GetFullPath(modelJsonPath))!, modelJsonPath);
            var constants = new Dictionary<string, TfTensor>(StringComparer.Ordinal);
            foreach (var node in nodes.Where(n => n.Op == "Const"))
            {
                if (!weights.TryGetValue(node.Name, out var value))
                    throw new ModelFileException($"{modelJsonPath}: the Const node '{node.Name}' has no entry in the weights manifest.");
                constants[node.Name] = value;
            }
            var inputs = nodes.Where(n => n.Op == "Placeholder")
                .Select(n => (n.Name, n.Attribute("shape")?.Shape ?? throw new ModelFileException($"{modelJsonPath}: the input '{n.Name}' has no shape.")))
                .ToArray();
            return new TfGraph
            {
                Source = modelJsonPath,
                Nodes = nodes,
                Constants = constants,
                Inputs = inputs,
                Outputs = SignatureOutputs(root) ?? Sinks(nodes),
            };
        }
    }

    private static TfNode ReadNode(JsonElement n)
    {
        var inputs = n.TryGetProperty("input", out var i)
            ? i.EnumerateArray().Select(x => x.GetString()!).Where(x => !x.StartsWith('^')).ToArray()
            : [];
        var attributes = new Dictionary<string, TfAttribute>(StringComparer.Ordinal);
        if (n.TryGetProperty("attr", out var attr))
            foreach (var a in attr.EnumerateObject())
                attributes[a.Name] = ReadAttribute(a.Value);
        return new TfNode(n.GetProperty("name").GetString()!, n.GetProperty("op").GetString()!, inputs, attributes);
    }

    private static TfAttribute ReadAttribute(JsonElement v)
    {
        // JSON of the TensorFlow AttrValue proto: int64 as strings, bytes as base64.
        if (v.TryGetProperty("i", out var i))
            return new TfAttribute { Int = long.Parse(i.ValueKind == JsonValueKind.String ? i.GetString()! : i.GetRawText()) };
        if (v.TryGetProperty("f", out var f))
            return new TfAttribute { Float = ReadFloat(f) };
        if (v.TryGetProperty("b", out var b))
            return new TfAttribute { Bool = b.GetBoolean() };
        if (v.TryGetProperty("s", out var s))
            return new TfAttribute { String = Encoding.UTF8.GetString(Convert.FromBase64String(s.GetString()!)) };
        if (v.TryGetProperty("type", out var t))
            return new TfAttribute { Type = t.GetString() };
        if (v.TryGetProperty("shape", out var shape))
            return new TfAttribute { Shape = ReadShape(shape) };
        if (v.TryGetProperty("list", out var list))
            return new TfAttribute
            {
                Ints = list.TryGetProperty("i", out var li) ? li.EnumerateArray().Select(x => long.Parse(x.ValueKind == JsonValueKind.String ? x.GetString()! : x.GetRawText())).ToArray() : null,
                Floats = list.TryGetProperty("f", out var lf) ? lf.EnumerateArray().Select(ReadFloat).ToArray() : null,
                Strings = list.TryGetProperty("s", out var ls) ? ls.EnumerateArray().Select(x => Encoding.UTF8.GetString(Convert.FromBase64String(x.GetString()!))).ToArray() : null,
            };
        return new TfAttribute(); // a tensor value (Const: read from the weights) or an empty list
    }

    private static float ReadFloat(JsonElement f) => f.ValueKind == JsonValueKind.String
        ? f.GetString() switch { "NaN" => float.NaN, "Infinity" => float.PositiveInfinity, "-Infinity" => float.NegativeInfinity, var x => float.Parse(x!, System.Globalization.CultureInfo.InvariantCulture) }
        : f.GetSingle();

    private static long[] ReadShape(JsonElement shape) =>
        shape.TryGetProperty("dim", out var dims)
            ? dims.EnumerateArray().Select(d => d.TryGetProperty("size", out var size) ? long.Parse(size.ValueKind == JsonValueKind.String ? size.GetString()! : size.GetRawText()) : -1).ToArray()
            : [];

    /// <summary>Output node names from <c>signature.outputs</c> (at the top level or in userDefinedMetadata).</summary>
    private static string[]? SignatureOutputs(JsonElement root)
    {
        JsonElement signature = default;
        bool found = root.TryGetProperty("signature", out signature)
            || (root.TryGetProperty("userDefinedMetadata", out var meta) && meta.TryGetProperty("signature", out signature));
        if (!found || !signature.TryGetProperty("outputs", out var outputs))
            return null;
        return outputs.EnumerateObject()
            .Select(o => o.Value.TryGetProperty("name", out var name) ? name.GetString()! : o.Name)
            .Select(TfGraph.NodeOf)
            .ToArray();
    }

    private static string[] Sinks(IReadOnlyList<TfNode> nodes)
    {
        var read = nodes.SelectMany(n => n.Inputs).Select(TfGraph.NodeOf).ToHashSet(StringComparer.Ordinal);
        return nodes.Where(n => n.Op != "Const" && !read.Contains(n.Name)).Select(n => n.Name).ToArray();
    }
}
