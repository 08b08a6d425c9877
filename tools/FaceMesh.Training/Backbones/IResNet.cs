using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using FaceMesh.Training.Export;

namespace FaceMesh.Training.Backbones;

/// <summary>
/// IResNet (the "improved" ResNet of ArcFace's code) for 112×112 aligned faces: a 3×3 stem, four stages of
/// pre-activation basic blocks (BN → conv → BN → PReLU → conv → BN, plus the shortcut) at 64/128/256/512
/// channels, each halving the resolution (to 7×7), then the embedding neck: BN → dropout → flatten →
/// linear → BN (the "BN-neck", whose output is the embedding).
/// </summary>
public sealed class IResNet : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Sequential _stem, _stages, _neck;

    public static IResNet Create(int depth, int embeddingSize = 512, double dropout = 0) => depth switch
    {
        18 => new IResNet([2, 2, 2, 2], embeddingSize, dropout, "IResNet18"),
        34 => new IResNet([3, 4, 6, 3], embeddingSize, dropout, "IResNet34"),
        50 => new IResNet([3, 4, 14, 3], embeddingSize, dropout, "IResNet50"),
        _ => throw new ArgumentException($"IResNet-{depth} is not offered; use 18, 34 or 50."),
    };

    private IResNet(int[] blocks, int embeddingSize, double dropout, string name) : base(name)
    {
        _stem = Sequential(("conv", Conv2d(3, 64, 3, stride: 1, padding: 1, bias: false)), ("bn", BatchNorm2d(64, eps: 1e-5)), ("prelu", PReLU(64)));
        var stages = new List<(string, Module<Tensor, Tensor>)>();
        int channels = 64;
        int[] widths = [64, 128, 256, 512];
        for (int s = 0; s < 4; s++)
        {
            for (int b = 0; b < blocks[s]; b++)
            {
                stages.Add(($"layer{s + 1}_{b}", new Block(channels, widths[s], b == 0 ? 2 : 1)));
                channels = widths[s];
            }
        }
        _stages = Sequential(stages);
        _neck = Sequential(
            ("bn", BatchNorm2d(512, eps: 1e-5)),
            ("dropout", Dropout(dropout)),
            ("flatten", Flatten()),
            ("fc", Linear(512 * 7 * 7, embeddingSize)),
            ("features", BatchNorm1d(embeddingSize, eps: 1e-5)));
        RegisterComponents();
        foreach (var (_, module) in named_modules())
            if (module is Conv2d conv)
                init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
    }

    public override Tensor forward(Tensor x) => _neck.forward(_stages.forward(_stem.forward(x)));

    public string ExportOnnx(OnnxGraph graph, string input, string prefix) =>
        OnnxExporter.Module(graph, _neck, OnnxExporter.Module(graph, _stages, OnnxExporter.Module(graph, _stem, input, prefix + ".stem"), prefix + ".stages"), prefix + ".neck");

    private sealed class Block : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Sequential _body;
        private readonly Sequential? _shortcut;

        public Block(int input, int output, int stride) : base("IBasicBlock")
        {
            _body = Sequential(
                ("bn1", BatchNorm2d(input, eps: 1e-5)),
                ("conv1", Conv2d(input, output, 3, stride: 1, padding: 1, bias: false)),
                ("bn2", BatchNorm2d(output, eps: 1e-5)),
                ("prelu", PReLU(output)),
                ("conv2", Conv2d(output, output, 3, stride: stride, padding: 1, bias: false)),
                ("bn3", BatchNorm2d(output, eps: 1e-5)));
            if (stride != 1 || input != output)
                _shortcut = Sequential(("conv", Conv2d(input, output, 1, stride: stride, bias: false)), ("bn", BatchNorm2d(output, eps: 1e-5)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => _body.forward(x) + (_shortcut?.forward(x) ?? x);

        public string ExportOnnx(OnnxGraph graph, string input, string prefix) => OnnxExporter.Add(graph,
            OnnxExporter.Module(graph, _body, input, prefix + ".body"),
            _shortcut is null ? input : OnnxExporter.Module(graph, _shortcut, input, prefix + ".shortcut"), prefix);
    }
}
