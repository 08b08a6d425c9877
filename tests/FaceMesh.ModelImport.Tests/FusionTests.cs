using System.Numerics.Tensors;
using System.Text.Json;
using FaceMesh.Evaluation;
using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline;
using FaceMesh.Pipeline.Embedding;

namespace FaceMesh.ModelImport.Tests;

/// <summary>Fused packs: the fused cosine is the weighted mean of the models' cosines, weights are chosen by measurement, ids follow
/// weights.</summary>
public sealed class FusionTests
{
    [Fact]
    public void The_fused_cosine_is_the_weighted_mean_of_the_models_cosines_on_real_faces()
    {
        using var pipeline = FacePipeline.Open(TestPaths.DefaultPack);
        Assert.Equal(2, pipeline.Embedder.Models.Count);
        Assert.Equal(1.0, pipeline.Embedder.Weights.Sum(), 5);
        var faces = new[] { "obama.jpg", "obama2.jpg", "biden.jpg" }
            .Select(p => pipeline.FindPrimary(ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Example(p))))!.AlignedCrops).ToArray();
        var each = pipeline.Embedder.EmbedEach(faces);
        var fused = pipeline.Embedder.EmbedFaces(faces);
        for (int a = 0; a < faces.Length; a++)
        {
            Assert.Equal(1.0, TensorPrimitives.Norm(fused[a]), 5);
            for (int b = a + 1; b < faces.Length; b++)
            {
                double expected = Enumerable.Range(0, each.Length).Sum(m => pipeline.Embedder.Weights[m] * TensorPrimitives.Dot(each[m][a], each[m][b]));
                Assert.Equal(expected, TensorPrimitives.Dot(fused[a], fused[b]), 5);
            }
        }
    }

    [Fact]
    public void The_weight_search_gives_the_informative_model_the_weight()
    {
        // Model 0 separates the people (a per-identity direction plus a little noise); model 1 is noise.
        var random = new Random(11);
        float[] Unit(IEnumerable<float> v) { var a = v.ToArray(); FaceEmbedder.Normalize(a); return a; }
        float[] Noise(int d) => Enumerable.Range(0, d).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var identities = Enumerable.Range(0, 30).Select(_ =>
        {
            var centre = Noise(16);
            return (IReadOnlyList<float[][]>)Enumerable.Range(0, 4).Select(_ => new[]
            {
                Unit(centre.Zip(Noise(16), (c, n) => c + 0.3f * n)),
                Unit(Noise(16)),
            }).ToArray();
        }).ToArray();
        var ranked = FusionWeights.Search(identities, far: 1e-2, step: 0.1f);
        Assert.Equal(9, ranked.Count); // 0.1 … 0.9 for the first model
        Assert.True(ranked[0].Weights[0] >= 0.7f, $"best weights {string.Join(" ", ranked[0].Weights)}");
        Assert.Equal(0.1f, ranked[^1].Weights[0], 3); // the least weight on the informative model is the worst
        Assert.True(ranked[0].Tar > ranked[^1].Tar + 0.2, $"TAR {ranked[0].Tar:P1} against {ranked[^1].Tar:P1}");
    }

    [Fact]
    public void The_weight_grid_gives_every_model_a_say_and_sums_to_one()
    {
        var grid = FusionWeights.Simplex(3, 0.05f).ToArray();
        Assert.Equal(171, grid.Length); // C(19, 2): weights of at least one step each
        Assert.All(grid, w => { Assert.Equal(1.0, w.Sum(), 4); Assert.All(w, x => Assert.True(x >= 0.05f - 1e-6f)); });
        Assert.Throws<ArgumentException>(() => FusionWeights.Simplex(3, 0.5f).ToArray());
    }

    [Fact]
    public void A_fused_packs_model_id_follows_its_weights_and_its_manifest_is_checked()
    {
        var dir = TestPaths.NewTempDirectory();
        File.Copy(Path.Combine(TestPaths.DefaultPack, ModelPack.ManifestFileName), Path.Combine(dir, ModelPack.ManifestFileName));
        var pack = ModelPack.Load(dir, verifyFiles: false);
        string before = pack.Manifest.ModelId;
        Assert.StartsWith("fused:faceplugin-mfn512-0.0.1*", before);
        Assert.Contains("+dlib-resnet29-face-api-1.7.15*", before);
        var reweighted = pack.WithFusionWeights([0.5f, 0.5f], "a test");
        Assert.Equal("fused:faceplugin-mfn512-0.0.1*0.5+dlib-resnet29-face-api-1.7.15*0.5", reweighted.Manifest.ModelId);
        Assert.Equal(reweighted.Manifest.ModelId, ModelPack.Load(dir, verifyFiles: false).Manifest.ModelId); // written to disk
        Assert.NotEqual(before, reweighted.Manifest.ModelId); // a gallery of the old weights refuses the new embeddings

        var manifest = pack.Manifest with { Embedder = pack.Manifest.EmbeddingModels[0] };
        File.WriteAllText(Path.Combine(dir, ModelPack.ManifestFileName), JsonSerializer.Serialize(manifest, ModelPackManifest.Json));
        var both = Assert.Throws<ModelFileException>(() => ModelPack.Load(dir, verifyFiles: false));
        Assert.Contains("either 'embedder' (one model) or 'embedders'", both.Message);

        manifest = pack.Manifest with { Embedders = [pack.Manifest.EmbeddingModels[0] with { Weight = 0 }, pack.Manifest.EmbeddingModels[1]] };
        File.WriteAllText(Path.Combine(dir, ModelPack.ManifestFileName), JsonSerializer.Serialize(manifest, ModelPackManifest.Json));
        Assert.Contains("'weight' must be a positive number", Assert.Throws<ModelFileException>(() => ModelPack.Load(dir, verifyFiles: false)).Message);
    }

    [Fact]
    public void One_embedder_of_a_fused_pack_can_be_measured_alone()
    {
        using var pipeline = FacePipeline.Open(TestPaths.DefaultPack, new PipelineOptions { OnlyEmbedder = "dlib-resnet29-face-api-1.7.15" });
        Assert.Equal("dlib-resnet29-face-api-1.7.15", pipeline.ModelId);
        Assert.Equal(128, pipeline.Embedder.Dimension);
        Assert.False(pipeline.Thresholds.IsCalibrated);
        var face = pipeline.FindPrimary(ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Example("obama.jpg"))))!;
        Assert.Equal((150, 150), (face.AlignedCrop.Width, face.AlignedCrop.Height)); // dlib's chip only
        Assert.Contains("has no embedder 'nope'", Assert.Throws<ModelFileException>(() => FacePipeline.Open(TestPaths.DefaultPack, new PipelineOptions { OnlyEmbedder = "nope" })).Message);
    }
}
