using FaceMesh.ModelImport.Tests.Reference;
using FaceMesh.ModelPacks.TensorFlowJs;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FaceMesh.ModelImport.Tests;

/// <summary>One value of the graph compared: ONNX Runtime on the imported model against the reference interpreter.</summary>
public sealed record NodeDifference(string Node, string Op, double MaxDifference, double MaxReference)
{
    /// <summary>The tolerance: 1e-4, relative to the tensor's largest value where that exceeds 1.</summary>
    public const double Tolerance = 1e-4;

    public bool Matches => MaxDifference <= Tolerance * Math.Max(1, MaxReference);

    public override string ToString() => $"{Op} {Node}: max |ONNX − reference| {MaxDifference:G3} (largest value {MaxReference:G3})";
}

/// <summary>Runs an imported graph in ONNX Runtime and in <see cref="TfInterpreter"/> on the same input and compares every value.</summary>
public static class ImportCheck
{
    public static IReadOnlyList<NodeDifference> Compare(TfGraph graph, IReadOnlyList<string> outputs, float[] input, int[] shape)
    {
        var model = TfToOnnx.Convert(graph, new TfjsImportOptions { Outputs = outputs, ExposeEveryNode = true });
        var inputName = graph.Inputs[0].Name;
        using var session = new InferenceSession(model.ToByteArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(input, shape))]);
        var onnx = results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
        var reference = new TfInterpreter(graph).Run(new Dictionary<string, TfTensor> { [inputName] = TfTensor.Float(shape, input) }, outputs);
        var differences = new List<NodeDifference>();
        foreach (var node in graph.NodesFor(outputs))
        {
            if (!onnx.TryGetValue(node.Name, out var ours))
                continue; // constants and the input
            var expected = reference[node.Name].AsFloats();
            if (expected.Length != ours.Length)
                throw new InvalidOperationException($"{node.Op} {node.Name}: ONNX gives {ours.Length} values, the reference {expected.Length}.");
            double worst = 0, largest = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(expected[i] - ours[i]));
                largest = Math.Max(largest, Math.Abs(expected[i]));
            }
            differences.Add(new NodeDifference(node.Name, node.Op, worst, largest));
        }
        return differences;
    }

    /// <summary>Uniform random values in [lo, hi), reproducible by seed.</summary>
    public static float[] Random(int count, int seed, float lo = -1, float hi = 1)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => lo + (float)random.NextDouble() * (hi - lo)).ToArray();
    }

    public static void AssertAllMatch(IReadOnlyList<NodeDifference> differences)
    {
        Assert.NotEmpty(differences);
        var bad = differences.Where(d => !d.Matches).ToArray();
        Assert.True(bad.Length == 0, $"{bad.Length} of {differences.Count} values differ:\n{string.Join("\n", bad.Take(10))}");
    }
}
