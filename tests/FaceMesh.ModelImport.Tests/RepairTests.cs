using FaceMesh.ModelPacks.TensorFlowJs;
using static FaceMesh.ModelImport.Tests.TestGraph;

namespace FaceMesh.ModelImport.Tests;

/// <summary>The <c>prelu-fused-relu</c> repair: a PReLU whose ReLU the TensorFlow.js converter fused into the convolution before
/// it.</summary>
public sealed class RepairTests
{
    /// <summary>relu(x) + c·(x − |x|) after a convolution with the ReLU fused in: what the published mobilefacenet does.</summary>
    private static TfGraph FusedPrelu(out string output)
    {
        var g = new TestGraph();
        var x = g.Input("x", -1, 6, 6, 2);
        var conv = g.Node("FusedDepthwiseConv2dNative", "dw", [x, g.Const("w", [3, 3, 2, 1], ImportCheck.Random(18, 1)), g.Const("b", [2], [0.1f, -0.2f])],
            Attr("strides", 1, 1, 1, 1), Attr("padding", "SAME"), Strings("fused_ops", "BiasAdd", "Relu"));
        var abs = g.Node("Abs", "abs", [conv]);
        var sub = g.Node("Sub", "sub", [conv, abs]);
        var mul = g.Node("Mul", "mul", [sub, g.Const("c", [2], [0.125f, 0.25f])]);
        output = g.Node("Add", "add", [conv, mul]);
        return g.Build(output);
    }

    [Fact]
    public void The_fused_graph_computes_a_relu_and_the_repaired_one_a_prelu()
    {
        var graph = FusedPrelu(out var output);
        var input = ImportCheck.Random(72, 5);
        var before = new Reference.TfInterpreter(graph).Run(new Dictionary<string, TfTensor> { ["x"] = TfTensor.Float([1, 6, 6, 2], input) }, [output])[output].Floats;
        Assert.All(before, v => Assert.True(v >= 0)); // the negative branch is dead: relu(x) − |relu(x)| = 0

        var repaired = TfGraphRepairs.UnfusePreluRelu(graph);
        var values = new Reference.TfInterpreter(repaired).Run(new Dictionary<string, TfTensor> { ["x"] = TfTensor.Float([1, 6, 6, 2], input) }, [output]);
        var pre = values["dw"].Floats; // the convolution with its bias, no ReLU now
        var after = values[output].Floats;
        for (int i = 0; i < after.Length; i++)
        {
            float c = i % 2 == 0 ? 0.125f : 0.25f;
            Assert.Equal(pre[i] >= 0 ? pre[i] : 2 * c * pre[i], after[i], 5); // PReLU with slope 2c
        }
        Assert.Contains(after, v => v < 0);
        ImportCheck.AssertAllMatch(ImportCheck.Compare(repaired, [output], input, [1, 6, 6, 2]));
    }

    [Fact]
    public void Mobilefacenet_has_its_sixteen_fused_prelus_repaired()
    {
        var graph = TfjsGraphModel.Load(RegistryModels.Graph("mobilefacenet"));
        var repaired = TfGraphRepairs.UnfusePreluRelu(graph);
        Assert.Equal(16, repaired.Nodes.Count - graph.Nodes.Count); // one ReLU given back per depthwise block
        Assert.Equal(16, graph.Nodes.Count(n => n.Strings("fused_ops").SequenceEqual(["BiasAdd", "Relu"])));
        Assert.DoesNotContain(repaired.Nodes, n => n.Strings("fused_ops").SequenceEqual(["BiasAdd", "Relu"]));
    }
}
