using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using FaceMesh.Training.Export;

namespace FaceMesh.Training.Backbones;

/// <summary>
/// MobileFaceNet (Chen et al., 2018) for 112×112 faces: a strided 3×3 stem, a depthwise 3×3, inverted
/// residual bottlenecks (expansion 2, or 4 where they halve the resolution) at 64 and 128 channels, a 1×1 to 512, then the global depthwise
/// convolution (7×7, linear) instead of pooling, a 1×1 to the embedding size and BN (the BN-neck).
/// About a million parameters: the small backbone for CPUs and phones.
/// </summary>
public sealed class MobileFaceNet : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Sequential _body;

    public MobileFaceNet(int embeddingSize = 512) : base(nameof(MobileFaceNet))
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>
        {
            ("conv1", ConvBnPrelu(3, 64, 3, 2, 1)),
            ("conv2_dw", ConvBnPrelu(64, 64, 3, 1, 1, groups: 64)),
        };
        int channels = 64, index = 0;
        // (expansion, output channels, blocks, first stride): the paper's table 1.
        foreach (var (expansion, output, blocks, stride) in new[] { (2, 64, 5, 2), (4, 128, 1, 2), (2, 128, 6, 1), (4, 128, 1, 2), (2, 128, 2, 1) })
            for (int b = 0; b < blocks; b++, index++)
            {
                layers.Add(($"bottleneck{index}", new Bottleneck(channels, output, b == 0 ? stride : 1, expansion)));
                channels = output;
            }
        layers.Add(("conv_sep", ConvBnPrelu(128, 512, 1, 1, 0)));
        layers.Add(("gdc", Sequential(("conv", Conv2d(512, 512, 7, groups: 512, bias: false)), ("bn", BatchNorm2d(512)))));
        layers.Add(("linear", Sequential(("conv", Conv2d(512, embeddingSize, 1, bias: false)), ("bn", BatchNorm2d(embeddingSize)))));
        layers.Add(("flatten", Flatten()));
        layers.Add(("features", BatchNorm1d(embeddingSize)));
        _body = Sequential(layers);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => _body.forward(x);

    public string ExportOnnx(OnnxGraph graph, string input, string prefix) => OnnxExporter.Module(graph, _body, input, prefix);

    private static Sequential ConvBnPrelu(int input, int output, int kernel, int stride, int padding, int groups = 1) =>
        Sequential(("conv", Conv2d(input, output, kernel, stride: stride, padding: padding, groups: groups, bias: false)),
                   ("bn", BatchNorm2d(output)), ("prelu", PReLU(output)));

    private sealed class Bottleneck : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly Sequential _body;
        private readonly bool _residual;

        public Bottleneck(int input, int output, int stride, int expansion) : base("Bottleneck")
        {
            int hidden = input * expansion;
            _body = Sequential(
                ("expand", ConvBnPrelu(input, hidden, 1, 1, 0)),
                ("depthwise", ConvBnPrelu(hidden, hidden, 3, stride, 1, groups: hidden)),
                ("project", Sequential(("conv", Conv2d(hidden, output, 1, bias: false)), ("bn", BatchNorm2d(output)))));
            _residual = stride == 1 && input == output;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => _residual ? x + _body.forward(x) : _body.forward(x);

        public string ExportOnnx(OnnxGraph graph, string input, string prefix)
        {
            var body = OnnxExporter.Module(graph, _body, input, prefix);
            return _residual ? OnnxExporter.Add(graph, input, body, prefix) : body;
        }
    }
}
