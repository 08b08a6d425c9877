using FaceMesh.Training.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceMesh.Training.Tests;

/// <summary>Each backbone maps a batch of 112×112 faces to embeddings, with the published parameter counts.</summary>
public sealed class BackboneTests
{
    private static long Parameters(nn.Module module) => module.parameters().Sum(p => p.numel());

    [Theory]
    [InlineData("iresnet18", 24.0e6)]   // ArcFace's iresnet18: 24.0 M parameters at 512-d
    [InlineData("iresnet34", 34.1e6)]
    [InlineData("iresnet50", 43.6e6)]
    [InlineData("mobilefacenet", 1.2e6)] // the paper's 0.99 M is at 128-d (below); 512-d adds 384·512 to the last 1×1
    [InlineData("resnet18", 15.4e6)]    // ImageNet ResNet-18 without its fc (11.18 M) plus a 512·4·4 → 512 neck (4.19 M)
    public void A_backbone_embeds_a_batch_of_faces_with_the_expected_size(string name, double parameters)
    {
        using var _ = no_grad();
        nn.Module<Tensor, Tensor> model = name switch
        {
            "iresnet18" => IResNet.Create(18),
            "iresnet34" => IResNet.Create(34),
            "iresnet50" => IResNet.Create(50),
            "mobilefacenet" => new MobileFaceNet(),
            _ => new ResNet18(),
        };
        model.eval();
        var output = model.forward(randn(2, 3, 112, 112));
        Assert.Equal(new long[] { 2, 512 }, output.shape);
        Assert.InRange(Parameters(model), parameters * 0.95, parameters * 1.05);
    }

    [Fact]
    public void The_embedding_size_is_configurable_and_mobilefacenet_has_the_papers_size_at_128()
    {
        using var _ = no_grad();
        var model = new MobileFaceNet(embeddingSize: 128);
        model.eval();
        Assert.Equal(new long[] { 3, 128 }, model.forward(randn(3, 3, 112, 112)).shape);
        Assert.InRange(Parameters(model), 0.99e6 * 0.95, 0.99e6 * 1.05);
    }
}
