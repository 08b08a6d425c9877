using FaceMesh.Training.Backbones;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceMesh.Training.Tests;

/// <summary>The ImageNet ResNet-18 of Microsoft.ML.DnnImageFeaturizer.ResNet18, loaded into the TorchSharp backbone.</summary>
public sealed class ImageNetTests
{
    [Fact]
    public void Weights_for_another_layout_are_refused_with_the_fix()
    {
        var e = Assert.Throws<InvalidDataException>(() => ImageNetWeights.LoadInto(new ResNet18()));
        Assert.Contains("DnnImageFeaturizerBlocks", e.Message);
    }

    [Fact]
    public void The_loaded_backbone_computes_the_onnx_models_imagenet_features()
    {
        manual_seed(5);
        var model = new ResNet18(blocks: ResNet18.DnnImageFeaturizerBlocks);
        Assert.Equal(110, ImageNetWeights.LoadInto(model)); // 22 convolutions and their batch norms (weight, bias, mean, variance)
        model.eval();
        using var session = new InferenceSession(ImageNetWeights.DefaultPath);
        var input = session.InputMetadata.Single();
        var dims = input.Value.Dimensions.Select(d => d < 0 ? 1 : d).ToArray();
        var pixels = rand([.. dims.Select(d => (long)d)]) * 2 - 1;
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input.Key, new DenseTensor<float>(pixels.data<float>().ToArray(), dims))]);
        var expected = results.First().AsEnumerable<float>().ToArray();
        float[] actual;
        using (no_grad())
            actual = model.Features(pixels).mean([2, 3]).data<float>().ToArray(); // global average pooling, as the ONNX model ends
        Assert.Equal(expected.Length, actual.Length);
        double worst = actual.Select((v, i) => Math.Abs(v - expected[i])).Max();
        Assert.True(worst <= 1e-4 * Math.Max(1, expected.Max(Math.Abs)), $"largest difference {worst:G3} (features up to {expected.Max(Math.Abs):G3})");
    }
}
