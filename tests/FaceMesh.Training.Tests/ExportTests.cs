using FaceMesh.Imaging;
using FaceMesh.Training.Backbones;
using FaceMesh.Training.Data;
using FaceMesh.Training.Export;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceMesh.Training.Tests;

/// <summary>A backbone exported with FaceMesh's own ONNX writer gives, in ONNX Runtime, TorchSharp's embeddings.</summary>
public sealed class ExportTests(AlignedCrops crops) : IClassFixture<AlignedCrops>
{
    [Theory]
    [InlineData("mobilefacenet")]
    [InlineData("iresnet18")]
    [InlineData("resnet18")]
    public void Onnx_runtime_matches_torchsharp_within_1e4_on_real_aligned_crops_at_any_batch_size(string name)
    {
        manual_seed(3);
        var backbone = Trainer.CreateBackbone(new TrainingConfig { Backbone = name });
        var files = Directory.GetFiles(crops.Root, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(24).ToArray();
        var images = files.Select(f => ImageDecoder.Decode(File.ReadAllBytes(f))).ToArray();
        // Batch norms with real running statistics: a few training-mode passes over the crops.
        backbone.train();
        using (no_grad())
            for (int i = 0; i < 3; i++)
                backbone.forward(Batches.ToTensor(images));
        backbone.eval();
        var input = Batches.ToTensor(images[..5]);
        float[] expected;
        using (no_grad())
            expected = backbone.forward(input).data<float>().ToArray();

        var path = Path.Combine(crops.Root + "-runs", $"{name}.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        OnnxExporter.Save(OnnxExporter.Export(backbone, 512), path);
        using var session = new InferenceSession(path);
        foreach (int batch in new[] { 5, 1 })
        {
            var values = input.data<float>().ToArray()[..(batch * 3 * 112 * 112)];
            var feed = new DenseTensor<float>(values, [batch, 3, 112, 112]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExporter.Input, feed)]);
            var actual = results.Single(r => r.Name == OnnxExporter.Output).AsEnumerable<float>().ToArray();
            Assert.Equal(batch * 512, actual.Length);
            double worst = actual.Select((v, i) => Math.Abs(v - expected[i])).Max();
            Assert.True(worst <= 1e-4, $"{name}, batch {batch}: largest difference {worst:G3}");
        }
    }
}
