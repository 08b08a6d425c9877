using FaceMesh.ModelPacks.Onnx;
using FaceMesh.ModelPacks.TensorFlowJs;
using static FaceMesh.ModelImport.Tests.TestGraph;

namespace FaceMesh.ModelImport.Tests;

/// <summary>Each translated op on its own, in the settings the face models use and the traps MODELS.md names.</summary>
public sealed class OpTests
{
    private static void AssertMatches(TfGraph graph, params int[] inputShape)
    {
        var count = inputShape.Aggregate(1, (a, b) => a * b);
        ImportCheck.AssertAllMatch(ImportCheck.Compare(graph, graph.Outputs, ImportCheck.Random(count, seed: 3), inputShape));
    }

    private static float[] Weights(int count, int seed) => ImportCheck.Random(count, seed, -0.5f, 0.5f);

    [Fact]
    public void Same_padding_puts_the_odd_pixel_bottom_right()
    {
        // A 5×5 stride-2 convolution on 256 pixels: TensorFlow pads 1 before and 2 after on each axis.
        var g = new TestGraph();
        var x = g.Input("x", -1, 256, 256, 3);
        var w = g.Const("w", [5, 5, 3, 4], Weights(5 * 5 * 3 * 4, 1));
        g.Node("Conv2D", "conv", [x, w], Attr("strides", 1, 2, 2, 1), Attr("padding", "SAME"), Attr("data_format", "NHWC"));
        var graph = g.Build("conv");
        var conv = TfToOnnx.Convert(graph).Graph.Node.Single(n => n.OpType == "Conv");
        Assert.Equal([1L, 1, 2, 2], conv.Attribute.Single(a => a.Name == "pads").Ints); // top, left, bottom, right
        AssertMatches(graph, 1, 256, 256, 3);
    }

    [Fact]
    public void Depthwise_and_fused_convolutions_with_bias_relu6_and_prelu_match()
    {
        var g = new TestGraph();
        var x = g.Input("x", -1, 17, 15, 4);
        var dw = g.Node("FusedDepthwiseConv2dNative", "dw", [x, g.Const("dw_w", [3, 3, 4, 2], Weights(72, 2)), g.Const("dw_b", [8], Weights(8, 3))],
            Attr("strides", 1, 2, 2, 1), Attr("padding", "SAME"), Strings("fused_ops", "BiasAdd", "Relu6"));
        var conv = g.Node("_FusedConv2D", "conv", [dw, g.Const("c_w", [1, 1, 8, 6], Weights(48, 4)), g.Const("c_b", [6], Weights(6, 5)), g.Const("alpha", [6], Weights(6, 6))],
            Attr("strides", 1, 1, 1, 1), Attr("padding", "VALID"), Strings("fused_ops", "BiasAdd", "Prelu"));
        var pooled = g.Node("MaxPool", "pool", [conv], Attr("ksize", 1, 3, 3, 1), Attr("strides", 1, 2, 2, 1), Attr("padding", "SAME"));
        g.Node("AvgPool", "avg", [pooled], Attr("ksize", 1, 2, 2, 1), Attr("strides", 1, 1, 1, 1), Attr("padding", "SAME"));
        AssertMatches(g.Build("avg"), 1, 17, 15, 4);
    }

    [Fact]
    public void Pad_on_the_channel_axis_and_reshape_after_a_4d_tensor_keep_tensorflows_order()
    {
        var g = new TestGraph();
        var x = g.Input("x", -1, 4, 5, 3);
        var conv = g.Node("Conv2D", "conv", [x, g.Const("w", [3, 3, 3, 2], Weights(54, 7))], Attr("strides", 1, 1, 1, 1), Attr("padding", "SAME"));
        var padded = g.Node("Pad", "pad", [conv, g.Const("p", TfTensor.Int([4, 2], [0, 0, 1, 0, 0, 2, 0, 3]))]);
        // Flatten: the next layer sees H, W, C order, not C, H, W.
        g.Node("Reshape", "flat", [padded, g.Ints("shape", -1, 5 * 7 * 5)]);
        AssertMatches(g.Build("flat"), 1, 4, 5, 3);
    }

    [Fact]
    public void Concat_squeeze_mean_and_softmax_remap_their_axes()
    {
        var g = new TestGraph();
        var x = g.Input("x", -1, 6, 6, 4);
        var a = g.Node("Conv2D", "a", [x, g.Const("wa", [1, 1, 4, 3], Weights(12, 8))], Attr("strides", 1, 1, 1, 1), Attr("padding", "VALID"));
        var b = g.Node("Relu", "b", [x]);
        var joined = g.Node("ConcatV2", "cat", [a, b, g.Ints("axis", -1)]);
        var mean = g.Node("Mean", "mean", [joined, g.Ints("axes", 1)], ("keep_dims", new TfAttribute { Bool = false })); // N, W, C: the channels stay last
        var sum = g.Node("Sum", "sum", [mean, g.Ints("axes2", 1)], ("keep_dims", new TfAttribute { Bool = true }));
        var squeezed = g.Node("Squeeze", "squeeze", [sum], Attr("squeeze_dims", 1));
        g.Node("Softmax", "softmax", [squeezed]);
        AssertMatches(g.Build("softmax"), 1, 6, 6, 4);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void Depth_to_space_and_resize_bilinear_match(bool alignCorners, bool halfPixel)
    {
        var g = new TestGraph();
        var x = g.Input("x", -1, 5, 7, 8);
        var d2s = g.Node("DepthToSpace", "d2s", [x], Attr("block_size", 2L), Attr("data_format", "NHWC"));
        g.Node("ResizeBilinear", "resize", [d2s, g.Ints("size", 23, 9)], Attr("align_corners", alignCorners), Attr("half_pixel_centers", halfPixel));
        AssertMatches(g.Build("resize"), 1, 5, 7, 8);
    }

    [Fact]
    public void Shape_strided_slice_and_pack_fold_to_a_reshape_that_takes_any_batch()
    {
        var g = new TestGraph();
        var x = g.Input("x", -1, 4, 4, 6);
        var shape = g.Node("Shape", "shape", [x]);
        var batch = g.Node("StridedSlice", "batch", [shape, g.Ints("b", 0), g.Ints("e", 1), g.Ints("s", 1)], Attr("shrink_axis_mask", 1L));
        var target = g.Node("Pack", "target", [batch, g.Const("rows", TfTensor.Int([], [-1])), g.Const("cols", TfTensor.Int([], [3]))], Attr("axis", 0L));
        g.Node("Reshape", "reshaped", [x, target]);
        var graph = g.Build("reshaped");
        var reshape = TfToOnnx.Convert(graph).Graph;
        var shapeTensor = reshape.Initializer.Single(i => i.Name.StartsWith("reshaped/shape"));
        Assert.Equal([0L, -1, 3], BatchShape(shapeTensor)); // 0: copy the batch
        AssertMatches(graph, 1, 4, 4, 6);
        AssertMatches(graph, 3, 4, 4, 6); // a batch of three through the same model
    }

    [Fact]
    public void Matmul_with_transposed_weights_bias_and_elementwise_ops_match()
    {
        var g = new TestGraph();
        var x = g.Input("x", -1, 10);
        var m = g.Node("_FusedMatMul", "fc", [x, g.Const("w", [4, 10], Weights(40, 9)), g.Const("b", [4], Weights(4, 10))],
            Attr("transpose_b", true), Strings("fused_ops", "BiasAdd", "Relu"));
        var square = g.Node("Square", "sq", [m]);
        var norm = g.Node("Rsqrt", "rsqrt", [g.Node("Maximum", "max", [g.Node("Sum", "s", [square, g.Ints("ax", 1)], ("keep_dims", new TfAttribute { Bool = true })), g.Const("eps", [], [1e-6f])])]);
        var scaled = g.Node("Mul", "mul", [m, norm]);
        var shifted = g.Node("Sub", "sub", [g.Node("Abs", "abs", [scaled]), g.Const("half", [], [0.5f])]);
        g.Node("Minimum", "min", [g.Node("Sigmoid", "sig", [shifted]), g.Const("cap", [4], [0.6f, 0.7f, 0.8f, 0.9f])]);
        AssertMatches(g.Build("min"), 2, 10);
    }

    private static long[] BatchShape(ModelPacks.Onnx.TensorProto t)
    {
        var raw = t.RawData.ToByteArray();
        return Enumerable.Range(0, raw.Length / 8).Select(i => BitConverter.ToInt64(raw, i * 8)).ToArray();
    }
}
