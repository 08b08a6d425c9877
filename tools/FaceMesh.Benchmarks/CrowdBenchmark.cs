using FaceMesh.Imaging;
using FaceMesh.Pipeline;
using FaceMesh.Pipeline.Detection;

namespace FaceMesh.Benchmarks;

/// <summary>
/// The cost of finding faces in a crowd, per photo size: a wider-dev crowd photo (7_Cheering_Cheering_7_29.jpg,
/// 219 labelled faces) resized to 640×360, 1280×720, 1920×1080 and 3840×2160; per size the single pass, the crowd mode
/// at full resolution (the photo and its mirror image), the crowd mode's pyramid of tiles and the fused crowd mode
/// with the second detector (boxes only), and the crowd mode with landmarks and
/// alignment of every face found (what the Detector service does). One thread: medians of the runs.
/// </summary>
public sealed class CrowdBenchmark(string packDirectory, string wider, int runs)
{
    public sealed record Row(string Photo, string Mode, double MedianMs, double P90Ms, int Faces);

    public IReadOnlyList<Row> Run()
    {
        var photo = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(wider, "7--Cheering", "7_Cheering_Cheering_7_29.jpg")));
        using var full = FacePipeline.Open(packDirectory, new PipelineOptions { MultiScaleOptions = new MultiScaleOptions { Strategy = CrowdStrategy.FullResolution } });
        using var pyramid = FacePipeline.Open(packDirectory, new PipelineOptions { MultiScaleOptions = new MultiScaleOptions { Strategy = CrowdStrategy.Pyramid } });
        using var fused = FacePipeline.Open(packDirectory, new PipelineOptions { MultiScaleOptions = new MultiScaleOptions { Strategy = CrowdStrategy.Fused } });
        var rows = new List<Row>();
        foreach (var (w, h) in new[] { (640, 360), (1280, 720), (1920, 1080), (3840, 2160) })
        {
            var image = Resampler.Resize(photo, w, h);
            string size = $"{w}×{h}";
            void Add(string mode, Func<int> detect, int n)
            {
                int faces = detect();
                var t = StageTimer.Measure(mode, size, () => detect(), n, warmup: 2);
                rows.Add(new Row(size, mode, t.MedianMs, t.P90Ms, faces));
            }
            Add("single pass (boxes)", () => full.DetectBoxes(image).Count, runs);
            Add("crowd, full resolution (boxes)", () => full.DetectBoxes(image, multiScale: true).Count, runs);
            Add("crowd, pyramid (boxes)", () => pyramid.DetectBoxes(image, multiScale: true).Count, Math.Max(3, runs / 3));
            Add("crowd, fused (boxes)", () => fused.DetectBoxes(image, multiScale: true).Count, Math.Max(3, runs / 3));
            Add("crowd, full resolution + landmarks and alignment", () => full.Detect(image, multiScale: true).Count, Math.Max(3, runs / 3));
        }
        return rows;
    }
}
