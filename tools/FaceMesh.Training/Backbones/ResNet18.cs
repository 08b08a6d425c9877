using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using FaceMesh.Training.Export;

namespace FaceMesh.Training.Backbones;

/// <summary>
/// The ImageNet ResNet-18 (He et al., 2016; torchvision's layout and parameter names: conv1, bn1, layer1.0.conv1,
/// …), so ImageNet weights can be loaded into it, with the classifier replaced by the face embedding neck:
/// BN → dropout → flatten → linear → BN. On a 112×112 face the last stage is 4×4.
/// </summary>
public sealed class ResNet18 : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1, layer2, layer3, layer4, neck;

    /// <summary>The blocks per stage of the ResNet-18 in Microsoft.ML.DnnImageFeaturizer.ResNet18 (its last stage has three).</summary>
    public static readonly int[] DnnImageFeaturizerBlocks = [2, 2, 2, 3];

    /// <param name="blocks">Basic blocks per stage: [2, 2, 2, 2] is He et al.'s ResNet-18; <see cref="DnnImageFeaturizerBlocks"/> matches
    /// the ImageNet weights FaceMesh loads.</param>
    public ResNet18(int embeddingSize = 512, double dropout = 0, int inputSize = 112, int[]? blocks = null) : base(nameof(ResNet18))
    {
        Blocks = blocks ?? [2, 2, 2, 2];
        conv1 = Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(64);
        maxpool = MaxPool2d(3, stride: 2, padding: 1);
        layer1 = Stage(64, 64, 1, Blocks[0]);
        layer2 = Stage(64, 128, 2, Blocks[1]);
        layer3 = Stage(128, 256, 2, Blocks[2]);
        layer4 = Stage(256, 512, 2, Blocks[3]);
        int side = inputSize;
        for (int i = 0; i < 5; i++)
            side = (side + 1) / 2; // conv1, maxpool, layer2..4 halve (rounding up)
        neck = Sequential(("bn", BatchNorm2d(512)), ("dropout", Dropout(dropout)), ("flatten", Flatten()),
                          ("fc", Linear(512 * side * side, embeddingSize)), ("features", BatchNorm1d(embeddingSize)));
        RegisterComponents();
    }

    public IReadOnlyList<int> Blocks { get; }

    /// <summary>The parameters and buffers that ImageNet weights fill (everything but the neck).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> ImageNetState() =>
        state_dict().Where(kv => !kv.Key.StartsWith("neck.", StringComparison.Ordinal)).Select(kv => (kv.Key, kv.Value));

    public override Tensor forward(Tensor x) => neck.forward(Features(x));

    /// <summary>The last stage's feature map (before the face neck): what ImageNet weights are checked on.</summary>
    public Tensor Features(Tensor x)
    {
        x = maxpool.forward(functional.relu(bn1.forward(conv1.forward(x))));
        return layer4.forward(layer3.forward(layer2.forward(layer1.forward(x))));
    }

    public string ExportOnnx(OnnxGraph graph, string input, string prefix)
    {
        var x = OnnxExporter.Module(graph, conv1, input, prefix + ".conv1");
        x = graph.Node("Relu", prefix, [OnnxExporter.Module(graph, bn1, x, prefix + ".bn1")]);
        x = OnnxExporter.Module(graph, maxpool, x, prefix + ".maxpool");
        foreach (var (name, stage) in new[] { ("layer1", layer1), ("layer2", layer2), ("layer3", layer3), ("layer4", layer4) })
            x = OnnxExporter.Module(graph, stage, x, $"{prefix}.{name}");
        return OnnxExporter.Module(graph, neck, x, prefix + ".neck");
    }

    private static Sequential Stage(int input, int output, int stride, int blocks) =>
        Sequential(Enumerable.Range(0, blocks).Select(b => ($"{b}", (Module<Tensor, Tensor>)new BasicBlock(b == 0 ? input : output, output, b == 0 ? stride : 1))));

    private sealed class BasicBlock : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Conv2d conv1, conv2;
        private readonly BatchNorm2d bn1, bn2;
        private readonly Sequential? downsample;

        public BasicBlock(int input, int output, int stride) : base(nameof(BasicBlock))
        {
            conv1 = Conv2d(input, output, 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(output);
            conv2 = Conv2d(output, output, 3, padding: 1, bias: false);
            bn2 = BatchNorm2d(output);
            if (stride != 1 || input != output)
                downsample = Sequential(("0", Conv2d(input, output, 1, stride: stride, bias: false)), ("1", BatchNorm2d(output)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var y = bn2.forward(conv2.forward(functional.relu(bn1.forward(conv1.forward(x)))));
            return functional.relu(y + (downsample?.forward(x) ?? x));
        }

        public string ExportOnnx(OnnxGraph graph, string input, string prefix)
        {
            var y = OnnxExporter.Module(graph, conv1, input, prefix + ".conv1");
            y = graph.Node("Relu", prefix, [OnnxExporter.Module(graph, bn1, y, prefix + ".bn1")]);
            y = OnnxExporter.Module(graph, bn2, OnnxExporter.Module(graph, conv2, y, prefix + ".conv2"), prefix + ".bn2");
            var shortcut = downsample is null ? input : OnnxExporter.Module(graph, downsample, input, prefix + ".downsample");
            return graph.Node("Relu", prefix, [OnnxExporter.Add(graph, y, shortcut, prefix)]);
        }
    }
}
