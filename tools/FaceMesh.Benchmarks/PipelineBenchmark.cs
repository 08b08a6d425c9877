using FaceMesh.Imaging;
using FaceMesh.Pipeline;
using FaceMesh.Pipeline.Alignment;
using FaceMesh.Pipeline.Embedding;
using SkiaSharp;

namespace FaceMesh.Benchmarks;

/// <summary>
/// Per-stage latency of the pipeline on real photos, and embedder throughput at batch 1, 8 and 32 (a face is all the
/// crops the pack's embedders take: one per model alignment).
/// Inputs: a 640-px photo (obama-720p.jpg scaled to 640×360), a pair of 250×250 face photos (LFW's
/// size, cut from obama.jpg and obama2.jpg), and aligned crops of real faces.
/// </summary>
public sealed class PipelineBenchmark(string packDirectory, string examples, int runs)
{
    public IReadOnlyList<StageTimer.Timing> Run()
    {
        using var pipeline = FacePipeline.Open(packDirectory);
        var timings = new List<StageTimer.Timing>();
        var photo640 = Resampler.Resize(ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(examples, "obama-720p.jpg"))), 640, 360);
        var jpeg640 = ImageEncoder.Encode(photo640, SKEncodedImageFormat.Jpeg, 90);
        const string input640 = "640×360 JPEG";

        timings.Add(StageTimer.Measure("decode", input640, () => ImageDecoder.Decode(jpeg640), runs));
        timings.Add(StageTimer.Measure("detect", input640, () => pipeline.DetectBoxes(photo640), runs));
        var detection = pipeline.DetectBoxes(photo640)[0];
        var m = pipeline.Pack.Manifest;
        using var landmarks = new LandmarkModel(pipeline.Pack.PathOf(m.Landmarks!.File), m.Landmarks, pipeline.Options.Inference);
        timings.Add(StageTimer.Measure("landmarks (2 passes)", "one face", () => landmarks.Locate(photo640, detection.Box, 2), runs));
        timings.Add(StageTimer.Measure("detect + landmarks", input640, () => pipeline.Detect(photo640), runs));
        var face = pipeline.Detect(photo640)[0];
        var aligner = new FaceAligner(pipeline.Embedder.Crops[0]);
        timings.Add(StageTimer.Measure("align", "one face", () => aligner.Align(photo640, face.Landmarks), runs));
        timings.Add(StageTimer.Measure("embed", "1 face", () => pipeline.Embedder.EmbedFaces([face.AlignedCrops]), runs, itemsPerRun: 1));
        timings.Add(StageTimer.Measure("embed + flip", "1 face", () => pipeline.Embedder.EmbedFaces([face.AlignedCrops], flip: true), runs, itemsPerRun: 1));

        var crops = RealCrops(pipeline, examples);
        foreach (int batch in new[] { 1, 8, 32 })
        {
            var slice = Enumerable.Range(0, batch).Select(i => crops[i % crops.Count]).ToArray();
            timings.Add(StageTimer.Measure("embed throughput", $"batch {batch}", () => pipeline.Embedder.EmbedFaces(slice), Math.Max(5, runs * 8 / (batch + 7)), itemsPerRun: batch));
        }
        foreach (int batch in new[] { 8, 32 })
        {
            var slice = Enumerable.Range(0, batch).Select(i => crops[i % crops.Count]).ToArray();
            timings.Add(StageTimer.Measure("embed throughput + flip", $"batch {batch}", () => pipeline.Embedder.EmbedFaces(slice, flip: true), Math.Max(5, runs * 8 / (batch + 7)), itemsPerRun: batch));
        }

        timings.Add(BatcherThroughput(pipeline, crops, callers: 32, requestsPerCaller: Math.Max(4, runs / 4)));

        var (a, b) = (Lfw250(Path.Combine(examples, "obama.jpg"), pipeline), Lfw250(Path.Combine(examples, "obama2.jpg"), pipeline));
        timings.Add(StageTimer.Measure("verify (decode, detect, align, embed ×2, compare)", "two 250×250 JPEGs", () =>
        {
            var fa = pipeline.FindPrimary(ImageDecoder.Decode(a))!;
            var fb = pipeline.FindPrimary(ImageDecoder.Decode(b))!;
            var e = pipeline.Embed([fa, fb]);
            CosineSimilarity.Of(e[0], e[1]);
        }, runs));
        return timings;
    }

    /// <summary>Faces/s through the <see cref="EmbeddingBatcher"/> with many callers sending one crop each, concurrently.</summary>
    private static StageTimer.Timing BatcherThroughput(FacePipeline pipeline, IReadOnlyList<IReadOnlyList<RgbImage>> crops, int callers, int requestsPerCaller)
    {
        var batcher = new EmbeddingBatcher(pipeline.Embedder, new BatchingOptions());
        try
        {
            async Task Caller(int id)
            {
                for (int r = 0; r < requestsPerCaller; r++)
                    await batcher.EmbedFacesAsync([crops[(id + r) % crops.Count]], flip: false);
            }
            Task.WhenAll(Enumerable.Range(0, callers).Select(i => Task.Run(() => Caller(i)))).GetAwaiter().GetResult(); // warm-up
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            Task.WhenAll(Enumerable.Range(0, callers).Select(i => Task.Run(() => Caller(i)))).GetAwaiter().GetResult();
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            int faces = callers * requestsPerCaller;
            return new StageTimer.Timing("embed through the batcher", $"{callers} concurrent callers, 1 crop each", elapsed / faces, elapsed / faces, faces, faces * 1000 / elapsed);
        }
        finally
        {
            batcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Each real face's crops (one per alignment the pack's embedders need).</summary>
    private static List<IReadOnlyList<RgbImage>> RealCrops(FacePipeline pipeline, string examples) =>
        Directory.GetFiles(examples, "*.jpg").Order(StringComparer.Ordinal)
            .SelectMany(p => pipeline.Detect(ImageDecoder.Decode(File.ReadAllBytes(p))))
            .Select(f => f.AlignedCrops).ToList();

    /// <summary>A 250×250 JPEG around the photo's face, framed as LFW frames its photos (the face about a third of the side).</summary>
    private static byte[] Lfw250(string path, FacePipeline pipeline)
    {
        var image = ImageDecoder.Decode(File.ReadAllBytes(path));
        var box = pipeline.FindPrimary(image)!.Box;
        int side = (int)(Math.Max(box.Width, box.Height) * 2.2);
        var crop = Resampler.Crop(image, (int)(box.CenterX - side / 2f), (int)(box.CenterY - side / 2f), side, side);
        return ImageEncoder.Encode(Resampler.Resize(crop, 250, 250), SKEncodedImageFormat.Jpeg, 90);
    }
}
