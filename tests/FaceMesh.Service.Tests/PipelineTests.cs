using FaceMesh.Imaging;
using FaceMesh.Pipeline.Embedding;

namespace FaceMesh.Service.Tests;

[Collection(PipelineCollection.Name)]
public sealed class PipelineTests(PipelineFixture fixture)
{
    private FacePipeline Pipeline => fixture.Pipeline;

    [Fact]
    public void Two_people_photo_has_two_faces_with_eyes_inside_their_boxes()
    {
        var image = PipelineFixture.Load(TestPaths.Example("two_people.jpg"));
        var faces = Pipeline.Detect(image);
        Assert.Equal(2, faces.Count);
        foreach (var face in faces)
        {
            Assert.True(face.Score > 0.9f, $"score {face.Score}");
            Assert.True(face.Box.Height is > 100 and < 300, $"box {face.Box}");
            foreach (var eye in face.Landmarks[..2])
                Assert.True(eye.X > face.Box.Left && eye.X < face.Box.Right && eye.Y > face.Box.Top && eye.Y < face.Box.CenterY,
                            $"eye {eye} outside the upper half of {face.Box}");
            Assert.True(face.Landmarks[0].X < face.Landmarks[1].X, "the first eye is the one on the left of the image");
            Assert.Equal((112, 112), (face.AlignedCrop.Width, face.AlignedCrop.Height));
        }
        // Obama (left) and Biden (right) are different people.
        var e = Pipeline.Embed(faces.OrderBy(f => f.Box.Left).ToArray());
        Assert.True(CosineSimilarity.Of(e[0], e[1]) < Pipeline.Thresholds.At(1e-3));
    }

    [Theory]
    [InlineData("obama-240p.jpg")]
    [InlineData("obama-480p.jpg")]
    [InlineData("obama-720p.jpg")]
    [InlineData("obama-1080p.jpg")]
    [InlineData("obama_small.jpg")]
    public void Obama_at_every_size_matches_another_photo_of_him_and_not_Biden(string photo)
    {
        float threshold = Pipeline.Thresholds.At(1e-3);
        var probe = fixture.EmbedPrimary(TestPaths.Example(photo));
        var obama = fixture.EmbedPrimary(TestPaths.Example("obama2.jpg"));
        var biden = fixture.EmbedPrimary(TestPaths.Example("biden.jpg"));
        float same = CosineSimilarity.Of(probe, obama), different = CosineSimilarity.Of(probe, biden);
        Assert.True(same >= threshold, $"{photo} vs obama2.jpg: {same:F3} < threshold {threshold:F3}");
        Assert.True(different < threshold, $"{photo} vs biden.jpg: {different:F3} ≥ threshold {threshold:F3}");
    }

    [Fact]
    public void The_same_photo_at_four_sizes_gives_nearly_the_same_embedding()
    {
        var sizes = new[] { "obama-240p.jpg", "obama-480p.jpg", "obama-720p.jpg", "obama-1080p.jpg" }
            .Select(p => fixture.EmbedPrimary(TestPaths.Example(p))).ToArray();
        for (int i = 1; i < sizes.Length; i++)
            Assert.True(CosineSimilarity.Of(sizes[0], sizes[i]) > 0.8f, $"240p vs size {i}: {CosineSimilarity.Of(sizes[0], sizes[i]):F3}");
    }

    [Fact]
    public void Photo_without_a_face_is_a_normal_answer_with_zero_faces()
    {
        // The lower part of a real photo: suits, arms and a watch, no face.
        var image = PipelineFixture.Load(TestPaths.Example("two_people.jpg"));
        var noFace = Resampler.Crop(image, 0, 400, image.Width, image.Height - 400);
        Assert.Empty(Pipeline.Detect(noFace));
        Assert.Null(Pipeline.FindPrimary(noFace));
    }

    [Fact]
    public void Embeddings_are_unit_vectors_of_the_models_size()
    {
        var e = fixture.EmbedPrimary(TestPaths.Example("biden.jpg"));
        Assert.Equal(512 + 128, e.Length); // the default pack: the 512-d MobileFaceNet-like model fused with dlib's 128-d ResNet
        Assert.Equal(1.0, Math.Sqrt(e.Sum(v => (double)v * v)), 4);
    }

    [Fact]
    public void Batched_embedding_equals_one_at_a_time()
    {
        var faces = new[] { "obama.jpg", "biden.jpg", "obama2.jpg" }
            .Select(p => Pipeline.FindPrimary(PipelineFixture.Load(TestPaths.Example(p)))!).ToArray();
        var batched = Pipeline.Embedder.EmbedFaces(faces.Select(f => f.AlignedCrops).ToArray(), flip: true);
        Assert.All(Pipeline.Embedder.Models, m => Assert.True(m.SupportsBatching, $"{m.ModelId} has a fixed batch size"));
        for (int i = 0; i < faces.Length; i++)
        {
            var single = Pipeline.Embedder.EmbedFaces([faces[i].AlignedCrops], flip: true)[0];
            for (int k = 0; k < single.Length; k++)
                Assert.Equal(single[k], batched[i][k], 4);
        }
    }

    [Fact]
    public void Quality_is_lower_for_a_blurred_face()
    {
        var image = PipelineFixture.Load(TestPaths.Example("obama-720p.jpg"));
        var sharp = Pipeline.FindPrimary(image)!;
        var blurred = Pipeline.FindPrimary(Resampler.Resize(Resampler.Resize(image, image.Width / 8, image.Height / 8), image.Width, image.Height))!;
        Assert.True(sharp.Quality.Sharpness > blurred.Quality.Sharpness + 0.2f, $"sharp {sharp.Quality}, blurred {blurred.Quality}");
        Assert.True(sharp.Quality.Overall > blurred.Quality.Overall, $"sharp {sharp.Quality}, blurred {blurred.Quality}");
        Assert.InRange(sharp.Quality.Overall, 0.5f, 1f);
    }

    [Fact]
    public void Decisions_are_made_at_the_calibrated_thresholds()
    {
        var t = Pipeline.Thresholds;
        Assert.True(t.IsCalibrated, "the default pack ships calibrated thresholds");
        // Stricter false-accept rates need higher thresholds.
        Assert.True(t.At(1e-2) < t.At(1e-3) && t.At(1e-3) < t.At(1e-4));
        var decisions = t.Decide(t.At(1e-3));
        Assert.Equal([true, true, false, false], decisions.Select(d => d.Match).ToArray());
        var e = Assert.Throws<KeyNotFoundException>(() => t.At(0.5));
        Assert.Contains("calibrated levels", e.Message);
    }
}
