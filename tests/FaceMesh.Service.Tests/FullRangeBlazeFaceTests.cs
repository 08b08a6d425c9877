using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.ModelPacks.TensorFlowJs;
using FaceMesh.Pipeline.Detection;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Service.Tests;

/// <summary>
/// MediaPipe's full-range BlazeFace, the default pack's second detector: imported from its TensorFlow.js graph for any
/// input size (TfjsImportOptions.AnySpatialSize), decoded with its published anchors (one per 4-pixel cell).
/// </summary>
public sealed class FullRangeBlazeFaceTests
{
    private static readonly ModelPack Pack = ModelPack.Load(TestPaths.DefaultPack);
    private static readonly DetectorSpec Spec = Pack.Manifest.SecondDetector!;

    private static BlazeFaceDetector Open() => new(Pack.PathOf(Spec.File), Spec, new InferenceOptions());

    [Fact]
    public void Imported_for_any_size_it_computes_at_192_what_the_fixed_size_import_computes_and_runs_at_other_sizes()
    {
        var fixedPath = Path.Combine(Path.GetTempPath(), $"facemesh-blazeface-fixed-{Guid.NewGuid():N}.onnx");
        try
        {
            var graph = TfjsGraphModel.Load(Pack.PathOf("facemesh-detection-full.json"));
            TfToOnnx.Write(TfToOnnx.Convert(graph, new TfjsImportOptions { Outputs = ["Identity"] }), fixedPath);
            using var fixedSize = new OnnxModel(fixedPath, new InferenceOptions());
            using var anySize = new OnnxModel(Pack.PathOf(Spec.File), new InferenceOptions());
            var random = new Random(5);
            var input = Enumerable.Range(0, 192 * 192 * 3).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var expected = fixedSize.Run(input, [1, 192, 192, 3]).Values.Single();
            var actual = anySize.Run(input, [1, 192, 192, 3]).Values.Single();
            Assert.Equal(2304 * 17, expected.Length);
            Assert.Equal(expected.Length, actual.Length);
            float scale = expected.Max(MathF.Abs);
            float worst = expected.Zip(actual, (e, a) => MathF.Abs(e - a)).Max();
            Assert.True(worst <= 1e-4f * scale, $"largest difference {worst} (values up to {scale})");

            // 384×256: a 96×64 grid of anchors, 17 values each.
            var wide = anySize.Run(new float[256 * 384 * 3], [1, 256, 384, 3]).Values.Single();
            Assert.Equal(96 * 64 * 17, wide.Length);
        }
        finally
        {
            File.Delete(fixedPath);
        }
    }

    [Fact]
    public void It_finds_both_faces_of_two_people_with_their_eyes_inside_the_boxes_letterboxed_and_at_another_input_size()
    {
        var image = ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Example("two_people.jpg")));
        using var detector = Open();
        using var ultraLight = new UltraLightDetector(Pack, Pack.Manifest.Detector, new InferenceOptions());
        var reference = ultraLight.Detect(image);
        Assert.Equal(2, reference.Count);
        // Letterboxed into 192×192, and resized to 448 px wide. Not at the photo's own 1126 px: the full-range model's
        // anchors are of one size, and faces that large are the letterboxed pass's (as in the crowd mode).
        foreach (var faces in new[] { detector.Detect(image), detector.DetectAt(image, 448, 448 * image.Height / image.Width) })
        {
            Assert.Equal(2, faces.Count);
            foreach (var face in faces)
            {
                Assert.True(face.Score > Spec.ScoreThreshold);
                Assert.Contains(reference, r => r.Box.IoU(face.Box) > 0.4f);
                var keypoints = face.Keypoints!;
                Assert.Equal(6, keypoints.Length);
                foreach (var eye in keypoints[..2])
                    Assert.True(eye.X > face.Box.Left && eye.X < face.Box.Right && eye.Y > face.Box.Top && eye.Y < face.Box.Bottom, $"eye {eye} outside {face.Box}");
                float eyes = System.Numerics.Vector2.Distance(keypoints[0], keypoints[1]);
                Assert.True(eyes > 0.2f * face.Box.Width && eyes < 0.8f * face.Box.Width, $"eyes {eyes:F0} px apart in a {face.Box.Width:F0}-px box");
            }
        }
    }

    [Fact]
    public void The_short_range_model_imported_at_its_fixed_size_refuses_another_size()
    {
        var pack = ModelPack.Load(TestPaths.BlazeFacePack);
        using var shortRange = new BlazeFaceDetector(pack.PathOf(pack.Manifest.Detector.File), pack.Manifest.Detector, new InferenceOptions());
        var image = ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Example("obama.jpg")));
        Assert.NotEmpty(shortRange.Detect(image));
        var refused = Assert.Throws<InvalidOperationException>(() => shortRange.DetectAt(image, image.Width, image.Height));
        Assert.Contains("detector.anySize", refused.Message);
    }
}
